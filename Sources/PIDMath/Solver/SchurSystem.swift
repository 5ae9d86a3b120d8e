import RealModule

/// The reduced Newton system of the interior-point method: the masses
/// eliminated pair by pair, then the multipliers of A label block by label
/// block, leaving the Schur complement on the multipliers of B (`nB k`
/// rows), factored by Cholesky. Also the pair-by-pair products with the
/// reduced matrix `H` that the other systems share (`slackRates`,
/// `rightHandSide`).

extension InteriorPointSolver {

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
    guard formSchurComplement(into: &schur, inverses: &inverses, coefficient: coefficient, mass: mass, soft: soft,
                              labels: labels, fixed: fixed) else { return nil }
    if let split { shareSchurRows(&schur, split) }
    for i in 0..<dim where fixed[i] {
      for j in 0..<i { schur[i * dim + j] = 0 }
      for j in (i + 1)..<dim { schur[j * dim + i] = 0 }
      schur[i * dim + i] = 1
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
      copyAddingToDiagonal(schur, into: &trial, dim, ridge)
      if choleskyFactor(&trial, dim, diagonalLeading: leading) {
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
                                   coefficient: UnsafePointer<Double>, mass m: UnsafePointer<Double>,
                                   soft sf: UnsafePointer<Double>, labels: [Int], fixed: [Bool]) -> Bool {
    let k = self.k, nA = self.nA, nB = self.nB
    let perRow = max(1, nB * k * k)
    let blockCount = (nA + max(1, Self.schurBlockDoubles / perRow) - 1) / max(1, Self.schurBlockDoubles / perRow)
    let rows = (nA + blockCount - 1) / blockCount
    if let cached = factorBuffers.workspace, cached.k != k || cached.nB != nB || cached.rows != rows {
      factorBuffers.workspace = nil
    }
    let space = factorBuffers.workspace ?? SchurWorkspace(k: k, nB: nB, rows: rows)
    factorBuffers.workspace = space
    return labels.withUnsafeBufferPointer { owned in
      for first in stride(from: 0, to: nA, by: rows) {
        let count = min(rows, nA - first)
        for r in 0..<count {
          guard prepareRow(first + r, slot: r, of: count, mass: m, soft: sf, coefficient: coefficient, space: space,
                           labels: owned) else { return false }
          (inverses + (first + r) * k * k).update(from: space.block, count: k * k)
        }
        prepareCrossDots(space, rows: count)
        accumulateBlock(space, rows: count, into: S, labels: owned, skipping: fixed)
      }
      return true
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
    var hA = [Double](repeating: 0, count: dA.count)
    var hB = [Double](repeating: 0, count: dB.count)
    addPairProducts(mass, soft, f.coefficient, dA, dB, to: &hA, &hB)
    for i in 0..<hA.count where pA[i] == 0 { hA[i] = dA[i] }
    for b in 0..<nB {
      for t in 0..<k where pB[b * k + t] == 0 || pinned[t] == b { hB[b * k + t] = dB[b * k + t] }
    }
    return (hA, hB)
  }

  /// Adds every pair's block `diag(q) + c q qᵀ` applied to `xA_a + xB_b`
  /// to `yA_a` and `yB_b` (pairs of negligible mass contribute nothing).
  private func addPairProducts(_ m: UnsafePointer<Double>, _ soft: UnsafePointer<Double>, _ c: UnsafePointer<Double>,
                               _ xA: UnsafePointer<Double>, _ xB: UnsafePointer<Double>,
                               to yA: UnsafeMutablePointer<Double>, _ yB: UnsafeMutablePointer<Double>) {
    let k = self.k, nB = self.nB
    for pair in 0..<(nA &* nB) where m[pair] > Self.negligibleMass {
      let a = pair / nB, b = pair % nB
      addPairProduct(soft + pair &* k, m[pair], c[pair], xA + a &* k, xB + b &* k, to: yA + a &* k, yB + b &* k, k)
    }
  }

  /// One solve with the factors: eliminate `dA` (`A_a⁻¹` per row a), solve
  /// the Schur complement for `dB`, substitute back. Fixed multipliers get 0.
  func solveOnce(_ f: Factorization, rA: [Double], rB: [Double]) -> (dA: [Double], dB: [Double]) {
    var dB = rB
    var dA = [Double](repeating: 0, count: nA * k)
    var scratch = [Double](repeating: 0, count: k)
    eliminateA(mass, soft, f.inverses, f.coefficient, rA, from: &dB, scratch: &scratch)
    for b in 0..<nB {
      for t in 0..<k where pB[b * k + t] == 0 || pinned[t] == b { dB[b * k + t] = 0 }
    }
    choleskySolve(f.schur, nB * k, &dB)
    substituteA(mass, soft, f.inverses, f.coefficient, rA, dB, into: &dA, scratch: &scratch)
    return (dA, dB)
  }

  /// `x -= Σ_a Bᵀ A_a⁻¹ rA_a`, pair by pair: the right-hand side of the
  /// Schur complement.
  private func eliminateA(_ m: UnsafePointer<Double>, _ soft: UnsafePointer<Double>, _ inverses: UnsafePointer<Double>, _ c: UnsafePointer<Double>, _ rA: UnsafePointer<Double>,
                          from x: UnsafeMutablePointer<Double>, scratch y: UnsafeMutablePointer<Double>) {
    let k = self.k, nB = self.nB
    for a in 0..<nA {
      let g = inverses + a &* k &* k, r = rA + a &* k
      for t in 0..<k { y[t] = dotProduct(g + t &* k, r, k) }
      for b in 0..<nB {
        let pair = a &* nB &+ b
        guard m[pair] > Self.negligibleMass else { continue }
        subtractPairProduct(soft + pair &* k, m[pair], c[pair], y, from: x + b &* k, k)
      }
    }
  }

  /// `dA_a = A_a⁻¹ (rA_a - Σ_b B dB_b)` for every row a with mass.
  private func substituteA(_ m: UnsafePointer<Double>, _ soft: UnsafePointer<Double>, _ inverses: UnsafePointer<Double>, _ c: UnsafePointer<Double>, _ rA: UnsafePointer<Double>,
                           _ dB: UnsafePointer<Double>, into dA: UnsafeMutablePointer<Double>,
                           scratch y: UnsafeMutablePointer<Double>) {
    let k = self.k, nB = self.nB
    for a in 0..<nA {
      y.update(from: rA + a &* k, count: k)
      for b in 0..<nB {
        let pair = a &* nB &+ b
        guard m[pair] > Self.negligibleMass else { continue }
        subtractPairProduct(soft + pair &* k, m[pair], c[pair], dB + b &* k, from: y, k)
      }
      let g = inverses + a &* k &* k
      for t in 0..<k where pA[a &* k &+ t] > 0 { dA[a &* k &+ t] = dotProduct(g + t &* k, y, k) }
    }
  }

  /// `s · dz` per pair, the first-order decrease of σ along (dA, dB).
  func slackRates(_ dA: [Double], _ dB: [Double]) -> [Double] {
    var rates = [Double](repeating: 0, count: nA * nB)
    pairRates(soft, dA, dB, into: &rates)
    return rates
  }

  private func pairRates(_ soft: UnsafePointer<Double>, _ xA: UnsafePointer<Double>, _ xB: UnsafePointer<Double>,
                         into rates: UnsafeMutablePointer<Double>) {
    let k = self.k, nB = self.nB
    for pair in 0..<(nA &* nB) where pairAllowed[pair] {
      rates[pair] = pairRate(soft + pair &* k, xA + (pair / nB) &* k, xB + (pair % nB) &* k, k)
    }
  }

  /// The Newton right-hand side `p - Σ s (target + m(g + σ))/σ` for pair
  /// targets of `m σ` (τ, possibly with a corrector term).
  func rightHandSide(targets: [Double]) -> (rA: [Double], rB: [Double]) {
    var rA = pA, rB = pB
    var weights = [Double](repeating: 0, count: mass.count)
    for pair in 0..<mass.count where pairAllowed[pair] {
      weights[pair] = (targets[pair] + mass[pair] * (gValue[pair] + slack[pair])) / slack[pair]
    }
    subtractWeightedSoftmax(weights, soft, from: &rA, &rB)
    return (rA, rB)
  }

  /// `yA_a -= w s` and `yB_b -= w s` for every allowed pair `(a, b)` with
  /// weight `w`.
  private func subtractWeightedSoftmax(_ w: UnsafePointer<Double>, _ soft: UnsafePointer<Double>,
                                       from yA: UnsafeMutablePointer<Double>, _ yB: UnsafeMutablePointer<Double>) {
    let k = self.k, nB = self.nB
    for pair in 0..<(nA &* nB) where pairAllowed[pair] {
      subtractScaledPair(w[pair], soft + pair &* k, from: yA + (pair / nB) &* k, yB + (pair % nB) &* k, k)
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

/// `target = source + ridge I` for `n x n` row-major matrices.
private func copyAddingToDiagonal(_ source: UnsafePointer<Double>, into target: UnsafeMutablePointer<Double>,
                                  _ n: Int, _ ridge: Double) {
  target.update(from: source, count: n * n)
  for i in 0..<n { target[i * n + i] += ridge }
}
