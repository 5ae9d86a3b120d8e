import RealModule

/// The maximum-entropy joint `r(x1, x2, y)` with three given pairwise
/// marginals, by iterative proportional fitting from the uniform table.
///
/// When the marginals are jointly realizable by a positive table, IPF
/// converges to the maximum-entropy member of
/// `Δ3 = { r : r(x1,x2), r(x1,y), r(x2,y) fixed }`. `residual` is the
/// largest absolute marginal violation at the end; `converged` says whether
/// it fell below the tolerance within the iteration limit (if not, the
/// marginals are not (numerically) realizable and the table must not be
/// used as a member of Δ3).
public struct MaximumEntropyJoint: Sendable {
  public var joint: [Double]
  public var residual: Double
  public var iterations: Int
  public var converged: Bool

  /// - Parameters:
  ///   - tolerance: residual accepted as convergence. IPF converges
  ///     linearly to an interior maximum-entropy joint but only
  ///     sublinearly to one with zeros that the pairwise tables do not
  ///     force (e.g. AND), hence the default 1e-6.
  ///   - maximumIterations: at most this many sweeps (and at most about
  ///     2e8 cell updates in all).
  public init(_ marginals: PairwiseMarginals, tolerance: Double = 1e-6, maximumIterations: Int = 200_000) {
    let n1 = marginals.n1, n2 = marginals.n2, k = marginals.k
    let x1y = marginals.x1y.elements, x2y = marginals.x2y.elements, x1x2 = marginals.x1x2.elements
    // Start uniform on the cells that can carry mass.
    var r = [Double](repeating: 0, count: n1 * n2 * k)
    for a in 0..<n1 {
      for b in 0..<n2 {
        for y in 0..<k where x1y[a * k + y] > 0 && x2y[b * k + y] > 0 && x1x2[a * n2 + b] > 0 {
          r[(a * n2 + b) * k + y] = 1
        }
      }
    }
    var residual = Double.infinity
    var iteration = 0
    var sum12 = [Double](repeating: 0, count: n1 * n2)
    var sum1y = [Double](repeating: 0, count: n1 * k)
    var sum2y = [Double](repeating: 0, count: n2 * k)
    func scale(_ target: [Double], _ current: [Double], _ index: (Int, Int, Int) -> Int) {
      for a in 0..<n1 {
        for b in 0..<n2 {
          for y in 0..<k {
            let i = index(a, b, y)
            let c = current[i]
            r[(a * n2 + b) * k + y] *= c > 0 ? target[i] / c : 0
          }
        }
      }
    }
    func sums() { accumulatePairwiseSums(r, n1: n1, n2: n2, k: k, into: &sum12, &sum1y, &sum2y) }
    var checkpointResidual = Double.infinity
    let budget = min(maximumIterations, max(100, 200_000_000 / max(1, n1 * n2 * k * 6)))
    while iteration < budget {
      iteration += 1
      sums()
      scale(x1x2, sum12) { a, b, _ in a * n2 + b }
      sums()
      scale(x1y, sum1y) { a, _, y in a * k + y }
      sums()
      scale(x2y, sum2y) { _, b, y in b * k + y }
      sums()
      residual = 0
      for i in sum12.indices { residual = max(residual, abs(sum12[i] - x1x2[i])) }
      for i in sum1y.indices { residual = max(residual, abs(sum1y[i] - x1y[i])) }
      for i in sum2y.indices { residual = max(residual, abs(sum2y[i] - x2y[i])) }
      if residual <= 1e-13 { break }
      // Sublinear convergence (a boundary maximum-entropy joint): once the
      // tolerance is met, stop when a thousand sweeps no longer halve the
      // residual. Above the tolerance, stop when a thousand sweeps gain
      // less than 0.1%: the residual has settled at a positive limit, the
      // marginals are not realizable (a 1/t decay still gains 1% per
      // thousand sweeps at 100,000 sweeps).
      if iteration % 1000 == 0 {
        if residual <= tolerance && residual > 0.5 * checkpointResidual { break }
        if residual > tolerance && residual > 0.999 * checkpointResidual { break }
        checkpointResidual = residual
      }
    }
    self.joint = r
    self.residual = residual
    self.iterations = iteration
    self.converged = residual <= tolerance
  }
}

/// The three pairwise marginals `(p(x1,x2), p(x1,y), p(x2,y))`, flattened
/// row-major, of a table `r` in `[x1][x2][y]` order.
func pairwiseSums(_ r: [Double], n1: Int, n2: Int, k: Int) -> (x1x2: [Double], x1y: [Double], x2y: [Double]) {
  var x1x2 = [Double](repeating: 0, count: n1 * n2)
  var x1y = [Double](repeating: 0, count: n1 * k)
  var x2y = [Double](repeating: 0, count: n2 * k)
  accumulatePairwiseSums(r, n1: n1, n2: n2, k: k, into: &x1x2, &x1y, &x2y)
  return (x1x2, x1y, x2y)
}

/// `pairwiseSums` into existing buffers of the right sizes (no allocation).
func accumulatePairwiseSums(_ r: [Double], n1: Int, n2: Int, k: Int,
                            into x1x2: inout [Double], _ x1y: inout [Double], _ x2y: inout [Double]) {
  for i in x1x2.indices { x1x2[i] = 0 }
  for i in x1y.indices { x1y[i] = 0 }
  for i in x2y.indices { x2y[i] = 0 }
  for a in 0..<n1 {
    for b in 0..<n2 {
      for y in 0..<k {
        let x = r[(a * n2 + b) * k + y]
        x1x2[a * n2 + b] += x
        x1y[a * k + y] += x
        x2y[b * k + y] += x
      }
    }
  }
}
