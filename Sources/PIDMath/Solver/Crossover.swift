import RealModule

/// Crossover of the interior-point method: Newton's method on the
/// optimality conditions restricted to a guessed set `K` of active pairs,
///
///     Σ_{b:(a,b)∈K} m(a,b) s(a,b,t) = p(a,t),   Σ_{a:(a,b)∈K} m s = p(b,t),
///     g(a,b) = 0 for (a,b) ∈ K,
///
/// a square smooth system in `(λ, μ, m_K)` (one multiplier per label fixed
/// as the gauge). With `w = δm + m g` (and `sᵀδz = -g` on `K`) its Newton
/// system is
///
///     [ D   E ] [δz]   [ r ]
///     [ Eᵀ  0 ] [w ] = [-g ]
///
/// where `D` is block diagonal over the labels (for label `t` the signless
/// Laplacian of the bipartite graph `K` weighted by `q(a,b,t) = m s`), and
/// `E` has one column `s` per pair of `K` (on the pair's rows `a` and `b`).
/// It is solved through `S = Eᵀ D⁻¹ E` (`|K| x |K|`, positive definite when
/// the columns are independent), which unlike the interior-point systems
/// involves no `m/σ` ratios. Convergence is quadratic once the guess is
/// right; the result is certified exactly as the interior-point iterates
/// (`certify()`), so a wrong guess can only cost time, never correctness.
extension InteriorPointSolver {
  struct SavedState {
    var lambda: [Double], mu: [Double], mass: [Double], gValue: [Double], soft: [Double]
  }

  func save() -> SavedState { SavedState(lambda: lambda, mu: mu, mass: mass, gValue: gValue, soft: soft) }

  func restore(_ s: SavedState) {
    lambda = s.lambda
    mu = s.mu
    mass = s.mass
    gValue = s.gValue
    soft = s.soft
  }

  /// Runs the crossover from the current iterate with `K` = `guess` (by
  /// default the pairs whose mass exceeds their slack). Returns the best
  /// certificate reached if it improves on `incumbent` (else nil) and the
  /// Newton steps taken, which count whether or not the attempt succeeded;
  /// the iterate is restored either way. With `givesUp`, the attempt ends at
  /// the first step that is not a full step at least halving the residual,
  /// or when a change of the set takes the residual above its initial
  /// value: Newton is not converging on this set, and a wrong guess
  /// costs one or two steps instead of up to `maximumSteps`.
  func crossover(targetGap: Double, incumbent: Double, maximumSteps: Int = 20,
                 maximumActive: Int = .max, guess: [Int]? = nil,
                 givesUp: Bool = false) -> (outcome: Outcome?, newtonSteps: Int) {
    let k = self.k, nA = self.nA, nB = self.nB
    var active = guess ?? (0..<(nA * nB)).filter { pairAllowed[$0] && slack[$0] < mass[$0] }
    guard !active.isEmpty, active.count <= maximumActive else { return (nil, 0) }
    // More active pairs than free multipliers: the columns of E are
    // dependent and the system singular (a degenerate optimum, e.g. a
    // label nearly independent of both sources, where g is near 0 on
    // every pair); Newton on it cannot converge.
    if !usesIterativeSystems && active.count > freeMultiplierCount { return (nil, 0) }
    let saved = save()
    var nK = active.count
    var mK = active.map { mass[$0] }
    let nodes = nA + nB
    let iterative = usesIterativeSystems
    var inverse = [Double](repeating: 0, count: iterative ? 0 : k * nodes * nodes)
    var scratch = [Double](repeating: 0, count: iterative ? 0 : nodes * nodes + nodes)
    var schur = [Double](repeating: 0, count: iterative ? 0 : nK * nK)
    var rhs = [Double](repeating: 0, count: nK)
    var y = [Double](repeating: 0, count: k * nodes)  // D⁻¹ r, label-major
    var v = [Double](repeating: 0, count: k * nodes)
    var dz = [Double](repeating: 0, count: k * nodes)
    var r = [Double](repeating: 0, count: k * nodes)
    var best: Outcome? = nil
    var steps = 0
    var top = 0.0

    /// Residuals at the current point (marginals, and g on K) into `r`;
    /// returns the largest of their absolute values.
    func residualNorm(_ m: [Double]) -> Double {
      for i in 0..<(k * nodes) { r[i] = 0 }
      for a in 0..<nA { for t in 0..<k { r[t * nodes + a] = pA[a * k + t] } }
      for b in 0..<nB { for t in 0..<k { r[t * nodes + nA + b] = pB[b * k + t] } }
      var largest = 0.0
      for (i, pair) in active.enumerated() {
        let a = pair / nB, b = pair % nB
        for t in 0..<k {
          let x = m[i] * soft[pair * k + t]
          r[t * nodes + a] -= x
          r[t * nodes + nA + b] -= x
        }
        largest = max(largest, abs(gValue[pair]))
      }
      for t in 0..<k {
        for node in 0..<nodes where !isFree(node: node, label: t) { r[t * nodes + node] = 0 }
      }
      for x in r { largest = max(largest, abs(x)) }
      return largest
    }

    func certificate(_ m: [Double]) -> Outcome {
      for pair in 0..<mass.count { mass[pair] = 0 }
      for (i, pair) in active.enumerated() { mass[pair] = max(0, m[i]) }
      return certify(scalingReach: Self.pathScalingReach)
    }

    var norm = residualNorm(mK)
    let initialNorm = norm
    while steps < maximumSteps {
      if best != nil && best!.gapBits <= targetGap { break }
      let outcome = certificate(mK)
      if best == nil || outcome.gapBits < best!.gapBits {
        best = outcome
      }
      if outcome.gapBits <= targetGap { break }
      if iterative {
        // Inexact Newton: a fixed relative accuracy (linear convergence at
        // that rate; tighter solves cost far more iterations).
        let tolerance = 1e-4
        guard let (step, w) = crossoverIterativeStep(active: active, mK: mK, r: r, tolerance: tolerance) else { break }
        dz = step
        rhs = w
      } else {
        // Factor D label by label (free nodes only; others get identity).
        var ok = true
        inverse.withUnsafeMutableBufferPointer { G in
          scratch.withUnsafeMutableBufferPointer { sc in
            for t in 0..<k {
              let base = G.baseAddress! + t * nodes * nodes
              for i in 0..<(nodes * nodes) { base[i] = 0 }
              for (i, pair) in active.enumerated() {
                let a = pair / nB, b = nA + pair % nB
                let q = mK[i] * soft[pair * k + t]
                base[a * nodes + a] += q
                base[b * nodes + b] += q
                base[a * nodes + b] += q
                base[b * nodes + a] += q
              }
              let held = heldNodes(active, mK, label: t)
              for node in 0..<nodes where held[node] {
                for j in 0..<nodes {
                  base[node * nodes + j] = 0
                  base[j * nodes + node] = 0
                }
                base[node * nodes + node] = 1
              }
              guard invertPositiveDefinite(base, nodes, scratch: sc.baseAddress!) else { ok = false; return }
              for node in 0..<nodes where held[node] { base[node * nodes + node] = 0 }
            }
          }
        }
        guard ok else { break }
        // y = D⁻¹ r.
        applyLabelInverses(inverse, r, into: &y)
        // S = Eᵀ D⁻¹ E and its right-hand side Eᵀ y + g.
        formActiveSchur(active, inverse: inverse, y: y, into: &schur, rhs: &rhs)
        // Pair equations that the others imply (cycles of active pairs
        // through the multipliers of a tiny cell) make S singular: a ridge
        // up to 1e-8 of its largest diagonal entry, as in `factor()`.
        let formed = schur
        var largest = 0.0
        for i in 0..<nK { largest = max(largest, formed[i * nK + i]) }
        var factored = false
        // Ridges 0, then 1e-14, 1e-12, ..., 1e-8 times the largest entry.
        for attempt in 0..<5 where !factored && (attempt == 0 || largest > 0) {
          schur = formed
          let ridge = attempt == 0 ? 0 : largest * 1e-14 * Double.pow(100, attempt - 1)
          for i in 0..<nK { schur[i * nK + i] += ridge }
          factored = schur.withUnsafeMutableBufferPointer { choleskyFactor($0.baseAddress!, nK) }
        }
        guard factored else { break }
        schur.withUnsafeBufferPointer { S in
          rhs.withUnsafeMutableBufferPointer { choleskySolve(S.baseAddress!, nK, $0.baseAddress!) }
        }
        // δz = y - D⁻¹ E w;  δm = w - m g.
        scatterActive(active, rhs, into: &v)
        applyLabelInverses(inverse, v, into: &dz)
        for i in 0..<(k * nodes) { dz[i] = y[i] - dz[i] }
      }
      var dm = [Double](repeating: 0, count: nK)
      for (i, pair) in active.enumerated() { dm[i] = rhs[i] - mK[i] * gValue[pair] }
      // Step, halved while the residual does not decrease.
      let start = (lambda, mu)
      var alpha = 1.0
      var accepted = false
      let normBefore = norm
      for _ in 0..<8 {
        for a in 0..<nA { for t in 0..<k where pA[a * k + t] > 0 { lambda[a * k + t] = start.0[a * k + t] + alpha * dz[t * nodes + a] } }
        for b in 0..<nB {
          for t in 0..<k where isFree(node: nA + b, label: t) { mu[b * k + t] = start.1[b * k + t] + alpha * dz[t * nodes + nA + b] }
        }
        _ = evaluate(lambda: lambda, mu: mu, g: &gValue, soft: &soft, maxG: &top)
        let trial = (0..<nK).map { mK[$0] + alpha * dm[$0] }
        let trialNorm = residualNorm(trial)
        if trialNorm < (1 - 1e-4 * alpha) * norm {
          mK = trial
          norm = trialNorm
          accepted = true
          break
        }
        alpha *= 0.5
      }
      steps += 1
      if givesUp && (alpha < 1 || !(norm <= 0.5 * normBefore)) { break }
      // Update the set: add the pairs that violate g <= 0 after every step;
      // once Newton has converged on the set (or stalls), also drop the
      // pairs whose mass is not positive, and before that those whose mass
      // is clearly negative (below -norm/10). (Dropping on a transiently
      // negative mass can cycle.)
      var member = [Bool](repeating: false, count: nA * nB)
      for pair in active { member[pair] = true }
      // (Converged: a residual of 1e-6 for the inexact matrix-free solves,
      // 1e-9 for the dense ones, where the signs of the masses are settled.)
      let converged = !accepted || norm <= (iterative ? 1e-6 : 1e-9)
      let clearlyNegative = iterative ? -Double.infinity : -0.1 * normBefore
      var keep = [Int](), keptMass = [Double]()
      for (i, pair) in active.enumerated() where mK[i] > 0 || !(converged || mK[i] < clearlyNegative) {
        keep.append(pair)
        keptMass.append(mK[i])
      }
      var added = 0
      for pair in 0..<(nA * nB) where pairAllowed[pair] && !member[pair] && gValue[pair] > 0 {
        keep.append(pair)
        keptMass.append(0)
        added += 1
      }
      if keep.count == nK && added == 0 {
        if accepted && !converged { continue }
        break
      }
      if keep.isEmpty { break }
      active = keep
      mK = keptMass
      nK = active.count
      schur = [Double](repeating: 0, count: iterative ? 0 : nK * nK)
      rhs = [Double](repeating: 0, count: nK)
      norm = residualNorm(mK)
      if givesUp && !(norm <= initialNorm) { break }
    }
    if best == nil || best!.gapBits > targetGap {
      let outcome = certificate(mK)
      if best == nil || outcome.gapBits < best!.gapBits { best = outcome }
    }
    restore(saved)
    guard let result = best, result.gapBits < incumbent else { return (nil, steps) }
    return (result, steps)
  }

  /// `out_t = G_t x_t` for every label `t`, where `G_t` is the t-th
  /// `nodes x nodes` block of `inverse` (`nodes = nA + nB`) and vectors are
  /// label-major (`t * nodes + node`).
  func applyLabelInverses(_ inverse: [Double], _ x: [Double], into out: inout [Double]) {
    labelProducts(inverse, x, into: &out)
  }

  private func labelProducts(_ g: UnsafePointer<Double>, _ x: UnsafePointer<Double>, into y: UnsafeMutablePointer<Double>) {
    let nodes = nA + nB
    for t in 0..<k {
      let block = g + t * nodes * nodes, xt = x + t * nodes
      for i in 0..<nodes { y[t * nodes + i] = dotProduct(block + i * nodes, xt, nodes) }
    }
  }


  /// The lower triangle of the crossover's `S = Eᵀ D⁻¹ E` (`|K| x |K|`,
  /// row-major into `S`; the strict upper triangle is not written) and its
  /// right-hand side `Eᵀ y + g` (into `rhs`), from the label blocks of `D⁻¹`
  /// (`inverse`, symmetric, as for `applyLabelInverses`).
  ///
  /// Row `j` first gathers `R[node][t] = s_j[t] (G_t[a_j][node] +
  /// G_t[b_j][node])`; then `S_ji = Σ_t s_i[t] (R[a_i][t] + R[b_i][t])` is
  /// a contiguous dot product over the labels.
  func formActiveSchur(_ active: [Int], inverse: [Double], y: [Double], into S: inout [Double], rhs: inout [Double]) {
    let k = self.k, nA = self.nA, nB = self.nB, nodes = nA + nB, nK = active.count
    var gathered = [Double](repeating: 0, count: nodes * k)
    S.withUnsafeMutableBufferPointer { Sp in
      inverse.withUnsafeBufferPointer { G in
        soft.withUnsafeBufferPointer { sf in
          gathered.withUnsafeMutableBufferPointer { Rp in
            let R = Rp.baseAddress!
            for j in 0..<nK {
              let pj = active[j]
              let aj = pj / nB, bj = nA + pj % nB
              let sj = sf.baseAddress! + pj * k
              var e = gValue[pj]
              for t in 0..<k { e += sj[t] * (y[t * nodes + aj] + y[t * nodes + bj]) }
              rhs[j] = e
              for t in 0..<k {
                let g = G.baseAddress! + t * nodes * nodes
                let ga = g + aj * nodes, gb = g + bj * nodes
                let st = sj[t]
                for node in 0..<nodes { R[node &* k &+ t] = st * (ga[node] + gb[node]) }
              }
              let row = Sp.baseAddress! + j * nK
              for i in 0...j {
                let pi = active[i]
                let ai = pi / nB, bi = nA + pi % nB
                row[i] = dotProductOfSum(sf.baseAddress! + pi * k, R + ai * k, R + bi * k, k)
              }
            }
          }
        }
      }
    }
  }

  /// The multipliers of label `t` (rows of A, then rows of B) whose
  /// crossover step is held at 0: those that are not free (`isFree`), and
  /// one free node of every connected component of the label's graph
  /// (nodes joined by the pairs of `active` on which `t` is allowed and
  /// whose weight `m s_t` in `D` is not 0, as it is when the softmax
  /// underflows) that holds no fixed node, the one with the largest degree.
  ///
  /// Adding `c` to the multipliers of the A rows of such a component and
  /// subtracting it from those of its B rows changes no `λ + μ` on its
  /// pairs: `D` is singular on it, and the equations are those of a
  /// smaller system in which one of its multipliers is fixed. The marginal
  /// equation of the held node is implied by the others of the component
  /// exactly when the component's A and B masses of `t` balance, which they
  /// do for the active set of a solution; the residual keeps it, so a wrong
  /// set shows as a residual that does not vanish. Sparse tables (fitted
  /// tables with most cells 0) have labels whose active pairs split into
  /// several components.
  func heldNodes(_ active: [Int], _ mK: [Double], label t: Int) -> [Bool] {
    let nodes = nA + nB
    var parent = Array(0..<nodes)
    func root(_ x: Int) -> Int {
      var x = x
      while parent[x] != x { parent[x] = parent[parent[x]]; x = parent[x] }
      return x
    }
    var degree = [Int](repeating: 0, count: nodes)
    for (i, pair) in active.enumerated() {
      let a = pair / nB, b = pair % nB
      guard pA[a * k + t] > 0 && pB[b * k + t] > 0 && mK[i] * soft[pair * k + t] != 0 else { continue }
      degree[a] += 1
      degree[nA + b] += 1
      let (x, y) = (root(a), root(nA + b))
      if x != y { parent[x] = y }
    }
    var held = (0..<nodes).map { !isFree(node: $0, label: t) }
    var grounded = [Bool](repeating: false, count: nodes)
    for node in 0..<nodes where held[node] { grounded[root(node)] = true }
    // The free node of largest degree of each component without a fixed one.
    var choice = [Int](repeating: -1, count: nodes)
    for node in 0..<nodes where !held[node] {
      let r = root(node)
      guard !grounded[r] else { continue }
      if choice[r] < 0 || degree[node] > degree[choice[r]] { choice[r] = node }
    }
    for node in choice where node >= 0 { held[node] = true }
    return held
  }

  /// The multipliers that are unknowns (`isFree`), over all labels.
  var freeMultiplierCount: Int {
    var count = 0
    for t in 0..<k { for node in 0..<(nA + nB) where isFree(node: node, label: t) { count += 1 } }
    return count
  }

  /// Whether multiplier `node` (rows of A, then rows of B) of label `t` is
  /// an unknown: positive mass and not the gauge.
  @inline(__always)
  func isFree(node: Int, label t: Int) -> Bool {
    if node < nA { return pA[node * k + t] > 0 }
    let b = node - nA
    return pB[b * k + t] > 0 && pinned[t] != b
  }
}

