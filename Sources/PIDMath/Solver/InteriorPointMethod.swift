import RealModule

extension CouplingProblem {
  /// Minimizes `I_q(A, B; T)` over the per-label couplings and certifies
  /// the result.
  ///
  /// Method: a primal–dual interior-point method (Mehrotra
  /// predictor–corrector, with Gondzio's centrality correctors on the dense
  /// systems) on the Lagrange dual
  ///
  ///     max Σ λ p(a,t) + Σ μ p(b,t)  s.t.  g(a,b) = log Σ_t exp(λ(a,t) + μ(b,t)) <= 0,
  ///
  /// whose multipliers are the pair masses `m(a,b) = q(a,b)`; the coupling
  /// is `q(a,b,t) = m(a,b) softmax_t(λ(a,t) + μ(b,t))`. Each Newton system
  /// is reduced to the smaller source by eliminating the `k x k` blocks of
  /// the larger one. The certificate is computed from the final iterate: the
  /// coupling rounded onto the transport polytope of each label (upper end)
  /// and the dual bound of MATH.md section 2 (lower end).
  ///
  /// Labels, rows of `A` and rows of `B` with zero mass are removed before
  /// solving and restored (with zero mass) in the returned coupling.
  public func solve(options: SolverOptions = SolverOptions()) -> CouplingSolution {
    let k = sourceA.columns
    let rowsA = (0..<sourceA.rows).filter { a in (0..<k).contains { sourceA[a, $0] > 0 } }
    let rowsB = (0..<sourceB.rows).filter { b in (0..<k).contains { sourceB[b, $0] > 0 } }
    let labels = (0..<k).filter { t in rowsA.contains { sourceA[$0, t] > 0 } }
    func reduced(_ m: Matrix, _ rows: [Int]) -> [Double] {
      var out = [Double]()
      out.reserveCapacity(rows.count * labels.count)
      for r in rows { for t in labels { out.append(m[r, t]) } }
      return out
    }
    let pA = reduced(sourceA, rowsA)
    let pB = reduced(sourceB, rowsB)
    let kk = labels.count
    let labelMass = (0..<kk).map { t in rowsA.indices.reduce(0.0) { $0 + pA[$1 * kk + t] } }

    let small: (q: [Double], lower: Double?, steps: Int)
    if kk <= 1 || rowsA.count == 1 || rowsB.count == 1 {
      // A single coupling is optimal: the product per label is feasible and
      // either unique (one row) or irrelevant (one label).
      var q = [Double](repeating: 0, count: rowsA.count * rowsB.count * kk)
      for a in rowsA.indices {
        for b in rowsB.indices {
          for t in 0..<kk {
            q[(a * rowsB.count + b) * kk + t] = pA[a * kk + t] * pB[b * kk + t] / labelMass[t]
          }
        }
      }
      small = (q, nil, 0)
    } else if rowsA.count >= rowsB.count {
      let solver = InteriorPointSolver(pA: pA, pB: pB, nA: rowsA.count, nB: rowsB.count, k: kk)
      let result = solver.run(options: options)
      small = (result.q, result.lowerNats, result.steps)
    } else {
      // Eliminate the larger source: swap roles, then transpose back.
      let solver = InteriorPointSolver(pA: pB, pB: pA, nA: rowsB.count, nB: rowsA.count, k: kk)
      let result = solver.run(options: options)
      var q = [Double](repeating: 0, count: result.q.count)
      for b in rowsB.indices {
        for a in rowsA.indices {
          for t in 0..<kk {
            q[(a * rowsB.count + b) * kk + t] = result.q[(b * rowsA.count + a) * kk + t]
          }
        }
      }
      small = (q, result.lowerNats, result.steps)
    }

    // Expand to the full shape and evaluate the certificate's upper end.
    let nA = sourceA.rows, nB = sourceB.rows
    var coupling = [Double](repeating: 0, count: nA * nB * k)
    for (ia, a) in rowsA.enumerated() {
      for (ib, b) in rowsB.enumerated() {
        for (it, t) in labels.enumerated() {
          coupling[(a * nB + b) * k + t] = small.q[(ia * rowsB.count + ib) * kk + it]
        }
      }
    }
    let objective = conditionalEntropyObjective(coupling, pairs: nA * nB, k: k)
    let hT = entropy(labelMass)
    let information = hT + objective / naturalLogOf2
    let lower = small.lower.map { hT + $0 / naturalLogOf2 } ?? information
    return CouplingSolution(
      information: information, lowerBound: min(lower, information + 1e-15),
      coupling: coupling,
      marginalResidual: marginalResidual(coupling),
      newtonSteps: small.steps)
  }

  /// Largest absolute difference between the marginals of `q` and the
  /// problem's tables.
  func marginalResidual(_ q: [Double]) -> Double {
    let sums = pairwiseSums(q, n1: sourceA.rows, n2: sourceB.rows, k: sourceA.columns)
    var largest = 0.0
    for (i, x) in sums.x1y.enumerated() { largest = max(largest, abs(x - sourceA.elements[i])) }
    for (i, x) in sums.x2y.enumerated() { largest = max(largest, abs(x - sourceB.elements[i])) }
    return largest
  }
}

/// `F(q) = Σ q log(q / q(a,b))` in nats, i.e. `-H_q(T | A, B)`.
func conditionalEntropyObjective(_ q: [Double], pairs: Int, k: Int) -> Double {
  var total = 0.0
  for pair in 0..<pairs {
    var mass = 0.0
    var sum = 0.0
    for t in 0..<k {
      let x = q[pair * k + t]
      mass += x
      sum += xLogX(x)
    }
    total += sum - xLogX(mass)
  }
  return total
}

/// Primal–dual interior-point method for the BROJA dual; see
/// `CouplingProblem.solve`. Works on a reduced problem where every row and
/// label has positive mass, `nA >= nB >= 2` and `k >= 2`.
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
  /// For each label, the row of B whose multiplier is fixed to 0 (gauge).
  let pinned: [Int]
  /// Whether a pair has at least one allowed label.
  let pairAllowed: [Bool]
  let pairCount: Int
  /// Whether some cell has mass in `(0, tinyCell]` (`tameTinyCells`).
  let hasTinyCells: Bool

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
  /// Most conjugate-gradient iterations of one solve so far (IterativeNewton.swift).
  var lastIterations = 0
  /// Relative accuracy of the conjugate-gradient solves of this step.
  var iterativeTolerance = 1e-8
  /// Storage that `factor()` reuses from step to step.
  let factorBuffers = FactorBuffers()

  static let negligibleMass = 1e-300
  /// Complementarity below which the reduced system is kept only while
  /// each step at least halves the path's certificate (`run`).
  static let reducedEndLevel = 1e-7
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
  /// Steps without a better certificate of the path after which a small
  /// problem's path is given up (`run`); large ones give up after 6. On
  /// near-independent tables (nearly uniform modalities and a label
  /// nearly independent of them, as permutation replicates produce) the
  /// dual is nearly flat along the B multipliers and the path oscillates
  /// for some ten steps before it settles; a step of a small problem costs
  /// microseconds.
  static let smallPatience = 40
  /// Largest relative change `|g + σ| / σ` of a slack that the step
  /// safeguard may reset to `-g` (`slackResets`).
  static let slackResetBand = 0.5
  /// Most centrality correctors per step (`centralityCorrected`). Each
  /// costs a solve (about a tenth of a step at 20x20x10): a third one, or
  /// correcting steps already longer than 0.9, saved fewer steps than it
  /// cost.
  static let centralityCorrectors = 2

  init(pA: [Double], pB: [Double], nA: Int, nB: Int, k: Int) {
    self.nA = nA
    self.nB = nB
    self.k = k
    self.pA = pA
    self.pB = pB
    rowMassA = (0..<nA).map { a in (0..<k).reduce(0.0) { $0 + pA[a * k + $1] } }
    var labelMass = [Double](repeating: 0, count: k)
    for a in 0..<nA { for t in 0..<k { labelMass[t] += pA[a * k + t] } }
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
    hasTinyCells = (pA + pB).contains { $0 > 0 && $0 <= Self.tinyCell }
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
  /// below `startingCentrality` times the average to that level (σ is
  /// unchanged). The product coupling gives pairs of tiny cells (heavy-tailed
  /// tables: entries from 1e-30 to 0.1) products many orders of magnitude
  /// below the rest; starting that far from the central path held the steps
  /// to a few percent for tens of steps and left some tables stalled above
  /// the target gap. Dense tables, whose products are within the band, start
  /// exactly as before. The masses need not be feasible: the marginal
  /// residuals are part of every Newton step.
  func raiseOffCentreMasses() {
    var total = 0.0
    for pair in 0..<(nA * nB) where pairAllowed[pair] { total += mass[pair] * slack[pair] }
    let floor = Self.startingCentrality * total / Double(pairCount)
    for pair in 0..<(nA * nB) where pairAllowed[pair] && mass[pair] * slack[pair] < floor {
      mass[pair] = floor / slack[pair]
    }
  }

  /// Computes g and the softmax at (λ, μ). Returns false if some allowed
  /// pair has g >= 0 (not strictly dual feasible).
  func evaluate(lambda: [Double], mu: [Double], g gOut: inout [Double], soft: inout [Double], maxG: inout Double) -> Bool {
    let k = self.k, nB = self.nB
    var feasible = true
    var top = -Double.infinity
    lambda.withUnsafeBufferPointer { lam in
      mu.withUnsafeBufferPointer { mu in
        gOut.withUnsafeMutableBufferPointer { sl in
          soft.withUnsafeMutableBufferPointer { sf in
            for a in 0..<nA {
              for b in 0..<nB {
                let pair = a * nB + b
                guard pairAllowed[pair] else { sl[pair] = -.infinity; continue }
                var zmax = -Double.infinity
                for t in 0..<k { zmax = max(zmax, lam[a * k + t] + mu[b * k + t]) }
                var sum = 0.0
                for t in 0..<k {
                  let e = Double.exp(lam[a * k + t] + mu[b * k + t] - zmax)
                  sf[pair * k + t] = e
                  sum += e
                }
                let inverse = 1 / sum
                for t in 0..<k { sf[pair * k + t] *= inverse }
                let g = zmax + Double.log(sum)
                top = max(top, g)
                if !(g < 0) { feasible = false }
                sl[pair] = g
              }
            }
          }
        }
      }
    }
    maxG = top
    return feasible
  }

  /// Marginal residuals `p - Σ m s`.
  func residuals() -> (rA: [Double], rB: [Double]) {
    var rA = pA, rB = pB
    for a in 0..<nA {
      for b in 0..<nB {
        let pair = a * nB + b
        let m = mass[pair]
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

  // MARK: Newton systems

  struct Factorization {
    /// `A_a^{-1}` for every row a, `k x k` each.
    var inverses: [Double]
    /// Cholesky factor of the Schur complement on the B multipliers.
    var schur: [Double]
    /// Per pair: `1/σ - 1`; the pair's block is `diag(q) + (1/σ - 1) s qᵀ`.
    var coefficient: [Double]
    /// Whether a ridge had to be added: solves are then refined.
    var regularized: Bool
  }

  /// Factors `H = Σ_pairs Eᵀ (diag(q) + v qᵀ) E` at the current point,
  /// where `q = m s` and `v = (1/σ - 1) s` (so `v qᵀ = c q qᵀ` with
  /// `c = (1/σ - 1)/m`, written without dividing by a vanishing `m`).
  func factor() -> Factorization? {
    let k = self.k, nA = self.nA, nB = self.nB
    let dim = nB * k
    let buffers = factorBuffers
    var coefficient = [Double](repeating: 0, count: nA * nB)
    for pair in 0..<(nA * nB) where pairAllowed[pair] {
      coefficient[pair] = 1 / slack[pair] - 1
    }
    // The lower triangle of the Schur complement (the strict upper one
    // stays 0) and A_a⁻¹ per row a.
    var schur: [Double] = []
    swap(&schur, &buffers.formed)
    defer { swap(&schur, &buffers.formed) }
    resetToZeros(&schur, count: dim * dim)
    var inverses = [Double](repeating: 0, count: nA * k * k)
    // With workers, this one forms only the rows of its labels.
    let labels = (0..<k).filter { split?.owns($0) ?? true }
    // Multipliers fixed to 0 (no mass, or the gauge) get identity rows:
    // their rows and columns need not be formed.
    let fixed = (0..<dim).map { i in pB[i] == 0 || pinned[i % k] == i / k }
    let formed = schur.withUnsafeMutableBufferPointer { S in
      inverses.withUnsafeMutableBufferPointer { G in
        coefficient.withUnsafeBufferPointer { C in
          formSchurComplement(into: S.baseAddress!, inverses: G.baseAddress!, coefficient: C.baseAddress!,
                              labels: labels, fixed: fixed)
        }
      }
    }
    guard formed else { return nil }
    if let split { shareSchurRows(&schur, split) }
    schur.withUnsafeMutableBufferPointer { S in
      for i in 0..<dim where fixed[i] {
        for j in 0..<i { S[i * dim + j] = 0 }
        for j in (i + 1)..<dim { S[j * dim + i] = 0 }
        S[i * dim + i] = 1
      }
    }
    // Fixed multipliers at the front (the gauge of every label is usually
    // row 0 of B) are a diagonal block the Cholesky need not visit.
    let leading = fixed.firstIndex(of: false) ?? dim
    var largest = 0.0
    for i in 0..<dim { largest = max(largest, schur[i * dim + i]) }
    // The factor is built in the buffer of the previous step's factor (the
    // caller no longer holds that one; if it did, the first write would
    // copy).
    var trial: [Double] = []
    swap(&trial, &buffers.factored)
    defer { buffers.factored = trial }
    if trial.count != dim * dim { trial = [Double](repeating: 0, count: dim * dim) }
    var ridge = largest * 1e-15
    while ridge <= largest * 1e-6 {
      let factored = trial.withUnsafeMutableBufferPointer { T in
        schur.withUnsafeBufferPointer { T.baseAddress!.update(from: $0.baseAddress!, count: dim * dim) }
        for i in 0..<dim { T[i * dim + i] += ridge }
        return choleskyFactor(T.baseAddress!, dim, diagonalLeading: leading)
      }
      if factored {
        return Factorization(inverses: inverses, schur: trial, coefficient: coefficient, regularized: ridge > largest * 1e-14)
      }
      ridge *= 100
    }
    return nil
  }

  /// Storage of `factor()` kept between steps: the Schur complement as
  /// formed, the buffer factored last (shared with the `Factorization`
  /// holding it) and the formation's workspace.
  final class FactorBuffers {
    var formed: [Double] = []
    var factored: [Double] = []
    var workspace: SchurWorkspace? = nil
  }

  /// Makes `buffer` `count` zeros, in place when it has that size already.
  private func resetToZeros(_ buffer: inout [Double], count: Int) {
    if buffer.count == count {
      buffer.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
    } else {
      buffer = [Double](repeating: 0, count: count)
    }
  }

  /// Forms the rows of the Schur complement `Σ_b B_ab - Σ_a Σ_{b,b'} B_ab
  /// A_a⁻¹ B_ab'` on the B multipliers (`dim = nB k` square, row-major)
  /// whose label is in `labels`, lower triangle only (into a zeroed `S`),
  /// and writes every `A_a⁻¹` (`k x k`, `nA` of them) to `inverses`.
  /// Returns false when some `A_a` is not numerically positive definite.
  ///
  /// The rows of A are taken in blocks (`SchurWorkspace`); within a block
  /// every entry of S is loaded once and the block's terms are added in
  /// order of a. Every entry is thus the same sum in the same order (over
  /// a, then its own terms) whatever the blocks and `labels` are: workers
  /// that split the labels produce the same numbers as one process.
  private func formSchurComplement(into S: UnsafeMutablePointer<Double>, inverses: UnsafeMutablePointer<Double>,
                                   coefficient: UnsafePointer<Double>, labels: [Int], fixed: [Bool]) -> Bool {
    let k = self.k, nA = self.nA, nB = self.nB
    let perRow = max(1, nB * k * k)
    let blockCount = (nA + max(1, Self.schurBlockDoubles / perRow) - 1) / max(1, Self.schurBlockDoubles / perRow)
    let rows = (nA + blockCount - 1) / blockCount
    if let cached = factorBuffers.workspace, cached.k != k || cached.nB != nB || cached.rows != rows {
      factorBuffers.workspace = nil
    }
    let space = factorBuffers.workspace ?? SchurWorkspace(k: k, nB: nB, rows: rows)
    factorBuffers.workspace = space
    return mass.withUnsafeBufferPointer { m in
      soft.withUnsafeBufferPointer { sf in
        labels.withUnsafeBufferPointer { owned in
          for first in stride(from: 0, to: nA, by: rows) {
            let count = min(rows, nA - first)
            for r in 0..<count {
              guard prepareRow(first + r, slot: r, of: count, mass: m.baseAddress!, soft: sf.baseAddress!,
                               coefficient: coefficient, space: space, labels: owned) else { return false }
              (inverses + (first + r) * k * k).update(from: space.block, count: k * k)
            }
            prepareCrossDots(space, rows: count)
            accumulateBlock(space, rows: count, into: S, labels: owned, skipping: fixed)
          }
          return true
        }
      }
    }
  }

  /// Doubles of `W` (`nB k²` per row of A) kept at once by
  /// `formSchurComplement`: the rows of A are taken in blocks of about this
  /// size (at least one row).
  static let schurBlockDoubles = 1 << 16

  /// Scratch of `formSchurComplement` for a block of `rows` rows of A
  /// (slot `r` of the block is its r-th row). Pairs with negligible mass
  /// get `q = v = z = y = W = 0`, so their terms are exactly zero.
  final class SchurWorkspace {
    let k: Int, nB: Int, rows: Int
    /// `A_a`, then `G = A_a⁻¹` (`k x k`), and the inversion's scratch.
    let block: UnsafeMutablePointer<Double>, scratch: UnsafeMutablePointer<Double>
    /// `z = G q` of one pair (`k`).
    let z: UnsafeMutablePointer<Double>
    /// `q = m s` at `(b rows + r) k + s`.
    let q: UnsafeMutablePointer<Double>
    /// `z = G q` and `v = (1/σ - 1) s` at `(b rows + r) k + s`.
    let zs: UnsafeMutablePointer<Double>, vs: UnsafeMutablePointer<Double>
    /// By label: `q[t]`, `v[t]` and `y[t]` (`y = G v`) at `(t nB + b) rows + r`.
    let qByLabel: UnsafeMutablePointer<Double>, vByLabel: UnsafeMutablePointer<Double>
    let yByLabel: UnsafeMutablePointer<Double>
    /// `W = B G = diag(q) G + v zᵀ`, row t (owned labels only) at
    /// `((b k + t) rows + r) k`.
    let w: UnsafeMutablePointer<Double>
    /// `z_ab · v_ab'` for `b' <= b` at `(b (b + 1) / 2 + b') rows + r`.
    let cross: UnsafeMutablePointer<Double>
    /// `x_r = (W_ab v_ab')_t` of the current row and column block, twice.
    let x: UnsafeMutablePointer<SIMD2<Double>>

    init(k: Int, nB: Int, rows: Int) {
      self.k = k
      self.nB = nB
      self.rows = rows
      block = .allocate(capacity: k * k)
      scratch = .allocate(capacity: k * k + k)
      z = .allocate(capacity: k)
      q = .allocate(capacity: nB * rows * k)
      zs = .allocate(capacity: nB * rows * k)
      vs = .allocate(capacity: nB * rows * k)
      qByLabel = .allocate(capacity: k * nB * rows)
      vByLabel = .allocate(capacity: k * nB * rows)
      yByLabel = .allocate(capacity: k * nB * rows)
      w = .allocate(capacity: nB * k * rows * k)
      cross = .allocate(capacity: nB * (nB + 1) / 2 * rows)
      x = .allocate(capacity: rows)
    }

    deinit {
      for p in [block, scratch, z, q, zs, vs, qByLabel, vByLabel, yByLabel, w, cross] { p.deallocate() }
      x.deallocate()
    }
  }

  /// Fills slot `r` of the workspace for row `a` of A: every pair's `q`,
  /// `v`, `z`, `y` and `W` rows of `labels`, and `G = A_a⁻¹` (in `block`).
  /// Returns false when `A_a` is not numerically positive definite.
  private func prepareRow(_ a: Int, slot r: Int, of rows: Int, mass m: UnsafePointer<Double>, soft sf: UnsafePointer<Double>,
                          coefficient: UnsafePointer<Double>, space: SchurWorkspace,
                          labels: UnsafeBufferPointer<Int>) -> Bool {
    let k = self.k, nB = self.nB
    let block = space.block
    for b in 0..<nB {
      let pair = a &* nB &+ b
      let mass = m[pair]
      let slot = (b &* rows &+ r) &* k
      let q = space.q + slot, v = space.vs + slot
      guard mass > Self.negligibleMass else {
        q.update(repeating: 0, count: k)
        v.update(repeating: 0, count: k)
        continue
      }
      let f = coefficient[pair]
      for t in 0..<k {
        q[t] = mass * sf[pair &* k &+ t]
        v[t] = f * sf[pair &* k &+ t]
      }
    }
    // A_a = Σ_b v qᵀ + diag(Σ_b q) over the pairs with mass (the others
    // are 0 here).
    let stride = rows &* k
    for t in 0..<k {
      let row = block + t &* k
      combineRows(space.vs + (r &* k &+ t), stride: stride, space.q + r &* k, stride: stride, count: nB, into: row, k)
      var diagonal = 0.0
      for b in 0..<nB { diagonal += space.q[(b &* rows &+ r) &* k &+ t] }
      row[t] += diagonal
    }
    for t in 0..<k where pA[a &* k &+ t] == 0 { block[t &* k &+ t] = 1 }
    // G = A_a⁻¹ in place of A_a.
    guard invertPositiveDefinite(block, k, scratch: space.scratch) else { return false }
    for b in 0..<nB {
      let slot = (b &* rows &+ r) &* k
      let q = space.q + slot, v = space.vs + slot, z = space.zs + slot
      // z = G q = Σ_u q_u (row u of G), the same for y = G v (G is symmetric).
      let y = space.z
      combineRows(q, stride: 1, block, stride: k, count: k, into: z, k)
      combineRows(v, stride: 1, block, stride: k, count: k, into: y, k)
      for t in 0..<k {
        let i = (t &* nB &+ b) &* rows &+ r
        space.qByLabel[i] = q[t]
        space.vByLabel[i] = v[t]
        space.yByLabel[i] = y[t]
      }
      for t in labels {
        linearCombination(q[t], block + t &* k, v[t], z, into: space.w + ((b &* k &+ t) &* rows &+ r) &* k, k)
      }
    }
    return true
  }

  /// `z_ab · v_ab'` for every two pairs `b' <= b` of every row of the block.
  private func prepareCrossDots(_ space: SchurWorkspace, rows: Int) {
    let k = self.k
    for b in 0..<nB {
      for b2 in 0...b {
        let out = space.cross + (b &* (b &+ 1) / 2 &+ b2) &* rows
        for r in 0..<rows {
          out[r] = dotProduct(space.zs + (b &* rows &+ r) &* k, space.vs + (b2 &* rows &+ r) &* k, k)
        }
      }
    }
  }

  /// Adds the block's terms to the rows of `labels` of S (lower triangle):
  /// for each row a of the block, in order, `B_ab` to the diagonal block
  /// `(b, b)`, then `-B_ab G B_ab'` to block `(b, b')`, `b' <= b`, as
  /// `-(W + x 1ᵀ) diag(q')` with `x = W v' = q ⊙ (G v') + v (z · v')`.
  /// Rows of `fixed` multipliers, and blocks of columns that are all
  /// `fixed`, are left alone (the caller overwrites them).
  private func accumulateBlock(_ space: SchurWorkspace, rows: Int, into S: UnsafeMutablePointer<Double>,
                               labels: UnsafeBufferPointer<Int>, skipping fixed: [Bool]) {
    let k = self.k, nB = self.nB, dim = nB &* k
    let x = space.x
    let fixedBlock = (0..<nB).map { b in (0..<k).allSatisfy { fixed[b * k + $0] } }
    for b in 0..<nB {
      for t in labels where !fixed[b &* k &+ t] {
        let row = S + (b &* k &+ t) &* dim
        let w = space.w + (b &* k &+ t) &* rows &* k
        let qt = space.qByLabel + (t &* nB &+ b) &* rows
        let vt = space.vByLabel + (t &* nB &+ b) &* rows
        for b2 in 0...b where !fixedBlock[b2] {
          let yt = space.yByLabel + (t &* nB &+ b2) &* rows
          let cross = space.cross + (b &* (b &+ 1) / 2 &+ b2) &* rows
          for r in 0..<rows { x[r] = SIMD2(repeating: qt[r] * yt[r] + vt[r] * cross[r]) }
          let q2 = space.q + b2 &* rows &* k
          if b2 < b {
            subtractScaledSums(w, x, times: q2, from: row + b2 &* k, rows: rows, k: k)
          } else {
            accumulateDiagonal(space, b: b, t: t, into: row + b &* k, rows: rows)
          }
        }
      }
    }
  }

  /// The diagonal block's row `t` (entries `0...t`) for `accumulateBlock`:
  /// per row of the block, `+ q_t e_t + v_t q`, then `- (W_t + x) q`.
  @inline(__always)
  private func accumulateDiagonal(_ space: SchurWorkspace, b: Int, t: Int, into y: UnsafeMutablePointer<Double>, rows: Int) {
    let k = self.k
    let w = space.w + (b &* k &+ t) &* rows &* k
    for r in 0..<rows {
      let q = space.q + (b &* rows &+ r) &* k
      let i = (t &* nB &+ b) &* rows &+ r
      y[t] += space.qByLabel[i]
      subtractMultiple(-space.vByLabel[i], of: q, from: y, t &+ 1)
      subtractScaledSum(w + r &* k, space.x[r][0], times: q, from: y, t &+ 1)
    }
  }

  /// Every worker gets every row of the lower triangle (row `(b, t)` is
  /// formed by the worker owning label `t`); the rows formed here are
  /// already in place.
  private func shareSchurRows(_ schur: inout [Double], _ split: any Workers) {
    let k = self.k, nB = self.nB, dim = nB * k
    var mine = [Double]()
    for t in 0..<k where split.owns(t) {
      for b in 0..<nB {
        let i = b * k + t
        mine.append(contentsOf: schur[(i * dim)...(i * dim + i)])
      }
    }
    for (worker, values) in split.allGather(mine).enumerated() where worker != split.index {
      var offset = 0
      for t in 0..<k where t % split.count == worker {
        for b in 0..<nB {
          let i = b * k + t
          for j in 0...i { schur[i * dim + j] = values[offset + j] }
          offset += i + 1
        }
      }
    }
  }

  /// Solves `H (dA, dB) = (rA, rB)`; fixed multipliers get 0. When the
  /// factorization needed a ridge (rounding near the end of the path), the
  /// solution is improved by iterative refinement against the exact `H`.
  func solve(_ f: Factorization, rA: [Double], rB: [Double]) -> (dA: [Double], dB: [Double]) {
    var (dA, dB) = solveOnce(f, rA: rA, rB: rB)
    guard f.regularized else { return (dA, dB) }
    var scale = 0.0
    for x in rA { scale = max(scale, abs(x)) }
    for x in rB { scale = max(scale, abs(x)) }
    var previous = Double.infinity
    for _ in 0..<40 {
      let (hA, hB) = applyHessian(f, dA, dB)
      var eA = rA, eB = rB
      var size = 0.0
      for i in 0..<eA.count { eA[i] -= hA[i]; size = max(size, abs(eA[i])) }
      for i in 0..<eB.count { eB[i] -= hB[i]; size = max(size, abs(eB[i])) }
      if size <= 1e-14 * scale || size >= previous { break }
      previous = size
      let (cA, cB) = solveOnce(f, rA: eA, rB: eB)
      for i in 0..<dA.count { dA[i] += cA[i] }
      for i in 0..<dB.count { dB[i] += cB[i] }
    }
    return (dA, dB)
  }

  /// `H (dA, dB)` computed pair by pair, with fixed multipliers as identity.
  func applyHessian(_ f: Factorization, _ dA: [Double], _ dB: [Double]) -> ([Double], [Double]) {
    let k = self.k, nA = self.nA, nB = self.nB
    var hA = [Double](repeating: 0, count: dA.count)
    var hB = [Double](repeating: 0, count: dB.count)
    mass.withUnsafeBufferPointer { m in
      soft.withUnsafeBufferPointer { sf in
        f.coefficient.withUnsafeBufferPointer { c in
          dA.withUnsafeBufferPointer { xA in
            dB.withUnsafeBufferPointer { xB in
              hA.withUnsafeMutableBufferPointer { yA in
                hB.withUnsafeMutableBufferPointer { yB in
                  for a in 0..<nA {
                    for b in 0..<nB {
                      let pair = a &* nB &+ b
                      guard m[pair] > Self.negligibleMass else { continue }
                      addPairProduct(sf.baseAddress! + pair &* k, m[pair], c[pair],
                                     xA.baseAddress! + a &* k, xB.baseAddress! + b &* k,
                                     to: yA.baseAddress! + a &* k, yB.baseAddress! + b &* k, k)
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
    for i in 0..<hA.count where pA[i] == 0 { hA[i] = dA[i] }
    for b in 0..<nB {
      for t in 0..<k where pB[b * k + t] == 0 || pinned[t] == b { hB[b * k + t] = dB[b * k + t] }
    }
    return (hA, hB)
  }

  /// One solve with the factors: eliminate `dA` (`A_a⁻¹` per row a), solve
  /// the Schur complement for `dB`, substitute back. Fixed multipliers get 0.
  func solveOnce(_ f: Factorization, rA: [Double], rB: [Double]) -> (dA: [Double], dB: [Double]) {
    let k = self.k, nA = self.nA, nB = self.nB
    var dB = rB
    var dA = [Double](repeating: 0, count: nA * k)
    var scratch = [Double](repeating: 0, count: k)
    mass.withUnsafeBufferPointer { m in
      soft.withUnsafeBufferPointer { sf in
        f.coefficient.withUnsafeBufferPointer { c in
          f.inverses.withUnsafeBufferPointer { inverses in
            rA.withUnsafeBufferPointer { rAp in
              dB.withUnsafeMutableBufferPointer { dBp in
                scratch.withUnsafeMutableBufferPointer { yp in
                  let y = yp.baseAddress!, x = dBp.baseAddress!
                  // rB - Σ_a Bᵀ A_a⁻¹ rA_a, pair by pair.
                  for a in 0..<nA {
                    let g = inverses.baseAddress! + a &* k &* k, r = rAp.baseAddress! + a &* k
                    for t in 0..<k { y[t] = dotProduct(g + t &* k, r, k) }
                    for b in 0..<nB {
                      let pair = a &* nB &+ b
                      guard m[pair] > Self.negligibleMass else { continue }
                      subtractPairProduct(sf.baseAddress! + pair &* k, m[pair], c[pair], y, from: x + b &* k, k)
                    }
                  }
                  for b in 0..<nB {
                    for t in 0..<k where pB[b &* k &+ t] == 0 || pinned[t] == b { x[b &* k &+ t] = 0 }
                  }
                  f.schur.withUnsafeBufferPointer { S in choleskySolve(S.baseAddress!, nB &* k, x) }
                  // dA_a = A_a⁻¹ (rA_a - Σ_b B dB_b).
                  dA.withUnsafeMutableBufferPointer { dAp in
                    for a in 0..<nA {
                      y.update(from: rAp.baseAddress! + a &* k, count: k)
                      for b in 0..<nB {
                        let pair = a &* nB &+ b
                        guard m[pair] > Self.negligibleMass else { continue }
                        subtractPairProduct(sf.baseAddress! + pair &* k, m[pair], c[pair], x + b &* k, from: y, k)
                      }
                      let g = inverses.baseAddress! + a &* k &* k
                      for t in 0..<k where pA[a &* k &+ t] > 0 { dAp[a &* k &+ t] = dotProduct(g + t &* k, y, k) }
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
    return (dA, dB)
  }

  /// `s · dz` per pair, the first-order decrease of σ along (dA, dB).
  func slackRates(_ dA: [Double], _ dB: [Double]) -> [Double] {
    let k = self.k, nA = self.nA, nB = self.nB
    var rates = [Double](repeating: 0, count: nA * nB)
    soft.withUnsafeBufferPointer { sf in
      dA.withUnsafeBufferPointer { xA in
        dB.withUnsafeBufferPointer { xB in
          pairAllowed.withUnsafeBufferPointer { allowed in
            rates.withUnsafeMutableBufferPointer { out in
              for a in 0..<nA {
                for b in 0..<nB where allowed[a &* nB &+ b] {
                  let pair = a &* nB &+ b
                  out[pair] = pairRate(sf.baseAddress! + pair &* k, xA.baseAddress! + a &* k, xB.baseAddress! + b &* k, k)
                }
              }
            }
          }
        }
      }
    }
    return rates
  }

  /// The Newton right-hand side `p - Σ s (target + m(g + σ))/σ` for pair
  /// targets of `m σ` (τ, possibly with a corrector term).
  func rightHandSide(targets: [Double]) -> (rA: [Double], rB: [Double]) {
    let k = self.k, nA = self.nA, nB = self.nB
    var rA = pA, rB = pB
    soft.withUnsafeBufferPointer { sf in
      pairAllowed.withUnsafeBufferPointer { allowed in
        rA.withUnsafeMutableBufferPointer { yA in
          rB.withUnsafeMutableBufferPointer { yB in
            for a in 0..<nA {
              for b in 0..<nB where allowed[a &* nB &+ b] {
                let pair = a &* nB &+ b
                let weight = (targets[pair] + mass[pair] * (gValue[pair] + slack[pair])) / slack[pair]
                subtractScaledPair(weight, sf.baseAddress! + pair &* k,
                                   from: yA.baseAddress! + a &* k, yB.baseAddress! + b &* k, k)
              }
            }
          }
        }
      }
    }
    return (rA, rB)
  }

  /// The Newton system for (dx, dm) that does not eliminate the masses of
  /// active pairs (`σ < m`), whose rank-one terms `m/σ` would otherwise
  /// swamp the system: stable to the end of the path. Dense LU, factored
  /// once per iteration; used for tiny problems and when the reduced system
  /// cannot be factored.
  struct AugmentedSystem {
    var factors: [Double]
    var pivots: [Int]
    /// Index of each pair's δm among the unknowns, or -1 when eliminated.
    var active: [Int]
    var size: Int
    /// Powers of two the equations (rows) and unknowns (columns) were
    /// scaled by before factoring (`equilibrate`).
    var rowScale: [Double]
    var columnScale: [Double]
  }

  func augmentedSystem() -> AugmentedSystem? {
    let k = self.k, nA = self.nA, nB = self.nB
    var active = [Int](repeating: -1, count: nA * nB)
    var count = 0
    for pair in 0..<(nA * nB) where pairAllowed[pair] && slack[pair] < mass[pair] {
      active[pair] = count
      count += 1
    }
    let offsetB = nA * k
    let offsetM = (nA + nB) * k
    let n = offsetM + count
    var matrix = [Double](repeating: 0, count: n * n)
    var pivots = [Int](repeating: 0, count: n)
    var rowScale = [Double](repeating: 1, count: n), columnScale = [Double](repeating: 1, count: n)
    let factored: Bool = matrix.withUnsafeMutableBufferPointer { M in
      for a in 0..<nA {
        for b in 0..<nB {
          let pair = a * nB + b
          guard pairAllowed[pair] else { continue }
          let m = mass[pair], sigma = slack[pair]
          let j = active[pair]
          // Rank-one weight: -m for active (δm kept), m(1/σ - 1) otherwise.
          let rankOne = j >= 0 ? -m : m * (1 / sigma - 1)
          for t in 0..<k {
            let st = soft[pair * k + t]
            guard st > 0 else { continue }
            for base in [a * k, offsetB + b * k] {
              let row = (base + t) * n
              M[row + a * k + t] += m * st
              M[row + offsetB + b * k + t] += m * st
              for u in 0..<k {
                let v = rankOne * st * soft[pair * k + u]
                M[row + a * k + u] += v
                M[row + offsetB + b * k + u] += v
              }
              if j >= 0 { M[row + offsetM + j] += st }
            }
          }
          if j >= 0 {
            // σ δm - m sᵀ dz = target + m g  (from m dσ + σ δm = target - mσ
            // and dσ = -(g + σ) - sᵀ dz).
            let row = (offsetM + j) * n
            M[row + offsetM + j] = sigma
            for u in 0..<k {
              M[row + a * k + u] -= m * soft[pair * k + u]
              M[row + offsetB + b * k + u] -= m * soft[pair * k + u]
            }
          }
        }
      }
      // Fixed multipliers: identity rows (their marginal rows are either
      // empty or, for the gauge, implied by the others).
      for i in 0..<n where isFixed(i) {
        for c in 0..<n { M[i * n + c] = 0 }
        M[i * n + i] = 1
      }
      equilibrate(M.baseAddress!, n, rowScale: &rowScale, columnScale: &columnScale)
      return pivots.withUnsafeMutableBufferPointer { P in luFactor(M.baseAddress!, n, P.baseAddress!) }
    }
    guard factored else { return nil }
    return AugmentedSystem(factors: matrix, pivots: pivots, active: active, size: n,
                           rowScale: rowScale, columnScale: columnScale)
  }

  /// Scales the rows of the `n x n` matrix `M` (row-major), then its
  /// columns, by powers of two bringing the largest magnitude of each into
  /// [1, 2); the scales are written out. Powers of two are exact, so the
  /// scaled system `(R M C) y = R r`, `x = C y`, is the same system; only
  /// partial pivoting sees the difference. The augmented system mixes
  /// marginal equations of cells from 1e-30 to 0.1 with the pairs'
  /// complementarity equations: unscaled, pivoting on a heavy-tailed table
  /// once returned a direction of size 1e200 (a gap of 1e189 bits). Rows
  /// or columns whose largest magnitude is subnormal keep the scale 1 (its
  /// power-of-two inverse would overflow).
  func equilibrate(_ M: UnsafeMutablePointer<Double>, _ n: Int, rowScale: inout [Double], columnScale: inout [Double]) {
    func powerOfTwoScale(_ top: Double) -> Double {
      top >= .leastNormalMagnitude && top.isFinite ? Double(sign: .plus, exponent: -top.exponent, significand: 1) : 1
    }
    for i in 0..<n {
      var top = 0.0
      for c in 0..<n { top = max(top, abs(M[i * n + c])) }
      rowScale[i] = powerOfTwoScale(top)
      for c in 0..<n { M[i * n + c] *= rowScale[i] }
    }
    // Columns: their largest magnitudes gathered row by row (contiguous).
    var tops = [Double](repeating: 0, count: n)
    for i in 0..<n {
      for c in 0..<n { tops[c] = max(tops[c], abs(M[i * n + c])) }
    }
    for c in 0..<n { columnScale[c] = powerOfTwoScale(tops[c]) }
    for i in 0..<n {
      for c in 0..<n { M[i * n + c] *= columnScale[c] }
    }
  }

  /// Whether unknown `i` of the augmented system is a fixed multiplier.
  func isFixed(_ i: Int) -> Bool {
    if i < nA * k { return pA[i] == 0 }
    let j = i - nA * k
    guard j < nB * k else { return false }
    return pB[j] == 0 || pinned[j % k] == j / k
  }

  func augmentedSolve(_ system: AugmentedSystem, targets: [Double]) -> (dA: [Double], dB: [Double], dm: [Double]) {
    let k = self.k, nA = self.nA, nB = self.nB
    let offsetB = nA * k, offsetM = (nA + nB) * k
    let (rA, rB) = residuals()
    var rhs = [Double](repeating: 0, count: system.size)
    for i in 0..<(nA * k) { rhs[i] = rA[i] }
    for i in 0..<(nB * k) { rhs[offsetB + i] = rB[i] }
    for a in 0..<nA {
      for b in 0..<nB {
        let pair = a * nB + b
        guard pairAllowed[pair] else { continue }
        let excess = targets[pair] + mass[pair] * gValue[pair]
        let j = system.active[pair]
        if j >= 0 {
          rhs[offsetM + j] = excess
        } else {
          for t in 0..<k {
            let st = soft[pair * k + t]
            rhs[a * k + t] -= st * excess / slack[pair]
            rhs[offsetB + b * k + t] -= st * excess / slack[pair]
          }
        }
      }
    }
    for i in 0..<system.size where isFixed(i) { rhs[i] = 0 }
    for i in 0..<system.size { rhs[i] *= system.rowScale[i] }
    system.factors.withUnsafeBufferPointer { M in
      system.pivots.withUnsafeBufferPointer { P in
        rhs.withUnsafeMutableBufferPointer { r in luSolveFactored(M.baseAddress!, system.size, P.baseAddress!, r.baseAddress!) }
      }
    }
    for i in 0..<system.size { rhs[i] *= system.columnScale[i] }
    var dA = Array(rhs[0..<(nA * k)])
    var dB = Array(rhs[offsetB..<offsetM])
    tameTinyCells(&dA, &dB)
    var dm = [Double](repeating: 0, count: nA * nB)
    for pair in 0..<(nA * nB) where pairAllowed[pair] {
      let a = pair / nB, b = pair % nB
      if system.active[pair] >= 0 {
        dm[pair] = rhs[offsetM + system.active[pair]]
      } else {
        var rate = 0.0
        for t in 0..<k where soft[pair * k + t] > 0 {
          rate += soft[pair * k + t] * (dA[a * k + t] + dB[b * k + t])
        }
        dm[pair] = (targets[pair] + mass[pair] * (gValue[pair] + rate)) / slack[pair]
      }
    }
    return (dA, dB, dm)
  }

  // MARK: Iterations

  /// Pairs whose mass is kept in the augmented system (`σ < m`).
  func activeCount() -> Int {
    var count = 0
    for pair in 0..<(nA * nB) where pairAllowed[pair] && slack[pair] < mass[pair] { count += 1 }
    return count
  }

  /// A Newton direction for pair targets of `m σ`.
  func direction(targets: [Double], factorization: Factorization?, augmented: AugmentedSystem?, blocks: LabelBlocks? = nil) -> (dA: [Double], dB: [Double], dm: [Double])? {
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
  /// linearization asks for `(p - q) / q` or worse (5.8e6, then -1.3e10
  /// after the corrector, for a cell of 5.8e-11 at 2.5e-14 on a
  /// heavy-tailed table), after which g is far above 0 at any step length
  /// the safeguard tries. Other cells keep their Newton steps; tables
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

  struct Outcome {
    var q: [Double]
    /// `F` at `q`, nats (upper end).
    var upperNats: Double
    /// Dual bound on `F`, nats (lower end).
    var lowerNats: Double
    var steps: Int
    var gapBits: Double { (upperNats - lowerNats) / naturalLogOf2 }
  }

  func run(options: SolverOptions) -> Outcome {
    split = options.splitsLabels(nA: nA, nB: nB, k: k) ? options.workers : nil
    var steps = 0
    var best: Outcome? = nil
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
    // system met the safeguard: the next direction comes from the
    // augmented system.
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
      // Crossover (ActiveSetNewton.swift) once the active pairs stand out:
      // a few Newton steps on the active set usually reach the target
      // without the ill-conditioned end of the path.
      if crossoverAttempts < crossoverLevels.count
        && complementarity < crossoverLevels[crossoverAttempts] {
        while crossoverAttempts < crossoverLevels.count
          && complementarity < crossoverLevels[crossoverAttempts] { crossoverAttempts += 1 }
        // The dense crossover factors |K| x |K| per step: worth it only
        // while that is not much larger than the path's own Schur
        // complement (a 200x15x16 table has |K| ~ 2000 against 240 rows;
        // its failed crossovers took 2.8 s of a 2.9 s solve).
        let (tried, newtonSteps) = crossover(
          targetGap: options.targetGap, incumbent: best?.gapBits ?? .infinity,
          maximumActive: usesIterativeSystems ? .max : max(500, 2 * nB * k),
          guess: usesIterativeSystems ? nil : predictedActive, givesUp: !usesIterativeSystems)
        if let outcome = tried {
          steps += newtonSteps
          best = outcome
          lastImprovement = steps
          if outcome.gapBits <= options.targetGap { break }
        } else {
          discardedSteps += newtonSteps
        }
      }
      if complementarity / naturalLogOf2 < max(1e4 * options.targetGap, 1e-6) {
        let outcome = certify()
        if best == nil || outcome.gapBits < best!.gapBits { best = outcome }
        // The path has stalled when its own certificates stop improving: a
        // better one from a crossover that fell short says nothing about
        // the path.
        if outcome.gapBits < pathBest {
          pathBest = outcome.gapBits
          lastImprovement = steps
        }
        if !(outcome.gapBits <= 0.5 * previousPathGap) && complementarity < Self.reducedEndLevel { reducedStalled = true }
        previousPathGap = outcome.gapBits
        if outcome.gapBits <= options.targetGap || steps - lastImprovement >= patience { break }
      }
      // Small problems always use the augmented system; larger ones the
      // reduced one, falling back to the augmented one (while affordable)
      // when rounding makes the reduced one indefinite near the end.
      let unknowns = (nA + nB) * k + activeCount()
      // Large problems: conjugate gradients with the per-label
      // preconditioner (IterativeNewton.swift) while they converge; the
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
      guard let (aA, aB, dmAffine) = direction(targets: zero, factorization: f, augmented: augmented, blocks: blocks) else {
        if blocks != nil { iterativeFailed = true; continue }
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
      // Corrector: targets τ - Δm_aff Δσ_aff.
      var targets = [Double](repeating: 0, count: mass.count)
      for pair in 0..<mass.count where pairAllowed[pair] {
        targets[pair] = tau - dmAffine[pair] * dsAffine[pair]
      }
      guard let corrector = direction(targets: targets, factorization: f, augmented: augmented, blocks: blocks) else {
        if blocks != nil { iterativeFailed = true; continue }
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
      // Safeguard: pairs with vanishing mass barely weigh in the Newton
      // system, and g is nonlinear, so a full step can leave g far above
      // -σ. Shorten the step while the dual infeasibility max |g + σ| would
      // exceed the largest of: its current value, the average
      // complementarity and the total (a neighbourhood of the central path;
      // at the start the infeasibility is 0, and a fixed floor alone cut the
      // first steps to a few percent; a tenth of the total halved the second
      // step of most tables), and tenfold growth while it stays below 1e-3.
      // Unchecked growth once ruined the dual bound (a 3x3x2 table ended
      // with a gap of 11128 bits). The step shrinks by 0.7 at a time (halving
      // often undershot the longest acceptable step by nearly half), down to
      // 0.7^60 ~ 5e-10 as 30 halvings did.
      // Large problems (matrix-free systems) keep the tighter neighbourhood
      // (a tenth of the total) and halving: with the wider one, 200x200x10
      // seed 1 left the conjugate gradients for the dense system (5.7 s and
      // 115 MB instead of 3.6 s and 52 MB).
      // A trial step that misses the limit only on pairs whose slack can be
      // reset to -g within a band (`slackResets`) is taken with those
      // slacks reset: the limit bounds the error of the linearization of g,
      // which is large on pairs whose σ of order 1-10 must close
      // (near-deterministic tables): the absolute limit alone holds such
      // steps to a fraction of a percent. Large problems do not reset, as
      // they keep the tighter neighbourhood: on 200x200x10 seed 1 resets
      // saved 2 of 20 steps but cost 10% more time.
      let (share, shrink, tries) = usesIterativeSystems ? (0.1, 0.5, 30) : (1.0, 0.7, 60)
      let before = dualInfeasibility()
      let saved = (lambda, mu, gValue, soft)
      var top = 0.0
      var reset: [Int] = []
      var accepted = false
      for _ in 0..<tries {
        for i in 0..<lambda.count where pA[i] > 0 { lambda[i] = saved.0[i] + alpha * dA[i] }
        for i in 0..<mu.count where pB[i] > 0 { mu[i] = saved.1[i] + alpha * dB[i] }
        _ = evaluate(lambda: lambda, mu: mu, g: &gValue, soft: &soft, maxG: &top)
        let limit = max(before, 1e-8, average, share * min(1, complementarity), min(10 * before, 1e-3))
        if dualInfeasibility(slackStep: ds, alpha: alpha) <= limit { accepted = true; break }
        if !usesIterativeSystems, let pairs = slackResets(slackStep: ds, alpha: alpha, limit: limit) {
          reset = pairs
          accepted = true
          break
        }
        alpha *= shrink
      }
      // No step length met the safeguard: the direction is unusable (on
      // heavy-tailed tables the reduced system can return multipliers of
      // size 1e17 for cells of 1e-30, after which g is 1e8 at any step the
      // safeguard tries). The iterate stays where it is; the next direction
      // comes from the augmented system when it is affordable and was not
      // the one rejected, else the path ends with the best certificate.
      if !accepted {
        (lambda, mu, gValue, soft) = saved
        if augmented != nil || (nA + nB) * k + activeCount() > Self.augmentedFallbackLimit { break }
        reducedRejected = true
        continue
      }
      reducedRejected = false
      for pair in 0..<mass.count where pairAllowed[pair] {
        mass[pair] = max(mass[pair] + alpha * dm[pair], 1e-300)
        slack[pair] = max(slack[pair] + alpha * ds[pair], 1e-300)
      }
      for pair in reset { slack[pair] = -gValue[pair] }
      steps += 1
    }
    let outcome = certify()
    if best == nil || outcome.gapBits < best!.gapBits { best = outcome }
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
  /// step fall in `[τ/10, 10 τ]`, and solves again with the same
  /// factorization. A corrected direction is kept only if its step bound
  /// grows by at least a tenth of the increase sought. Returns `step` or an
  /// improvement of it. One solve each, cheap next to the factorization;
  /// the predictor–corrector steps were held to about half their length by
  /// a few badly centred pairs.
  func centralityCorrected(_ step: Step, targets: [Double], tau: Double,
                           factorization f: Factorization?, augmented: AugmentedSystem?) -> Step {
    var best = step
    var targets = targets
    for _ in 0..<Self.centralityCorrectors where best.bound < 0.9 {
      let trial = min(1, best.bound + 0.2)
      for pair in 0..<mass.count where pairAllowed[pair] {
        let product = (mass[pair] + trial * best.dm[pair]) * (slack[pair] + trial * best.ds[pair])
        if product < 0.1 * tau {
          targets[pair] += 0.1 * tau - product
        } else if product > 10 * tau {
          targets[pair] -= min(product - 10 * tau, 10 * tau)
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

  func objective(_ q: [Double]) -> Double {
    conditionalEntropyObjective(q, pairs: nA * nB, k: k)
  }

  /// The coupling `m s` rounded onto the marginals, and the dual bound (in
  /// nats, of `F = -H(T|A,B)`) at the current multipliers.
  func certify() -> Outcome {
    var q = [Double](repeating: 0, count: nA * nB * k)
    for pair in 0..<(nA * nB) where pairAllowed[pair] {
      for t in 0..<k { q[pair * k + t] = mass[pair] * soft[pair * k + t] }
    }
    var candidates = [q]
    if (nA + nB) * k <= Self.projectionLimit, let projected = projectedMasses() {
      var p = [Double](repeating: 0, count: nA * nB * k)
      for pair in 0..<(nA * nB) where pairAllowed[pair] {
        for t in 0..<k { p[pair * k + t] = projected[pair] * soft[pair * k + t] }
      }
      candidates.append(p)
    }
    for i in candidates.indices {
      var scaled = candidates[i]
      scaleOntoMarginals(&scaled)
      roundOntoMarginals(&candidates[i])
      roundOntoMarginals(&scaled)
      candidates.append(scaled)
    }
    var upper = Double.infinity
    for c in candidates {
      let value = objective(c)
      if value < upper { upper = value; q = c }
    }
    // Σ λ p(a,t) + Σ μ p(b,t) - Σ_a p(a) max_b g(a,b).
    var bound = 0.0
    for i in 0..<(nA * k) where pA[i] > 0 { bound += lambda[i] * pA[i] }
    for i in 0..<(nB * k) where pB[i] > 0 { bound += mu[i] * pB[i] }
    var tops = [Double](repeating: -.infinity, count: nA)
    for a in 0..<nA {
      for b in 0..<nB where pairAllowed[a * nB + b] { tops[a] = max(tops[a], gValue[a * nB + b]) }
      bound -= rowMassA[a] * tops[a]
    }
    if hasTinyCells { bound += tinyMultiplierGain(tops: tops) }
    return Outcome(q: q, upperNats: upper, lowerNats: bound, steps: 0)
  }

  /// Problems with at most this many multipliers get the projected masses
  /// (`projectedMasses`) as a candidate of the certificate's upper end.
  static let projectionLimit = 200

  /// The pair masses moved, in the metric `Σ δm² / m`, onto the marginal
  /// equations `Σ_b m s(a,b,·) = p(a,·)`, `Σ_a m s = p(b,·)` with the
  /// softmax `s` of the current multipliers held fixed, then clipped at 0:
  /// `δm = m Eᵀ y` with `(Σ_pairs m E s sᵀ Eᵀ) y = p - Σ m s` (fixed
  /// multipliers' rows as identity, a ridge when rounding needs one). Near
  /// the end the multipliers converge faster than the path's masses, whose
  /// marginal residual the reduced system can stop reducing; with exact
  /// marginals `m s` costs the dual bound only the complementarity. Nil
  /// when the system cannot be factored.
  func projectedMasses() -> [Double]? {
    let k = self.k, nB = self.nB, dim = (nA + nB) * k
    let (rA, rB) = residuals()
    var rhs = rA + rB
    var matrix = [Double](repeating: 0, count: dim * dim)
    var index = [Int](repeating: 0, count: 2 * k)
    for pair in 0..<mass.count where pairAllowed[pair] && mass[pair] > Self.negligibleMass {
      let a = pair / nB, b = pair % nB
      let m = mass[pair]
      for t in 0..<k { index[t] = a * k + t; index[k + t] = nA * k + b * k + t }
      for u in 0..<(2 * k) {
        let su = soft[pair * k + u % k]
        guard su > 0 else { continue }
        for v in 0...u {
          matrix[index[u] * dim + index[v]] += m * su * soft[pair * k + v % k]
        }
      }
    }
    // (index[u] >= index[v] for v <= u: only the lower triangle is written,
    // which is all the Cholesky reads.)
    for i in 0..<dim where isFixed(i) {
      for j in 0..<dim { matrix[i * dim + j] = 0; matrix[j * dim + i] = 0 }
      matrix[i * dim + i] = 1
      rhs[i] = 0
    }
    var largest = 0.0
    for i in 0..<dim { largest = max(largest, matrix[i * dim + i]) }
    var factored = false
    var trial = matrix
    for attempt in 0..<5 where !factored {
      trial = matrix
      let ridge = largest * 1e-14 * Double.pow(100, attempt)
      for i in 0..<dim { trial[i * dim + i] += ridge }
      factored = trial.withUnsafeMutableBufferPointer { choleskyFactor($0.baseAddress!, dim) }
    }
    guard factored else { return nil }
    trial.withUnsafeBufferPointer { L in rhs.withUnsafeMutableBufferPointer { choleskySolve(L.baseAddress!, dim, $0.baseAddress!) } }
    var projected = mass
    for pair in 0..<mass.count where pairAllowed[pair] && mass[pair] > Self.negligibleMass {
      let a = pair / nB, b = pair % nB
      var rate = 0.0
      for t in 0..<k { rate += soft[pair * k + t] * (rhs[a * k + t] + rhs[nA * k + b * k + t]) }
      projected[pair] = max(0, mass[pair] * (1 + rate))
    }
    return projected
  }

  /// Sweeps of `scaleOntoMarginals`.
  static let scalingSweeps = 20

  /// Matrix scaling (Sinkhorn) of every label slice towards its marginals:
  /// rows scaled to `p(a,t)`, then columns to `p(b,t)`, at most
  /// `scalingSweeps` times, stopping once every marginal is met to
  /// `1e-15` relative to the slice. A scaled slice keeps the form
  /// `diag(u) q diag(v)`, i.e. it is the coupling of multipliers shifted
  /// by `log u`, `log v`, so the objective moves to second order while the
  /// marginal residual that the rounding would have to absorb shrinks
  /// geometrically. Rows or columns without mass are left alone (the
  /// rounding supplies them).
  func scaleOntoMarginals(_ q: inout [Double]) {
    let k = self.k, nA = self.nA, nB = self.nB
    var rowSum = [Double](repeating: 0, count: nA)
    var columnSum = [Double](repeating: 0, count: nB)
    for t in 0..<k {
      var labelMass = 0.0
      for a in 0..<nA { labelMass += pA[a * k + t] }
      for _ in 0..<Self.scalingSweeps {
        for a in 0..<nA { rowSum[a] = 0 }
        for a in 0..<nA { for b in 0..<nB { rowSum[a] += q[(a * nB + b) * k + t] } }
        for a in 0..<nA where rowSum[a] > 0 {
          let scale = pA[a * k + t] / rowSum[a]
          for b in 0..<nB { q[(a * nB + b) * k + t] *= scale }
        }
        for b in 0..<nB { columnSum[b] = 0 }
        for a in 0..<nA { for b in 0..<nB { columnSum[b] += q[(a * nB + b) * k + t] } }
        var largest = 0.0
        for b in 0..<nB where columnSum[b] > 0 {
          largest = max(largest, abs(columnSum[b] - pB[b * k + t]))
          let scale = pB[b * k + t] / columnSum[b]
          for a in 0..<nA { q[(a * nB + b) * k + t] *= scale }
        }
        if largest <= 1e-15 * labelMass { break }
      }
    }
  }

  /// How much the dual bound grows when the multipliers of tiny cells
  /// (mass at most `tinyCell`) are raised, one at a time, each to the
  /// maximizer of the bound along it when raising it by 1 already gains
  /// (the iterate itself is not changed). Any multipliers give a
  /// valid bound; raising the multiplier of cell `(b, t)` by `δ` adds
  /// `p(b,t) δ` and raises `g(a,b)` to `g + log(1 - s + s e^δ)` (`s` the
  /// pair's softmax entry of `t`), which costs `p(a)` times its excess over
  /// row a's maximum. The bound is concave in `δ`; it is maximized by
  /// golden-section search on `[0, δmax]`, `δmax` doubled from 1 while the
  /// bound still grows. A tiny cell's term `μ p` is negligible unless the
  /// multiplier is far below where the cell's marginal would be met, which
  /// the path can leave it at (a multiplier of -17600 on a cell of 2.5e-13,
  /// 6.5e-9 bits, with its softmax entries underflowed to 0, so that no
  /// Newton step moves it).
  func tinyMultiplierGain(tops: [Double]) -> Double {
    var tops = tops
    var g = gValue
    var lam = lambda, m = mu
    var gain = 0.0
    // Cells as (mass, pairs it enters, its multiplier's index).
    for side in 0..<2 {
      let masses = side == 0 ? pA : pB
      for cell in 0..<masses.count {
        let p = masses[cell]
        guard p > 0, p <= Self.tinyCell else { continue }
        if side == 1 && pinned[cell % k] == cell / k { continue }
        let t = cell % k, row = cell / k
        let pairs: [Int] = side == 0
          ? (0..<nB).filter { pB[$0 * k + t] > 0 && pairAllowed[row * nB + $0] }.map { row * nB + $0 }
          : (0..<nA).filter { pA[$0 * k + t] > 0 && pairAllowed[$0 * nB + row] }.map { $0 * nB + row }
        // log s of each pair, before the raise.
        let logS = pairs.map { pair in lam[(pair / nB) * k + t] + m[(pair % nB) * k + t] - g[pair] }
        func raised(_ i: Int, _ delta: Double) -> Double {
          let x = logS[i] + delta, y = Double.log(onePlus: -Double.exp(logS[i]))
          return g[pairs[i]] + max(x, y) + Double.log(onePlus: Double.exp(-abs(x - y)))
        }
        func value(_ delta: Double) -> Double {
          var total = p * delta
          if side == 0 {
            var top = tops[row]
            for i in pairs.indices { top = max(top, raised(i, delta)) }
            total -= rowMassA[row] * (top - tops[row])
          } else {
            for (i, pair) in pairs.enumerated() {
              let a = pair / nB
              let r = raised(i, delta)
              if r > tops[a] { total -= rowMassA[a] * (r - tops[a]) }
            }
          }
          return total
        }
        guard value(1) > 0 else { continue }
        var high = 1.0
        while high < 1e6 && value(2 * high) > value(high) { high *= 2 }
        var lo = 0.0, hi = 2 * high
        let ratio = (5.0.squareRoot() - 1) / 2
        for _ in 0..<80 {
          let x1 = hi - ratio * (hi - lo), x2 = lo + ratio * (hi - lo)
          if value(x1) < value(x2) { lo = x1 } else { hi = x2 }
        }
        let delta = lo
        let best = value(delta)
        guard best > 0 else { continue }
        gain += best
        for (i, pair) in pairs.enumerated() {
          let r = raised(i, delta)
          g[pair] = r
          tops[pair / nB] = max(tops[pair / nB], r)
        }
        if side == 0 { lam[cell] += delta } else { m[cell] += delta }
      }
    }
    return gain
  }

  /// Altschuler–Weed–Rigollet rounding of every label slice onto its
  /// transport polytope: scale rows down, scale columns down, then add the
  /// outer product of the remaining deficits. Mass only enters cells whose
  /// row and column masses are both positive.
  func roundOntoMarginals(_ q: inout [Double]) {
    for t in 0..<k {
      var rowSum = [Double](repeating: 0, count: nA)
      for a in 0..<nA { for b in 0..<nB { rowSum[a] += q[(a * nB + b) * k + t] } }
      for a in 0..<nA where rowSum[a] > pA[a * k + t] {
        let scale = pA[a * k + t] / rowSum[a]
        for b in 0..<nB { q[(a * nB + b) * k + t] *= scale }
      }
      var columnSum = [Double](repeating: 0, count: nB)
      for a in 0..<nA { for b in 0..<nB { columnSum[b] += q[(a * nB + b) * k + t] } }
      for b in 0..<nB where columnSum[b] > pB[b * k + t] {
        let scale = pB[b * k + t] / columnSum[b]
        for a in 0..<nA { q[(a * nB + b) * k + t] *= scale }
      }
      var rowDeficit = [Double](repeating: 0, count: nA)
      var columnDeficit = [Double](repeating: 0, count: nB)
      for a in 0..<nA {
        for b in 0..<nB {
          let x = q[(a * nB + b) * k + t]
          rowDeficit[a] += x
          columnDeficit[b] += x
        }
      }
      var total = 0.0
      for a in 0..<nA { rowDeficit[a] = max(0, pA[a * k + t] - rowDeficit[a]); total += rowDeficit[a] }
      for b in 0..<nB { columnDeficit[b] = max(0, pB[b * k + t] - columnDeficit[b]) }
      guard total > 0 else { continue }
      for a in 0..<nA where rowDeficit[a] > 0 {
        for b in 0..<nB where columnDeficit[b] > 0 {
          q[(a * nB + b) * k + t] += rowDeficit[a] * columnDeficit[b] / total
        }
      }
    }
  }
}


/// `out[t] -= s[t] (m u[t] + c m (s · u))`: one pair's block
/// `diag(q) + c q qᵀ` (`q = m s`) applied to `u` and subtracted.
@inline(__always)
private func subtractPairProduct(_ s: UnsafePointer<Double>, _ m: Double, _ c: Double, _ u: UnsafePointer<Double>,
                                 from out: UnsafeMutablePointer<Double>, _ k: Int) {
  let cq = c * (m * dotProduct(s, u, k))
  let mm = SIMD2<Double>(repeating: m), cc = SIMD2<Double>(repeating: cq)
  var t = 0
  while t &+ 2 <= k {
    store2(load2(out + t) - load2(s + t) * (mm * load2(u + t) + cc), out + t)
    t &+= 2
  }
  if t < k { out[t] -= s[t] * (m * u[t] + cq) }
}

/// The same block applied to `uA + uB` and added to both `outA` and `outB`.
@inline(__always)
private func addPairProduct(_ s: UnsafePointer<Double>, _ m: Double, _ c: Double,
                            _ uA: UnsafePointer<Double>, _ uB: UnsafePointer<Double>,
                            to outA: UnsafeMutablePointer<Double>, _ outB: UnsafeMutablePointer<Double>, _ k: Int) {
  var dot = SIMD2<Double>()
  var t = 0
  while t &+ 2 <= k {
    dot += load2(s + t) * (load2(uA + t) + load2(uB + t))
    t &+= 2
  }
  var sum = dot.sum()
  if t < k { sum += s[t] * (uA[t] + uB[t]) }
  let cq = c * (m * sum)
  let mm = SIMD2<Double>(repeating: m), cc = SIMD2<Double>(repeating: cq)
  t = 0
  while t &+ 2 <= k {
    let v = load2(s + t) * (mm * (load2(uA + t) + load2(uB + t)) + cc)
    store2(load2(outA + t) + v, outA + t)
    store2(load2(outB + t) + v, outB + t)
    t &+= 2
  }
  if t < k {
    let v = s[t] * (m * (uA[t] + uB[t]) + cq)
    outA[t] += v
    outB[t] += v
  }
}

/// `Σ_t s[t] (uA[t] + uB[t])` over the labels with `s[t] > 0`.
@inline(__always)
private func pairRate(_ s: UnsafePointer<Double>, _ uA: UnsafePointer<Double>, _ uB: UnsafePointer<Double>, _ k: Int) -> Double {
  var sum = SIMD2<Double>()
  var t = 0
  while t &+ 2 <= k {
    let sv = load2(s + t)
    sum += (sv * (load2(uA + t) + load2(uB + t))).replacing(with: 0, where: .!(sv .> 0))
    t &+= 2
  }
  var total = sum.sum()
  if t < k && s[t] > 0 { total += s[t] * (uA[t] + uB[t]) }
  return total
}

/// `outA[t] -= s[t] w` and `outB[t] -= s[t] w`.
@inline(__always)
private func subtractScaledPair(_ w: Double, _ s: UnsafePointer<Double>,
                                from outA: UnsafeMutablePointer<Double>, _ outB: UnsafeMutablePointer<Double>, _ k: Int) {
  let ww = SIMD2<Double>(repeating: w)
  var t = 0
  while t &+ 2 <= k {
    let x = load2(s + t) * ww
    store2(load2(outA + t) - x, outA + t)
    store2(load2(outB + t) - x, outB + t)
    t &+= 2
  }
  if t < k {
    let x = s[t] * w
    outA[t] -= x
    outB[t] -= x
  }
}
