import RealModule

/// The dual barrier method: the end game of paths that stall above the
/// target gap (heavy-tailed tables, whose pairs of vanishing mass leave the
/// primal–dual path's step safeguard without a usable step).
///
/// It maximizes, for a decreasing barrier weight `τ`, the concave function
///
///     φ_τ(λ, μ) = Σ λ p(a,t) + Σ μ p(b,t) + τ Σ_pairs log(-g(a,b))
///
/// over the strictly dual feasible multipliers (`g < 0` on every allowed
/// pair), by Newton's method with a backtracking line search on `φ_τ`
/// itself: every accepted step increases `φ_τ` and keeps `g < 0`, so there
/// is no safeguard to fail. At a maximizer the pair masses
/// `m = τ / (-g)` meet the marginals (`∇φ_τ = p - Σ m s = 0`) and the
/// Lagrangian gap is `Σ m (-g) = τ · pairs`. The Newton matrix
/// `Σ_pairs m E [diag(s) + (1/(-g) - 1) s sᵀ] Eᵀ` is the primal–dual
/// method's reduced system with the slacks equal to `-g`. Each centred
/// point is certified exactly like the path's iterates (`certify`), so the
/// method can only improve the certificate, never invalidate it.
extension InteriorPointSolver {
  /// Largest number of multipliers `(nA + nB) k` for which the dual barrier
  /// runs (a dense Cholesky factorization per step).
  static let dualBarrierLimit = 800
  /// A point counts as centred once Newton's decrement `∇φᵀ H⁻¹ ∇φ` is at
  /// most this multiple of `τ`.
  static let barrierCentring = 0.25

  /// Runs the dual barrier method from the current multipliers (moved
  /// inside the feasible set first) and returns the best certificate of its
  /// centred points, or nil when no step could be taken. Leaves the
  /// iterate at its last point. At most `maximumSteps` Newton steps.
  func dualBarrier(targetGap: Double, maximumSteps: Int = 200) -> Outcome? {
    let k = self.k, nA = self.nA, nB = self.nB
    let n = (nA + nB) * k
    guard n <= Self.dualBarrierLimit else { return nil }
    var complementarity = 0.0
    for pair in 0..<mass.count where pairAllowed[pair] && gValue[pair] < 0 { complementarity += mass[pair] * -gValue[pair] }
    var tau = min(1e-3, max(1e-15, complementarity / Double(pairCount)))
    // Strictly feasible start: shift each row whose pairs reach g > -margin.
    let margin = max(tau, 1e-9)
    var top = 0.0
    _ = evaluate(lambda: lambda, mu: mu, g: &gValue, soft: &soft, maxG: &top)
    for a in 0..<nA {
      var rowTop = -Double.infinity
      for b in 0..<nB where pairAllowed[a * nB + b] { rowTop = max(rowTop, gValue[a * nB + b]) }
      guard rowTop > -margin else { continue }
      for t in 0..<k where pA[a * k + t] > 0 { lambda[a * k + t] -= rowTop + margin }
    }
    guard evaluate(lambda: lambda, mu: mu, g: &gValue, soft: &soft, maxG: &top) else { return nil }

    func barrierValue(_ lam: [Double], _ m: [Double], _ g: [Double]) -> Double {
      var total = 0.0
      for i in 0..<(nA * k) where pA[i] > 0 { total += lam[i] * pA[i] }
      for i in 0..<(nB * k) where pB[i] > 0 { total += m[i] * pB[i] }
      var logs = 0.0
      for pair in 0..<(nA * nB) where pairAllowed[pair] { logs += Double.log(-g[pair]) }
      return total + tau * logs
    }

    var best: Outcome? = nil
    var steps = 0
    var previousDecrement = Double.infinity, stalledSteps = 0
    var matrix = [Double](repeating: 0, count: n * n)
    var index = [Int](repeating: 0, count: 2 * k)
    var trialG = gValue, trialSoft = soft
    while steps < maximumSteps {
      // Gradient p - Σ m s with m = τ / (-g), and the Newton matrix.
      for pair in 0..<mass.count where pairAllowed[pair] {
        mass[pair] = tau / -gValue[pair]
        slack[pair] = -gValue[pair]
      }
      let (rA, rB) = residuals()
      let rhs = rA + rB
      for i in 0..<(n * n) { matrix[i] = 0 }
      for pair in 0..<mass.count where pairAllowed[pair] {
        let a = pair / nB, b = pair % nB
        let m = mass[pair], c = 1 / slack[pair] - 1
        for t in 0..<k { index[t] = a * k + t; index[k + t] = nA * k + b * k + t }
        for u in 0..<(2 * k) {
          let su = soft[pair * k + u % k]
          guard su > 0 else { continue }
          for v in 0..<(2 * k) {
            let sv = soft[pair * k + v % k]
            var entry = c * su * sv
            if u % k == v % k { entry += su }
            matrix[index[u] * n + index[v]] += m * entry
          }
        }
      }
      var direction = rhs
      guard solveMultiplierSystem(&matrix, &direction, ridge: 1e-15) else { break }
      var decrement = 0.0
      for i in 0..<n { decrement += rhs[i] * direction[i] }
      steps += 1
      // Centred (or at the floor of rounding, where Newton's decrement
      // stops falling): certify, then lower τ (or stop).
      stalledSteps = decrement >= 0.9 * previousDecrement ? stalledSteps + 1 : 0
      previousDecrement = decrement
      if decrement <= Self.barrierCentring * tau || stalledSteps >= 8 {
        stalledSteps = 0
        previousDecrement = .infinity
        let outcome = certify().merged(with: best)
        best = outcome
        if outcome.gapBits <= targetGap { break }
        let pairs = Double(pairCount)
        guard tau * pairs > 1e-3 * targetGap * naturalLogOf2 else { break }
        tau *= 0.1
        continue
      }
      // Backtracking line search on φ_τ.
      let current = barrierValue(lambda, mu, gValue)
      var alpha = 1.0
      var accepted = false
      var trialLambda = lambda, trialMu = mu
      for _ in 0..<60 {
        for i in 0..<(nA * k) where pA[i] > 0 { trialLambda[i] = lambda[i] + alpha * direction[i] }
        for i in 0..<(nB * k) where pB[i] > 0 { trialMu[i] = mu[i] + alpha * direction[nA * k + i] }
        if evaluate(lambda: trialLambda, mu: trialMu, g: &trialG, soft: &trialSoft, maxG: &top),
           barrierValue(trialLambda, trialMu, trialG) >= current + 0.25 * alpha * decrement {
          accepted = true
          break
        }
        alpha *= 0.5
      }
      guard accepted else { break }
      lambda = trialLambda
      mu = trialMu
      swap(&gValue, &trialG)
      swap(&soft, &trialSoft)
    }
    return best
  }
}
