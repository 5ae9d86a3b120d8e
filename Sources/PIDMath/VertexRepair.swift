import RealModule

extension MarginalPolytope {
  /// A vertex of Δ3 near `approximate` (a joint that satisfies the
  /// marginals only to a solver's tolerance, e.g. an LP solution), with
  /// `H` no larger than at the repaired starting point; nil when no vertex
  /// is reached within rounding.
  ///
  /// The start keeps `approximate` on the `d` coordinate cells and
  /// recomputes the others from the marginals (`base + G z`); cells at or
  /// below `1e-12` start tight. Concave descent then moves along the face
  /// of the tight cells (`H` is concave, so it only decreases along a
  /// descent direction) until `d` independent cells are zero, and the
  /// vertex is solved from those cells alone. The result satisfies the
  /// pairwise marginals to rounding (checked to 1e-9) and is nonnegative.
  func vertex(near approximate: [Double]) -> (entropy: Double, joint: [Double])? {
    let d = dimension
    guard d > 0 else { return (entropy(base), base) }
    var z = coordinateCells.map { approximate[$0] - base[$0] }
    var r = point(z)
    var tight: [[Double]] = []  // orthonormalized tight gradient rows
    var tightCells: [Int] = []
    var isTight = [Bool](repeating: false, count: cells)
    func addTight(_ cell: Int) {
      var row = gradientRow(cell)
      for t in tight {
        let dot = zip(row, t).reduce(0) { $0 + $1.0 * $1.1 }
        for j in 0..<d { row[j] -= dot * t[j] }
      }
      let norm = row.reduce(0) { $0 + $1 * $1 }.squareRoot()
      isTight[cell] = true
      guard norm > 1e-9 else { return }
      tight.append(row.map { $0 / norm })
      tightCells.append(cell)
    }
    for cell in free where r[cell] <= 1e-12 && tight.count < d { addTight(cell) }
    var fallback = 0
    while tight.count < d {
      // Minus the gradient of H (nats; the scale does not matter) in z.
      var u = [Double](repeating: 0, count: d)
      for i in free where r[i] > 0 {
        let dh = -(Double.log(r[i]) + 1)
        for j in 0..<d { u[j] -= dh * directions[i * d + j] }
      }
      func project(_ v: inout [Double]) {
        for t in tight {
          let dot = zip(v, t).reduce(0) { $0 + $1.0 * $1.1 }
          for j in 0..<d { v[j] -= dot * t[j] }
        }
      }
      project(&u)
      var norm = u.reduce(0) { $0 + $1 * $1 }.squareRoot()
      // A stationary point of the face: any direction of the face keeps
      // H from rising to first order; take coordinate directions in turn.
      while norm < 1e-13 && fallback < d {
        u = [Double](repeating: 0, count: d)
        u[fallback] = 1
        fallback += 1
        project(&u)
        norm = u.reduce(0) { $0 + $1 * $1 }.squareRoot()
      }
      guard norm >= 1e-13 else { return nil }
      var step = Double.infinity
      var blocking = -1
      for i in free where !isTight[i] {
        var rate = 0.0
        for j in 0..<d { rate += directions[i * d + j] * u[j] }
        if rate < -1e-15 * norm {
          let t = max(r[i], 0) / -rate
          if t < step { step = t; blocking = i }
        }
      }
      guard blocking >= 0, step.isFinite else { return nil }
      for j in 0..<d { z[j] += step * u[j] }
      r = point(z)
      addTight(blocking)
    }
    guard let v = vertex(tight: tightCells) else { return nil }
    let sums = pairwiseSums(v, n1: n1, n2: n2, k: k)
    guard zip(sums.x1x2 + sums.x1y + sums.x2y, marginals).allSatisfy({ abs($0.0 - $0.1) <= 1e-9 }) else { return nil }
    return (entropy(v), v)
  }
}
