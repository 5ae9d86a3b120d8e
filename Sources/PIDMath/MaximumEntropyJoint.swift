import RealModule

/// The maximum-entropy joint `r(x1, x2, y)` with three given pairwise
/// marginals, by iterative proportional fitting from the uniform table, with
/// a certified upper bound on the maximum entropy.
///
/// IPF is block coordinate descent on the log-linear dual
/// `D(θ) = log Σ_c exp(θ·a_c) − θ·b` (one parameter per pairwise-marginal
/// entry, `a_c` the entries cell `c` adds to, `b` the marginals): after
/// every sweep the iterate is `exp(θ·a_c)` for the parameters `θ` it
/// accumulated. Weak duality gives `max H ≤ D(θ)` for **any** `θ`, so
/// `entropyUpperBound` (bits) is a certificate whatever the residual: it is
/// what `S_R_sharp` uses (MATH.md section 3). Cells forced to zero by a zero
/// marginal entry are left out of the sum (their parameter is `−∞`, its
/// product with a zero marginal taken as 0).
///
/// When the marginals are jointly realizable, IPF converges to the maximum-
/// entropy member of `Δ3`, linearly to an interior one and sublinearly to
/// one with zeros that the marginals do not force (AND); `D(θ)` decreases
/// to `max H` along the way.
public struct MaximumEntropyJoint: Sendable {
  /// The last iterate (its marginals are exact to `residual`).
  public var joint: [Double]
  /// Largest absolute marginal violation of `joint`.
  public var residual: Double
  public var iterations: Int
  /// Certified: `max over Δ3 of H(r) <= entropyUpperBound`, bits.
  public var entropyUpperBound: Double
  /// `H(joint)`, bits (an estimate of the maximum; `joint` is feasible only
  /// to `residual`).
  public var entropyEstimate: Double

  /// - Parameters:
  ///   - tolerance: stop once the dual bound is within this many bits of
  ///     the iterate's entropy and the residual is below 1e-12.
  ///   - maximumIterations: at most this many sweeps (and at most about
  ///     2e8 cell updates in all).
  public init(_ marginals: PairwiseMarginals, tolerance: Double = 1e-10, maximumIterations: Int = 200_000) {
    let n1 = marginals.n1, n2 = marginals.n2, k = marginals.k
    let x1y = marginals.x1y.elements, x2y = marginals.x2y.elements, x1x2 = marginals.x1x2.elements
    // Start uniform (θ = 0) on the cells that can carry mass.
    var r = [Double](repeating: 0, count: n1 * n2 * k)
    for a in 0..<n1 {
      for b in 0..<n2 {
        for y in 0..<k where x1y[a * k + y] > 0 && x2y[b * k + y] > 0 && x1x2[a * n2 + b] > 0 {
          r[(a * n2 + b) * k + y] = 1
        }
      }
    }
    var theta12 = [Double](repeating: 0, count: n1 * n2)
    var theta1y = [Double](repeating: 0, count: n1 * k)
    var theta2y = [Double](repeating: 0, count: n2 * k)
    var residual = Double.infinity
    var iteration = 0
    var sum12 = [Double](repeating: 0, count: n1 * n2)
    var sum1y = [Double](repeating: 0, count: n1 * k)
    var sum2y = [Double](repeating: 0, count: n2 * k)
    var factors = [Double](repeating: 0, count: max(k, n2 * k))
    /// The factor scaling a current sum onto its target (0 where either is
    /// not positive, which zeroes the cells), with its logarithm added to
    /// `theta`.
    @inline(__always) func factor(_ target: Double, _ current: Double, _ theta: inout Double) -> Double {
      guard current > 0 && target > 0 else { return 0 }
      let f = target / current
      theta += Double.log(f)
      return f
    }
    /// One IPF sweep: `r` scaled onto `p(x1,x2)`, then `p(x1,y)`, then
    /// `p(x2,y)`. Each sum adds the cells in the order of
    /// `accumulatePairwiseSums`.
    func sweep() {
      r.withUnsafeMutableBufferPointer { R in
        factors.withUnsafeMutableBufferPointer { F in
          let r = R.baseAddress!, f = F.baseAddress!
          // p(x1,x2): each pair's k cells are contiguous.
          for pair in 0..<(n1 * n2) {
            let cells = r + pair * k
            var sum = 0.0
            for y in 0..<k { sum += cells[y] }
            let scale = factor(x1x2[pair], sum, &theta12[pair])
            for y in 0..<k { cells[y] *= scale }
          }
          // p(x1,y): the cells of row a are contiguous.
          for a in 0..<n1 {
            let row = r + a * n2 * k
            for y in 0..<k { f[y] = 0 }
            for b in 0..<n2 { for y in 0..<k { f[y] += row[b * k + y] } }
            for y in 0..<k { f[y] = factor(x1y[a * k + y], f[y], &theta1y[a * k + y]) }
            for b in 0..<n2 { for y in 0..<k { row[b * k + y] *= f[y] } }
          }
          // p(x2,y): summed over every row, then scaled.
          for i in 0..<(n2 * k) { f[i] = 0 }
          for a in 0..<n1 {
            let row = r + a * n2 * k
            for i in 0..<(n2 * k) { f[i] += row[i] }
          }
          for i in 0..<(n2 * k) { f[i] = factor(x2y[i], f[i], &theta2y[i]) }
          for a in 0..<n1 {
            let row = r + a * n2 * k
            for i in 0..<(n2 * k) { row[i] *= f[i] }
          }
        }
      }
    }
    func sums() { accumulatePairwiseSums(r, n1: n1, n2: n2, k: k, into: &sum12, &sum1y, &sum2y) }
    /// `D(θ)` in nats, over the allowed cells.
    func dual() -> Double {
      var largest = -Double.infinity
      for a in 0..<n1 {
        for b in 0..<n2 {
          for y in 0..<k where x1y[a * k + y] > 0 && x2y[b * k + y] > 0 && x1x2[a * n2 + b] > 0 {
            largest = max(largest, theta12[a * n2 + b] + theta1y[a * k + y] + theta2y[b * k + y])
          }
        }
      }
      guard largest.isFinite else { return 0 }
      var total = 0.0
      for a in 0..<n1 {
        for b in 0..<n2 {
          for y in 0..<k where x1y[a * k + y] > 0 && x2y[b * k + y] > 0 && x1x2[a * n2 + b] > 0 {
            total += Double.exp(theta12[a * n2 + b] + theta1y[a * k + y] + theta2y[b * k + y] - largest)
          }
        }
      }
      var linear = 0.0
      for i in x1x2.indices where x1x2[i] > 0 { linear += theta12[i] * x1x2[i] }
      for i in x1y.indices where x1y[i] > 0 { linear += theta1y[i] * x1y[i] }
      for i in x2y.indices where x2y[i] > 0 { linear += theta2y[i] * x2y[i] }
      return largest + Double.log(total) - linear
    }
    var best = Double.infinity
    var checkpointGap = Double.infinity
    let budget = min(maximumIterations, max(100, 200_000_000 / max(1, n1 * n2 * k * 6)))
    while iteration < budget {
      iteration += 1
      sweep()
      sums()
      residual = 0
      for i in sum12.indices { residual = max(residual, abs(sum12[i] - x1x2[i])) }
      for i in sum1y.indices { residual = max(residual, abs(sum1y[i] - x1y[i])) }
      for i in sum2y.indices { residual = max(residual, abs(sum2y[i] - x2y[i])) }
      if residual <= 1e-13 || iteration % 100 == 0 {
        best = min(best, dual())
        let gap = best / naturalLogOf2 - entropy(r)
        if residual <= 1e-12 && gap <= tolerance { break }
        // Stop when a thousand sweeps no longer shrink the certificate's
        // gap by 1% (a sublinear 1/t decay still gains more).
        if iteration % 1000 == 0 {
          if gap > 0.99 * checkpointGap { break }
          checkpointGap = gap
        }
      }
    }
    best = min(best, dual())
    self.joint = r
    self.residual = residual
    self.iterations = iteration
    self.entropyUpperBound = best / naturalLogOf2
    self.entropyEstimate = entropy(r)
  }
}
