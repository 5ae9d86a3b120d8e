import RealModule

/// Primal–dual interior-point method for the BROJA dual; see
/// `CouplingProblem.solve`. Works on a reduced problem where every row and
/// label has positive mass, `nA, nB >= 2` and `k >= 2`; the Newton systems
/// are on the side of B, so `nA >= nB` is the cheaper orientation.
///
/// Variables: multipliers `x = (λ, μ)` kept strictly dual feasible
/// (`σ(a,b) = -g(a,b) > 0` on every pair with an allowed label) and pair
/// masses `m > 0`. Newton steps on the perturbed KKT system
/// `Σ m s = p` (marginals), `m σ = τ`; eliminating `m` leaves, per pair,
/// the `k x k` block `diag(q) + c q qᵀ` with `c = (1/σ - 1)/m` in the
/// system for `x`.
final class InteriorPointSolver {
  let nA: Int, nB: Int, k: Int
  let pA: [Double], pB: [Double]
  let rowMassA: [Double]
  /// The mass of each label (column sums of A).
  let labelMass: [Double]
  /// For each label, the row of B whose multiplier is fixed to 0 (gauge).
  let pinned: [Int]
  /// Whether a pair has at least one allowed label.
  let pairAllowed: [Bool]
  let pairCount: Int
  /// Whether some cell has mass in `(0, tinyCell]` (`tameTinyCells`).
  let hasTinyCells: Bool
  /// Whether the path adapts to a wide range of the positive cells (the
  /// smallest below `wideRange` times the largest, and the solver made
  /// with `adaptingToRange`): a weighted central path (`pathWeight`) and a
  /// step safeguard that also watches the marginal residual (`run`).
  let spansWideRange: Bool
  /// The weight of each allowed pair in the central path, whose pair
  /// targets are `m σ = τ w`; mean 1 over the allowed pairs. On tables
  /// that span a wide range, the pair's mass in the product coupling
  /// (scaled): every positive weighting leads to the same optimal value,
  /// and this one keeps a pair's complementarity in proportion to the mass
  /// it starts with, so that pairs built from tiny cells are not held at
  /// products `m σ` many orders of magnitude above their masses (with
  /// equal weights their slacks would have to be of order `τ / m`, and the
  /// multipliers of their cells move by as much when the path closes them,
  /// which on heavy-tailed tables left steps that no safeguard could
  /// shorten into a usable one). Otherwise 1 on every allowed pair.
  let pathWeight: [Double]

  var lambda: [Double], mu: [Double]
  var mass: [Double]
  /// The slack variable σ > 0 of `g + σ = 0` (equal to -g only at the
  /// limit: steps are taken in (x, m, σ) jointly).
  var slack: [Double]
  // At the current x: g and the softmax s.
  var gValue: [Double]
  var soft: [Double]
  /// Workers sharing the rows of the Schur complement by label (nil: this
  /// process forms all of it).
  var split: (any Workers)? = nil
  /// Most conjugate-gradient iterations of one solve so far (MatrixFreeSystem.swift).
  var lastIterations = 0
  /// Relative accuracy of the conjugate-gradient solves of this step.
  var iterativeTolerance = 1e-8
  /// Gap (bits) at which `certify` stops trying further candidates.
  var certificateTarget = 0.0
  /// Storage that `factor()` reuses from step to step.
  let factorBuffers = FactorBuffers()

  static let negligibleMass = 1e-300
  /// Complementarity below which the reduced system is kept only while
  /// each step at least halves the path's certificate (`run`).
  static let reducedEndLevel = 1e-7
  /// Problems of at most this many cells whose path ends above the target
  /// gap get their dual end polished (`polishedDualBound`) ...
  static let polishLimit = 20_000
  /// ... with this many sweeps.
  static let polishSweeps = 4
  /// Problems whose augmented system has at most this many unknowns are
  /// always solved with it (dense LU): exact to the end of the path.
  static let augmentedLimit = 100
  /// Above this many unknowns the augmented system is too slow even as a
  /// fallback.
  static let augmentedFallbackLimit = 3000
  /// Complementarity levels at which the crossover is tried, in order. From
  /// 1e-5 on the active set is usually settled (predicted as in `run`),
  /// and an attempt that does not converge gives up within a step or two.
  static let crossoverLevels = [1e-5, 1e-7, 1e-9, 1e-11]
  /// The same for large problems, whose crossover steps (matrix-free) cost
  /// far less than an interior-point step: tried from early on.
  static let earlyCrossoverLevels = [1e-5, 3e-6, 1e-6, 3e-7, 1e-7, 1e-9, 1e-11]
  /// The path's iterates are certified (`certify`) once the
  /// complementarity is below this factor times the target gap, or times
  /// 1e-10 bits when the target is smaller: an iterate's certificate is
  /// about its complementarity, so earlier ones cannot end the path (they
  /// would only feed the stall test and the best dual end kept for the
  /// dual barrier). (A factor of 1e2 lost one heavy-tailed table of
  /// `scripts/stress-pid.py` in a hundred.)
  static let certifyingFactor = 1e3
  /// Steps without a better certificate of the path after which a small
  /// problem's path is given up (`run`); large ones give up after 6. On
  /// near-independent tables (a label nearly independent of both sources,
  /// as permutation replicates produce) the dual is nearly flat along the B
  /// multipliers and the path's certificates can stall for several steps
  /// before improving.
  static let smallPatience = 40
  /// The path's certificates try the matrix-scaled candidates only when
  /// the plain rounding is within this factor of the target: scaling
  /// closes at most a factor of about ten, so farther from the target it
  /// cannot end the path (the final certificate tries them always).
  static let pathScalingReach = 30.0
  /// Largest relative change `|g + σ| / σ` of a slack that the step
  /// safeguard may reset to `-g` (`slackResets`).
  static let slackResetBand = 0.5
  /// Most centrality correctors per step (`centralityCorrected`), each one
  /// more solve with the step's factorization.
  static let centralityCorrectors = 2
  /// Tables whose smallest positive cell is below this share of the
  /// largest span a wide range (`spansWideRange`). (Tables of counts, whose
  /// cells are multiples of 1/N, do not.)
  static let wideRange = 1e-8

  /// A solver of the reduced problem `pA`, `pB` (row-major `nA x k`,
  /// `nB x k`). With `adaptingToRange` false the path is the plain one
  /// whatever the range of the cells.
  init(pA: [Double], pB: [Double], nA: Int, nB: Int, k: Int, adaptingToRange: Bool = true) {
    self.nA = nA
    self.nB = nB
    self.k = k
    self.pA = pA
    self.pB = pB
    rowMassA = (0..<nA).map { a in (0..<k).reduce(0.0) { $0 + pA[a * k + $1] } }
    var labelMass = [Double](repeating: 0, count: k)
    for a in 0..<nA { for t in 0..<k { labelMass[t] += pA[a * k + t] } }
    self.labelMass = labelMass
    pinned = (0..<k).map { t in (0..<nB).first { pB[$0 * k + t] > 0 }! }
    var allowed = [Bool](repeating: false, count: nA * nB)
    var initialMass = [Double](repeating: 0, count: nA * nB)
    for a in 0..<nA {
      for b in 0..<nB {
        for t in 0..<k where pA[a * k + t] > 0 && pB[b * k + t] > 0 {
          allowed[a * nB + b] = true
          initialMass[a * nB + b] += pA[a * k + t] * pB[b * k + t] / labelMass[t]
        }
      }
    }
    pairAllowed = allowed
    pairCount = allowed.filter { $0 }.count
    let positiveCells = (pA + pB).filter { $0 > 0 }
    spansWideRange = adaptingToRange && positiveCells.min()! < Self.wideRange * positiveCells.max()!
    let weightScale = Double(pairCount) / initialMass.reduce(0, +)
    pathWeight = spansWideRange ? initialMass.map { $0 * weightScale } : allowed.map { $0 ? 1 : 0 }
    hasTinyCells = positiveCells.contains { $0 <= Self.tinyCell }
    // Start from the product coupling's multipliers, shifted strictly
    // inside the dual feasible set.
    lambda = (0..<(nA * k)).map { i in
      pA[i] > 0 ? Double.log(pA[i]) - Double.log(labelMass[i % k]) : -.infinity
    }
    mu = pB.map { $0 > 0 ? Double.log($0) : -.infinity }
    for t in 0..<k {
      let shift = mu[pinned[t] * k + t]
      for b in 0..<nB where pB[b * k + t] > 0 { mu[b * k + t] -= shift }
      for a in 0..<nA where pA[a * k + t] > 0 { lambda[a * k + t] += shift }
    }
    mass = initialMass.map { max($0, 1e-12) }
    gValue = [Double](repeating: 0, count: nA * nB)
    soft = [Double](repeating: 0, count: nA * nB * k)
    slack = []
    var top = -Double.infinity
    _ = evaluate(lambda: lambda, mu: mu, g: &gValue, soft: &soft, maxG: &top)
    // Make every g <= -1/2.
    let shift = top + 0.5
    for i in 0..<lambda.count where pA[i] > 0 { lambda[i] -= shift }
    _ = evaluate(lambda: lambda, mu: mu, g: &gValue, soft: &soft, maxG: &top)
    slack = gValue.map { $0.isFinite ? -$0 : 1 }
    for pair in 0..<(nA * nB) where !pairAllowed[pair] { mass[pair] = 0 }
    raiseOffCentreMasses()
  }

  /// Share of the average complementarity below which a pair's starting
  /// product `m σ` is raised (`raiseOffCentreMasses`).
  static let startingCentrality = 0.3

  /// Raises the starting mass of every allowed pair whose product `m σ` is
  /// below `startingCentrality` times the average times its weight
  /// (`pathWeight`) to that level (σ is unchanged), so that the path
  /// starts near the weighted central path. Tables whose products are all
  /// within the band start at the product coupling. The masses need not be
  /// feasible: the marginal residuals are part of every Newton step.
  func raiseOffCentreMasses() {
    var total = 0.0
    for pair in 0..<(nA * nB) where pairAllowed[pair] { total += mass[pair] * slack[pair] }
    let floor = Self.startingCentrality * total / Double(pairCount)
    for pair in 0..<(nA * nB) where pairAllowed[pair] && mass[pair] * slack[pair] < floor * pathWeight[pair] {
      mass[pair] = floor * pathWeight[pair] / slack[pair]
    }
  }

  /// `max |p - Σ (m + alpha dm) s|` over the cells (`residuals`), with the
  /// softmax `s` of the current multipliers.
  func residualNorm(massStep: [Double], alpha: Double) -> Double {
    let (rA, rB) = residuals(massStep: massStep, alpha: alpha)
    var largest = 0.0
    for x in rA { largest = max(largest, abs(x)) }
    for x in rB { largest = max(largest, abs(x)) }
    return largest
  }

  /// Computes g and the softmax at (λ, μ). Returns false if some allowed
  /// pair has g >= 0 (not strictly dual feasible).
  func evaluate(lambda: [Double], mu: [Double], g gOut: inout [Double], soft: inout [Double], maxG: inout Double) -> Bool {
    evaluatePairs(lambda, mu, g: &gOut, soft: &soft, maxG: &maxG)
  }

  /// `evaluate` over pointers: `g` per pair (`-∞` for pairs without an
  /// allowed label) and the softmax per pair and label.
  private func evaluatePairs(_ lambda: UnsafePointer<Double>, _ mu: UnsafePointer<Double>, g: UnsafeMutablePointer<Double>,
                             soft: UnsafeMutablePointer<Double>, maxG: inout Double) -> Bool {
    let k = self.k, nB = self.nB
    var feasible = true
    var top = -Double.infinity
    for pair in 0..<(nA &* nB) {
      guard pairAllowed[pair] else { g[pair] = -.infinity; continue }
      let value = logSumExp(lambda + (pair / nB) &* k, mu + (pair % nB) &* k, softmax: soft + pair &* k, k)
      top = max(top, value)
      if !(value < 0) { feasible = false }
      g[pair] = value
    }
    maxG = top
    return feasible
  }

  /// Marginal residuals `p - Σ m s`; with `massStep`, of the masses
  /// `m + alpha dm` (at least `negligibleMass` on every allowed pair).
  func residuals(massStep: [Double]? = nil, alpha: Double = 0) -> (rA: [Double], rB: [Double]) {
    var rA = pA, rB = pB
    for a in 0..<nA {
      for b in 0..<nB {
        let pair = a * nB + b
        var m = mass[pair]
        if let massStep, pairAllowed[pair] { m = max(m + alpha * massStep[pair], Self.negligibleMass) }
        guard m > 0 else { continue }
        for t in 0..<k {
          let x = m * soft[pair * k + t]
          rA[a * k + t] -= x
          rB[b * k + t] -= x
        }
      }
    }
    return (rA, rB)
  }


  // MARK: The path

  /// A Newton direction for pair targets of `m σ`, or nil when the system
  /// cannot give one: the iterative solve did not converge, or rounding in
  /// a (near-)singular factorization left a non-finite entry.
  func direction(targets: [Double], factorization: Factorization?, augmented: AugmentedSystem?, blocks: LabelBlocks? = nil) -> (dA: [Double], dB: [Double], dm: [Double])? {
    guard let d = newtonDirection(targets: targets, factorization: factorization, augmented: augmented, blocks: blocks) else { return nil }
    // (Multipliers of empty cells are not used.)
    func finite(_ values: [Double], _ masses: [Double]) -> Bool {
      values.indices.allSatisfy { i in values[i].isFinite || masses[i] <= 0 }
    }
    guard finite(d.dA, pA), finite(d.dB, pB), (0..<mass.count).allSatisfy({ !pairAllowed[$0] || d.dm[$0].isFinite }) else { return nil }
    return d
  }

  func newtonDirection(targets: [Double], factorization: Factorization?, augmented: AugmentedSystem?, blocks: LabelBlocks?) -> (dA: [Double], dB: [Double], dm: [Double])? {
    if factorization != nil || blocks != nil {
      let rhs = rightHandSide(targets: targets)
      var dA: [Double], dB: [Double]
      if let f = factorization {
        (dA, dB) = solve(f, rA: rhs.rA, rB: rhs.rB)
      } else {
        // Inexact Newton: relative accuracy of the order of the
        // complementarity (the directions need not be exact, the residuals
        // are recomputed every step).
        guard let d = iterativeSolve(blocks!, rA: rhs.rA, rB: rhs.rB, tolerance: iterativeTolerance) else { return nil }
        (dA, dB) = d
      }
      tameTinyCells(&dA, &dB)
      let rates = slackRates(dA, dB)
      var dm = [Double](repeating: 0, count: mass.count)
      for pair in 0..<mass.count where pairAllowed[pair] {
        dm[pair] = (targets[pair] + mass[pair] * (gValue[pair] + rates[pair])) / slack[pair]
      }
      return (dA, dB, dm)
    }
    return augmented.map { augmentedSolve($0, targets: targets) }
  }

  /// Cells of at most this mass (the table has mass 1) are the ones whose
  /// multiplier step `tameTinyCells` may replace ...
  static let tinyCell = 1e-10
  /// ... when their current marginal is below their mass by more than
  /// this factor.
  static let farCell = 100.0

  /// Replaces the Newton step of the multiplier of a tiny cell (mass `p` at
  /// most `tinyCell`) whose current marginal `q = Σ m s` is below `p / farCell`
  /// by `log(p / q)`, when the Newton step differs from that by more than 1.
  /// Such a cell's marginal is `exp(multiplier)` times terms it barely
  /// affects, so `log(p / q)` is the step that meets it, while the
  /// linearization asks for `(p - q) / q` or worse, after which g can be
  /// far above 0 at any step length the safeguard tries. Other cells keep their Newton steps; tables
  /// without tiny cells are not looked at.
  func tameTinyCells(_ dA: inout [Double], _ dB: inout [Double]) {
    guard hasTinyCells else { return }
    let (rA, rB) = residuals()
    func tamed(_ step: inout Double, p: Double, q: Double) {
      guard p > 0, p <= Self.tinyCell, q > 0, p > Self.farCell * q else { return }
      let logStep = Double.log(p / q)
      if abs(step - logStep) > 1 { step = logStep }
    }
    for i in 0..<pA.count { tamed(&dA[i], p: pA[i], q: pA[i] - rA[i]) }
    for i in 0..<pB.count where pinned[i % k] != i / k { tamed(&dB[i], p: pB[i], q: pB[i] - rB[i]) }
  }

  func run(options: SolverOptions) -> Outcome {
    split = options.splitsLabels(nA: nA, nB: nB, k: k) ? options.workers : nil
    certificateTarget = options.targetGap
    var steps = 0
    var best: Outcome? = nil
    // The iterate whose certificate had the best dual end so far.
    var bestDualState: SavedState? = nil
    var lastImprovement = 0
    // The best gap of the path's own certificates (bits).
    var pathBest = Double.infinity
    var crossoverAttempts = 0
    // Newton steps of crossovers that were given up: not part of the path's
    // step count (which paces the loop) but reported.
    var discardedSteps = 0
    // The crossover's guess of the active set, from the last step.
    var predictedActive: [Int]? = nil
    var iterativeFailed = false
    // Set when no step along a direction of the reduced (or matrix-free)
    // system met the safeguard, or the residual test held a step of the
    // reduced system below a tenth of its bound: the next direction comes
    // from the augmented system.
    var reducedRejected = false
    // Set once, below `reducedEndLevel`, a step of the path fails to halve
    // its certificate: from then on the augmented system is used (while
    // affordable).
    var reducedStalled = false
    var previousPathGap = Double.infinity
    lastIterations = 0
    let crossoverLevels = usesIterativeSystems ? Self.earlyCrossoverLevels : Self.crossoverLevels
    let n = Double(pairCount)
    // Small problems: those that use the augmented system throughout.
    let patience = (nA + nB) * k <= Self.augmentedLimit ? Self.smallPatience : 6
    while steps < options.maximumNewtonSteps {
      let complementarity = (0..<mass.count).reduce(0.0) { pairAllowed[$1] ? $0 + mass[$1] * slack[$1] : $0 }
      // The certificate is cheap (one pass over the cells): try it as soon
      // as the complementarity allows the target, keep the best, and stop
      // when it is reached or has not improved for a while (near the end
      // rounding can make further steps worse).
      // Crossover (Crossover.swift) once the active pairs stand out:
      // a few Newton steps on the active set usually reach the target
      // without the ill-conditioned end of the path.
      if crossoverAttempts < crossoverLevels.count
        && complementarity < crossoverLevels[crossoverAttempts] {
        while crossoverAttempts < crossoverLevels.count
          && complementarity < crossoverLevels[crossoverAttempts] { crossoverAttempts += 1 }
        // The dense crossover factors a |K| x |K| system per step: tried
        // only while |K| is at most max(500, twice the rows of the path's
        // Schur complement).
        let (tried, newtonSteps) = crossover(
          targetGap: options.targetGap, incumbent: best?.gapBits ?? .infinity,
          maximumActive: usesIterativeSystems ? .max : max(500, 2 * nB * k),
          guess: usesIterativeSystems ? nil : predictedActive, givesUp: !usesIterativeSystems)
        if let outcome = tried {
          steps += newtonSteps
          best = outcome.merged(with: best)
          lastImprovement = steps
          if best!.gapBits <= options.targetGap { break }
        } else {
          discardedSteps += newtonSteps
        }
      }
      if complementarity / naturalLogOf2 < Self.certifyingFactor * max(options.targetGap, 1e-10) {
        let outcome = certify(scalingReach: Self.pathScalingReach)
        if outcome.lowerNats > (best?.lowerNats ?? -.infinity) { bestDualState = save() }
        best = outcome.merged(with: best)
        // The path has stalled when its own certificates stop improving: a
        // better one from a crossover that fell short says nothing about
        // the path.
        if outcome.gapBits < pathBest {
          pathBest = outcome.gapBits
          lastImprovement = steps
        }
        if !(outcome.gapBits <= 0.5 * previousPathGap) && complementarity < Self.reducedEndLevel { reducedStalled = true }
        previousPathGap = outcome.gapBits
        if best!.gapBits <= options.targetGap || steps - lastImprovement >= patience { break }
      }
      // Small problems always use the augmented system; larger ones the
      // reduced one, falling back to the augmented one (while affordable)
      // when rounding makes the reduced one indefinite near the end.
      let unknowns = (nA + nB) * k + activeCount()
      // Large problems: conjugate gradients with the per-label
      // preconditioner (MatrixFreeSystem.swift) while they converge; the
      // dense Schur complement from the first failure on.
      var blocks: LabelBlocks? = nil
      if usesIterativeSystems && !iterativeFailed {
        blocks = interiorPreconditioner()
        if blocks == nil { iterativeFailed = true }
      }
      // Conjugate gradients slow down as the path narrows: from
      // `iterativeSwitch` iterations on, the dense system is cheaper.
      defer { if lastIterations > Self.iterativeSwitch { iterativeFailed = true } }
      var f: Factorization? = nil
      // Near the end the reduced system can lose the primal residual to
      // cancellation (on near-degenerate tables its certificates stop
      // improving); the augmented one (exact up to rounding) keeps it.
      let nearEnd = complementarity < Self.reducedEndLevel && unknowns <= Self.augmentedFallbackLimit / 3
      if reducedRejected && unknowns <= Self.augmentedFallbackLimit { blocks = nil }
      if blocks == nil && unknowns > Self.augmentedLimit && !(nearEnd && reducedStalled) && !reducedRejected {
        f = factor()
        if f == nil && unknowns > Self.augmentedFallbackLimit { break }
      }
      let augmented = f == nil && blocks == nil ? augmentedSystem() : nil
      if f == nil && augmented == nil && blocks == nil { break }
      let average = complementarity / n
      iterativeTolerance = max(1e-10, min(1e-3, 100 * complementarity))
      // Predictor (affine scaling): targets m σ -> 0.
      let zero = [Double](repeating: 0, count: mass.count)
      // When a system gives no direction, the next step tries another:
      // the dense systems after the matrix-free one, and after a
      // non-finite direction of the reduced system the augmented one,
      // while affordable. Returns false when none is left (the path ends).
      func switchesSystem() -> Bool {
        if blocks != nil { iterativeFailed = true; return true }
        if f != nil && !reducedRejected && unknowns <= Self.augmentedFallbackLimit { reducedRejected = true; return true }
        return false
      }
      guard let (aA, aB, dmAffine) = direction(targets: zero, factorization: f, augmented: augmented, blocks: blocks) else {
        if switchesSystem() { continue }
        break
      }
      let rateAffine = slackRates(aA, aB)
      let dsAffine = slackSteps(rates: rateAffine)
      let alphaAffine = stepBound(dm: dmAffine, ds: dsAffine, fraction: 1)
      var affineComplementarity = 0.0
      for pair in 0..<mass.count where pairAllowed[pair] {
        affineComplementarity += (mass[pair] + alphaAffine * dmAffine[pair])
          * (slack[pair] + alphaAffine * dsAffine[pair])
      }
      let ratio = max(0, affineComplementarity) / max(complementarity, 1e-300)
      let tau = ratio * ratio * ratio * average
      // Corrector: targets τ w - Δm_aff Δσ_aff.
      var targets = [Double](repeating: 0, count: mass.count)
      for pair in 0..<mass.count where pairAllowed[pair] {
        targets[pair] = tau * pathWeight[pair] - dmAffine[pair] * dsAffine[pair]
      }
      guard let corrector = direction(targets: targets, factorization: f, augmented: augmented, blocks: blocks) else {
        if switchesSystem() { continue }
        break
      }
      var step = completed(corrector)
      // (Conjugate-gradient solves cost as much as the step itself.)
      if blocks == nil {
        step = centralityCorrected(step, targets: targets, tau: tau, factorization: f, augmented: augmented)
      }
      let (dA, dB, dm, ds) = (step.dA, step.dB, step.dm, step.ds)
      var alpha = step.bound
      // Active pairs are those whose slack the step shrinks faster,
      // relatively, than their mass (an indicator in the manner of Tapia's,
      // on the step about to be taken): on random 20x20x10 tables exact some two steps before
      // `σ < m` is.
      predictedActive = (0..<mass.count).filter { pairAllowed[$0] && ds[$0] * mass[$0] < dm[$0] * slack[$0] }
      // Safeguard: g is nonlinear and pairs of vanishing mass barely weigh
      // in the Newton system, so a full step can leave g far above -σ. The
      // step is shortened (by `shrink`, at most `tries` times, down to about
      // 5e-10) until the dual infeasibility max |g + σ| is at most the
      // largest of: its current value, 1e-8, the average complementarity,
      // `share` times the total complementarity (capped at 1), and ten times
      // its current value up to 1e-3. The iterates thus stay in a
      // neighbourhood of the central path, on which the dual bound depends.
      // A trial step that misses the limit only on pairs whose slack can be
      // reset to -g within `slackResetBand` (`slackResets`) is taken with
      // those slacks reset: the limit bounds the error of the linearization
      // of g, which is large on pairs whose σ of order 1-10 must close
      // (near-deterministic tables). Matrix-free problems keep the tighter
      // neighbourhood (`share` 0.1), halve, and do not reset.
      //
      // On tables whose cells span a wide range (`spansWideRange`) a trial
      // step must also shrink the marginal residual `max |p - Σ m s|` by
      // the factor `1 - alpha/2` (or leave it below the complementarity, or
      // at the rounding level of marginals of a table of mass 1, 1e-15):
      // there the softmax of a pair can move most of its mass between
      // labels within one step, and a step that the dual safeguard accepts
      // can multiply the residual, which no later step then reduces (the
      // certificate's ends then stay apart by the residual times the
      // multipliers). A step that this test holds below a tenth of its
      // bound on the reduced system has a direction too inexact to be
      // worth its length: the next one comes from the augmented system.
      let (share, shrink, tries) = usesIterativeSystems ? (0.1, 0.5, 30) : (1.0, 0.7, 60)
      let before = dualInfeasibility()
      let residualBefore = spansWideRange ? residualNorm(massStep: dm, alpha: 0) : 0
      let saved = (lambda, mu, gValue, soft)
      var top = 0.0
      var reset: [Int] = []
      var accepted = false
      var residualLimited = false
      for _ in 0..<tries {
        for i in 0..<lambda.count where pA[i] > 0 { lambda[i] = saved.0[i] + alpha * dA[i] }
        for i in 0..<mu.count where pB[i] > 0 { mu[i] = saved.1[i] + alpha * dB[i] }
        _ = evaluate(lambda: lambda, mu: mu, g: &gValue, soft: &soft, maxG: &top)
        let residualHeld = !spansWideRange
          || residualNorm(massStep: dm, alpha: alpha) <= max((1 - 0.5 * alpha) * residualBefore, complementarity, 1e-15)
        if !residualHeld { residualLimited = true }
        let limit = max(before, 1e-8, average, share * min(1, complementarity), min(10 * before, 1e-3))
        if residualHeld && dualInfeasibility(slackStep: ds, alpha: alpha) <= limit { accepted = true; break }
        if !usesIterativeSystems, residualHeld, let pairs = slackResets(slackStep: ds, alpha: alpha, limit: limit) {
          reset = pairs
          accepted = true
          break
        }
        alpha *= shrink
      }
      // No step length met the safeguard: the direction is unusable (on
      // heavy-tailed tables the reduced system can return huge multiplier
      // steps for tiny cells). The iterate stays where it is; the next direction
      // comes from the augmented system when it is affordable and was not
      // the one rejected, else the path ends with the best certificate.
      if !accepted {
        (lambda, mu, gValue, soft) = saved
        if augmented != nil || (nA + nB) * k + activeCount() > Self.augmentedFallbackLimit { break }
        reducedRejected = true
        continue
      }
      reducedRejected = f != nil && residualLimited && alpha < 0.1 * step.bound
      for pair in 0..<mass.count where pairAllowed[pair] {
        mass[pair] = max(mass[pair] + alpha * dm[pair], 1e-300)
        slack[pair] = max(slack[pair] + alpha * ds[pair], 1e-300)
      }
      for pair in reset { slack[pair] = -gValue[pair] }
      steps += 1
    }
    // The final certificate, with every candidate, unless the target is
    // already reached.
    if !((best?.gapBits ?? .infinity) <= options.targetGap) {
      let outcome = certify()
      if outcome.lowerNats > (best?.lowerNats ?? -.infinity) { bestDualState = save() }
      best = outcome.merged(with: best)
    }
    if best!.gapBits > options.targetGap, let state = bestDualState {
      // The dual barrier method from the multipliers of the best dual end.
      restore(state)
      if let outcome = dualBarrier(targetGap: options.targetGap) {
        best = outcome.merged(with: best)
        if outcome.lowerNats >= best!.lowerNats { bestDualState = save() }
      }
    }
    if best!.gapBits > options.targetGap && nA * nB * k <= Self.polishLimit, let state = bestDualState {
      // Polish the dual end from the multipliers of the best one.
      let current = save()
      restore(state)
      best!.lowerNats = max(best!.lowerNats, polishedDualBound(sweeps: Self.polishSweeps))
      restore(current)
    }
    var result = best!
    result.steps = steps + discardedSteps
    return result
  }

  /// A search direction: multipliers, masses, slacks, and the largest step
  /// in (0, 1] (times 0.995) keeping m > 0 and σ > 0.
  struct Step {
    var dA: [Double], dB: [Double], dm: [Double], ds: [Double]
    var bound: Double
  }

  /// The `Step` of direction `d`: its slack steps and its step bound.
  func completed(_ d: (dA: [Double], dB: [Double], dm: [Double])) -> Step {
    let ds = slackSteps(rates: slackRates(d.dA, d.dB))
    return Step(dA: d.dA, dB: d.dB, dm: d.dm, ds: ds, bound: min(1, stepBound(dm: d.dm, ds: ds, fraction: 0.995)))
  }

  /// Gondzio's multiple centrality correctors (at most
  /// `centralityCorrectors`, while the step bound is below 0.9): each moves
  /// the pair targets of `step` so that the products `m σ` at a longer trial
  /// step fall in `[τ w/10, 10 τ w]` (`pathWeight`), and solves again with the same
  /// factorization. A corrected direction is kept only if its step bound
  /// grows by at least a tenth of the increase sought. Returns `step` or an
  /// improvement of it. One solve each, cheap next to the factorization:
  /// they lengthen steps that a few badly centred pairs would hold short.
  func centralityCorrected(_ step: Step, targets: [Double], tau: Double,
                           factorization f: Factorization?, augmented: AugmentedSystem?) -> Step {
    var best = step
    var targets = targets
    for _ in 0..<Self.centralityCorrectors where best.bound < 0.9 {
      let trial = min(1, best.bound + 0.2)
      for pair in 0..<mass.count where pairAllowed[pair] {
        let product = (mass[pair] + trial * best.dm[pair]) * (slack[pair] + trial * best.ds[pair])
        let level = tau * pathWeight[pair]
        if product < 0.1 * level {
          targets[pair] += 0.1 * level - product
        } else if product > 10 * level {
          targets[pair] -= min(product - 10 * level, 10 * level)
        }
      }
      guard let d = direction(targets: targets, factorization: f, augmented: augmented) else { break }
      let corrected = completed(d)
      guard corrected.bound >= best.bound + 0.1 * (trial - best.bound) else { break }
      best = corrected
    }
    return best
  }

  /// The pairs whose slack is reset to `-g` so that a step of `alpha`
  /// along `slackStep` meets the safeguard's `limit` on `|g + σ|`, or nil
  /// when no reset does. A pair may be reset only where `g < 0` and its
  /// linearized slack `σ' = σ + alpha dσ` is within half of `-g`
  /// (`|g + σ'| <= σ'/2`): the reset keeps σ positive and moves `m σ` by
  /// at most a factor 1.5 from the product the Newton step aimed at. Only
  /// the pairs above `limit` are reset. The reset makes their dual
  /// residual exactly 0; it is what a long step needs when g is far from
  /// linear along it (pairs with a large slack that must close, whose
  /// softmax mass moves between labels).
  func slackResets(slackStep: [Double], alpha: Double, limit: Double) -> [Int]? {
    var pairs = [Int]()
    for pair in 0..<mass.count where pairAllowed[pair] {
      let sigma = max(slack[pair] + alpha * slackStep[pair], 1e-300)
      let excess = abs(gValue[pair] + sigma)
      guard excess > limit else { continue }
      guard gValue[pair] < 0 && excess <= Self.slackResetBand * sigma else { return nil }
      pairs.append(pair)
    }
    return pairs
  }

  /// `max |g + σ|` over the pairs, with σ moved by `alpha * slackStep`.
  func dualInfeasibility(slackStep: [Double]? = nil, alpha: Double = 0) -> Double {
    var largest = 0.0
    for pair in 0..<mass.count where pairAllowed[pair] {
      let sigma = max(slack[pair] + alpha * (slackStep?[pair] ?? 0), 1e-300)
      largest = max(largest, abs(gValue[pair] + sigma))
    }
    return largest
  }

  /// `dσ = -(g + σ) - sᵀ dz` per pair.
  func slackSteps(rates: [Double]) -> [Double] {
    var ds = [Double](repeating: 0, count: mass.count)
    for pair in 0..<mass.count where pairAllowed[pair] {
      ds[pair] = -(gValue[pair] + slack[pair]) - rates[pair]
    }
    return ds
  }

  /// Largest step in (0, 1] keeping m > 0 and σ > 0, times `fraction`.
  func stepBound(dm: [Double], ds: [Double], fraction: Double) -> Double {
    var alpha = 1.0
    for pair in 0..<mass.count where pairAllowed[pair] {
      if dm[pair] < 0 { alpha = min(alpha, fraction * mass[pair] / -dm[pair]) }
      if ds[pair] < 0 { alpha = min(alpha, fraction * slack[pair] / -ds[pair]) }
    }
    return alpha
  }

}

/// `log Σ_t exp(x[t] + y[t])` over `k` labels, with the softmax
/// `exp(x + y - log Σ exp(x + y))` written to `softmax` (shifted by the
/// largest term, so that nothing overflows; labels at `-∞` get 0).
@inline(__always)
private func logSumExp(_ x: UnsafePointer<Double>, _ y: UnsafePointer<Double>, softmax s: UnsafeMutablePointer<Double>,
                       _ k: Int) -> Double {
  var largest = -Double.infinity
  for t in 0..<k { largest = max(largest, x[t] + y[t]) }
  var sum = 0.0
  for t in 0..<k {
    let e = Double.exp(x[t] + y[t] - largest)
    s[t] = e
    sum += e
  }
  let inverse = 1 / sum
  for t in 0..<k { s[t] *= inverse }
  return largest + Double.log(sum)
}
