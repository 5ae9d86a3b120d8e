import RealModule

/// The augmented Newton system of the interior-point method: multipliers
/// and the masses of the active pairs as unknowns (dense LU after
/// power-of-two equilibration). Exact to rounding at the end of the path,
/// where the reduced system (`SchurSystem.swift`) loses the primal
/// residual to cancellation; affordable only for small problems.

extension InteriorPointSolver {
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
    /// The unknown (and equation) at each position of the factored matrix.
    var order: [Int]
    /// Powers of two the equations (rows) were scaled by before factoring
    /// (`equilibrate`), by position.
    var rowScale: [Double]
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
    // The pairs' unknowns and equations come first (a symmetric
    // permutation of the order multipliers, δm): a pair's equation touches
    // only its own δm and the 2k multipliers of its row and column, so
    // eliminating the pairs first leaves most rows of each panel untouched
    // (`luFactor` skips them), where the multipliers first would fill the
    // whole pair block in. `position` maps an unknown to its place.
    let order = Array(offsetM..<n) + Array(0..<offsetM)
    @inline(__always) func position(_ i: Int) -> Int { i >= offsetM ? i &- offsetM : i &+ count }
    var matrix = [Double](repeating: 0, count: n * n)
    var pivots = [Int](repeating: 0, count: n)
    var rowScale = [Double](repeating: 1, count: n)
    let factored: Bool = matrix.withUnsafeMutableBufferPointer { M in
      for a in 0..<nA {
        for b in 0..<nB {
          let pair = a * nB + b
          guard pairAllowed[pair] else { continue }
          let m = mass[pair], sigma = slack[pair]
          let j = active[pair]
          // Rank-one weight: -m for active (δm kept), m(1/σ - 1) otherwise.
          let rankOne = j >= 0 ? -m : m * (1 / sigma - 1)
          let columnA = position(a * k), columnB = position(offsetB + b * k)
          for t in 0..<k {
            let st = soft[pair * k + t]
            guard st > 0 else { continue }
            for side in 0..<2 {
              let row = position((side == 0 ? a * k : offsetB + b * k) + t) * n
              M[row + columnA + t] += m * st
              M[row + columnB + t] += m * st
              for u in 0..<k {
                let v = rankOne * st * soft[pair * k + u]
                M[row + columnA + u] += v
                M[row + columnB + u] += v
              }
              if j >= 0 { M[row + j] += st }
            }
          }
          if j >= 0 {
            // σ δm - m sᵀ dz = target + m g  (from m dσ + σ δm = target - mσ
            // and dσ = -(g + σ) - sᵀ dz).
            let row = j * n
            M[row + j] = sigma
            for u in 0..<k {
              M[row + columnA + u] -= m * soft[pair * k + u]
              M[row + columnB + u] -= m * soft[pair * k + u]
            }
          }
        }
      }
      // Fixed multipliers: identity rows (their marginal rows are either
      // empty or, for the gauge, implied by the others).
      for i in 0..<offsetM where isFixed(i) {
        let row = position(i)
        for c in 0..<n { M[row * n + c] = 0 }
        M[row * n + row] = 1
      }
      equilibrate(M.baseAddress!, n, rowScale: &rowScale)
      return pivots.withUnsafeMutableBufferPointer { P in luFactor(M.baseAddress!, n, P.baseAddress!) }
    }
    guard factored else { return nil }
    return AugmentedSystem(factors: matrix, pivots: pivots, active: active, size: n, order: order,
                           rowScale: rowScale)
  }

  /// Scales the rows of the `n x n` matrix `M` (row-major) by powers of
  /// two bringing the largest magnitude of each into [1, 2); the scales are
  /// written out. Powers of two are exact, so the scaled system
  /// `(R M) x = R r` is the same system; only partial pivoting sees the
  /// difference. The augmented system mixes marginal equations of cells
  /// from 1e-30 to 0.1 with the pairs' complementarity equations:
  /// unscaled, partial pivoting on a heavy-tailed table can pick pivots
  /// that make the direction useless. (Scaling the columns too would change
  /// nothing: partial pivoting compares entries within a column, and a
  /// power-of-two column scale multiplies the factors' entries and the
  /// solution exactly.) Rows whose largest magnitude is subnormal keep the
  /// scale 1 (its power-of-two inverse would overflow).
  func equilibrate(_ M: UnsafeMutablePointer<Double>, _ n: Int, rowScale: inout [Double]) {
    for i in 0..<n {
      let row = M + i &* n
      let top = largestMagnitude(row, n)
      let scale = top >= .leastNormalMagnitude && top.isFinite ? Double(sign: .plus, exponent: -top.exponent, significand: 1) : 1
      rowScale[i] = scale
      if scale != 1 { for c in 0..<n { row[c] *= scale } }
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
    var x = system.order.indices.map { rhs[system.order[$0]] * system.rowScale[$0] }
    system.factors.withUnsafeBufferPointer { M in
      system.pivots.withUnsafeBufferPointer { P in
        x.withUnsafeMutableBufferPointer { r in luSolveFactored(M.baseAddress!, system.size, P.baseAddress!, r.baseAddress!) }
      }
    }
    for (position, i) in system.order.enumerated() { rhs[i] = x[position] }
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

  /// Pairs whose mass is kept in the augmented system (`σ < m`).
  func activeCount() -> Int {
    var count = 0
    for pair in 0..<(nA * nB) where pairAllowed[pair] && slack[pair] < mass[pair] { count += 1 }
    return count
  }

}
