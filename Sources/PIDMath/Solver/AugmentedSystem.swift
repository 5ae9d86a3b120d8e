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
  /// complementarity equations: unscaled, partial pivoting on a
  /// heavy-tailed table can pick pivots that make the direction useless. Rows
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

  /// Pairs whose mass is kept in the augmented system (`σ < m`).
  func activeCount() -> Int {
    var count = 0
    for pair in 0..<(nA * nB) where pairAllowed[pair] && slack[pair] < mass[pair] { count += 1 }
    return count
  }

}
