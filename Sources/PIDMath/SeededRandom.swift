import RealModule

/// SplitMix64: a small, fast, seedable generator. The same seed gives the
/// same stream on every platform and process.
public struct SplitMix64: RandomNumberGenerator, Sendable {
  public var state: UInt64
  public init(seed: UInt64) { state = seed }
  /// What `next()` adds to the state (so `n` numbers later the state is
  /// `state &+ n &* increment`).
  public static let increment: UInt64 = 0x9E37_79B9_7F4A_7C15
  public mutating func next() -> UInt64 {
    state &+= Self.increment
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
  /// Uniform in (0, 1].
  public mutating func unit() -> Double { Double((next() >> 11) + 1) / Double(1 << 53) }
}

extension JointDistribution {
  /// A joint table drawn from the flat Dirichlet(1) distribution over all
  /// `n1 n2 k` cells (normalized Exp(1) draws), as in the paper's synthetic
  /// experiment.
  public static func dirichlet(n1: Int, n2: Int, k: Int, generator: inout SplitMix64) -> JointDistribution {
    let masses = (0..<(n1 * n2 * k)).map { _ in -Double.log(generator.unit()) }
    return try! JointDistribution(n1: n1, n2: n2, k: k, masses: masses)
  }
}
