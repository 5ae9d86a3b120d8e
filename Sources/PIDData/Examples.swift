import PIDMath
import RealModule

/// Bundled example problems, generated deterministically (the same bytes
/// on every machine): each gives D1 `(x1, y)`, D2 `(x2, y)`, DM `(x1, x2)`
/// and a small labeled multimodal set DL for validation, drawn from one
/// known process.
public enum Example: String, CaseIterable, Sendable {
  /// `y = a0 xor b0` for independent uniform bit pairs `a` (modality 1)
  /// and `b` (modality 2), features the bits plus small noise: R = U1 =
  /// U2 = 0, S = 1 bit (the paper's bitwise synthetic data).
  case synergy
  /// `y = r` uniform on 4 values, both modalities embed `r` (with noise):
  /// R = 2 bits, U1 = U2 = S = 0.
  case redundancy
  /// `y = a` uniform on 4 values, modality 1 embeds `a`, modality 2 is
  /// independent noise: U1 = 2 bits, R = U2 = S = 0.
  case uniqueness
  /// Three classes, each modality an 8-dimensional Gaussian whose mean
  /// depends on the class (overlapping): needs PCA and clustering.
  case continuous

  /// Rows of D1, D2 and DM; DL has a quarter of that.
  public static let rows = 3000

  /// The four datasets, from the fixed seed of the example: D1, D2 and DM
  /// with `rows` rows each, DL with a quarter of that.
  public func datasets(rows: Int = Example.rows) -> (d1: Dataset, d2: Dataset, dm: Dataset, dl: Dataset) {
    var generator = SplitMix64(seed: 0xE4A_3B1E + UInt64(Example.allCases.firstIndex(of: self)!))
    func draw(_ n: Int, _ source: String, x1: Bool, x2: Bool, label: Bool) -> Dataset {
      var f1 = [Float](), f2 = [Float](), labels = [String]()
      var d1 = 0, d2 = 0
      for _ in 0..<n {
        let (a, b, y) = sample(&generator)
        d1 = a.count
        d2 = b.count
        if x1 { f1 += a }
        if x2 { f2 += b }
        if label { labels.append(y) }
      }
      return Dataset(source: "example \(rawValue) \(source)", rows: n, x1: f1, dimension1: x1 ? d1 : 0,
                     x2: f2, dimension2: x2 ? d2 : 0, labels: labels)
    }
    let n = rows
    return (draw(n, "D1", x1: true, x2: false, label: true), draw(n, "D2", x1: false, x2: true, label: true),
            draw(n, "DM", x1: true, x2: true, label: false), draw(n / 4, "DL", x1: true, x2: true, label: true))
  }

  private func sample(_ g: inout SplitMix64) -> ([Float], [Float], String) {
    func bit() -> Int { Int(g.next() & 1) }
    func noise(_ sigma: Double) -> Float {
      // Box–Muller.
      let u = g.unit(), v = g.unit()
      return Float(sigma * (-2 * Double.log(u)).squareRoot() * Double.cos(2 * Double.pi * v))
    }
    switch self {
    case .synergy:
      let a = [bit(), bit()], b = [bit(), bit()]
      return (a.map { Float($0) + noise(0.05) }, b.map { Float($0) + noise(0.05) }, String(a[0] ^ b[0]))
    case .redundancy:
      let r = Int(g.next() % 4)
      return ([Float(r & 1), Float(r >> 1)].map { $0 + noise(0.05) },
              [Float(r >> 1), Float(r & 1), 0.5].map { $0 + noise(0.05) }, "class\(r)")
    case .uniqueness:
      let a = Int(g.next() % 4), c = Int(g.next() % 4)
      return ([Float(a & 1), Float(a >> 1)].map { $0 + noise(0.05) },
              [Float(c & 1), Float(c >> 1)].map { $0 + noise(0.05) }, "class\(a)")
    case .continuous:
      let y = Int(g.next() % 3)
      let x1 = (0..<8).map { j in Float(j % 3 == y ? 1.5 : 0) + noise(1) }
      let x2 = (0..<8).map { j in Float(j < 4 && j % 2 == y % 2 ? 1.0 : 0) + noise(1) }
      return (x1, x2, ["low", "mid", "high"][y])
    }
  }
}
