import RealModule

/// The certificate of an iterate (MATH.md section 2): an exactly feasible
/// coupling, whose objective is the upper end of `F*`, and the Lagrange
/// dual bound at the iterate's multipliers, the lower end. Any multipliers
/// and any feasible coupling give valid ends, so how good the iterate is
/// affects only the width of the interval, never its validity.

extension InteriorPointSolver {
  struct Outcome {
    var q: [Double]
    /// `F` at `q`, nats (upper end).
    var upperNats: Double
    /// Dual bound on `F`, nats (lower end). Neither end is ever NaN
    /// (`certify`, which makes every outcome, maps such an end to none).
    var lowerNats: Double
    var steps: Int
    var gapBits: Double { (upperNats - lowerNats) / naturalLogOf2 }

    /// The better end of each: the lower upper end (with its coupling) and
    /// the higher lower end. Both ends are valid whichever iterate gave
    /// them, so the combination is a certificate too.
    func merged(with other: Outcome?) -> Outcome {
      guard let other else { return self }
      var result = upperNats <= other.upperNats ? self : other
      result.lowerNats = max(lowerNats, other.lowerNats)
      return result
    }
  }

  func objective(_ q: [Double]) -> Double {
    conditionalEntropyObjective(q, pairs: nA * nB, k: k)
  }

  /// The coupling `m s` rounded onto the marginals, and the dual bound (in
  /// nats, of `F = -H(T|A,B)`) at the current multipliers. When the
  /// rounded `m s` does not reach `certificateTarget` but is within
  /// `scalingReach` times it, more candidates for the upper end: `m s`
  /// after matrix scaling and, in a final certificate (`scalingReach`
  /// infinite) of a small problem, the projected masses, rounded as they
  /// are and after matrix scaling. (The certificates of the path's
  /// iterates and of the crossover's leave the projection out: it costs a
  /// factorization over all multipliers and, on the stress families and
  /// the bundled examples, never ended a path that the other candidates
  /// did not.)
  func certify(scalingReach: Double = .infinity) -> Outcome {
    var q = [Double](repeating: 0, count: nA * nB * k)
    for pair in 0..<(nA * nB) where pairAllowed[pair] {
      for t in 0..<k { q[pair * k + t] = mass[pair] * soft[pair * k + t] }
    }
    let lower = dualBound()
    var upper = Double.infinity
    // Each candidate rounded onto the marginals; the best is kept.
    func consider(_ candidate: [Double], scaled: Bool) {
      var rounded = candidate
      if scaled { scaleOntoMarginals(&rounded) }
      roundOntoMarginals(&rounded)
      guard rounded.allSatisfy({ $0.isFinite }) else { return }
      let value = objective(rounded)
      if value < upper { upper = value; q = rounded }
    }
    let plain = q
    consider(plain, scaled: false)
    // The other candidates only when the plain one falls short of the
    // target but is within reach of it. (Large problems, certified at every
    // step of their early crossovers, keep the plain rounding alone.)
    let plainGap = (upper - lower) / naturalLogOf2
    let final = scalingReach == .infinity
    if !usesIterativeSystems && plainGap > certificateTarget && (final || plainGap <= scalingReach * certificateTarget) {
      var candidates = [plain]
      if final && (nA + nB) * k <= Self.projectionLimit, let projected = projectedMasses() {
        var p = [Double](repeating: 0, count: nA * nB * k)
        for pair in 0..<(nA * nB) where pairAllowed[pair] {
          for t in 0..<k { p[pair * k + t] = projected[pair] * soft[pair * k + t] }
        }
        consider(p, scaled: false)
        candidates.append(p)
      }
      for candidate in candidates { consider(candidate, scaled: true) }
    }
    if upper == .infinity {
      // No candidate rounded to a finite coupling: the product coupling of
      // each label, rounded, is feasible whatever the iterate (the upper
      // end must come with a coupling on the marginals).
      var product = productCoupling(pA, pB, nA: nA, nB: nB, k: k, labelMass: labelMass)
      roundOntoMarginals(&product)
      if product.allSatisfy({ $0.isFinite }) {
        q = product
        upper = objective(product)
      }
    }
    // Rounding in an iterate near the end of its range can make either end
    // NaN (or the dual end overflow): such an end certifies nothing.
    return Outcome(q: q, upperNats: upper.isNaN ? .infinity : upper,
                   lowerNats: lower.isNaN || lower == .infinity ? -.infinity : lower, steps: 0)
  }

  /// The Lagrange dual bound (nats) at the current multipliers made dual
  /// feasible by the best uniform shifts: `λ(a,·) - α_a`, `μ(b,·) - β_b`
  /// with `α_a + β_b >= g(a,b)` on every allowed pair, which leaves
  ///
  ///     Σ λ p(a,t) + Σ μ p(b,t) - (Σ_a p(a) α_a + Σ_b p(b) β_b).
  ///
  /// The shifts minimizing the subtracted term solve a transport dual; they
  /// are approached by alternating exact minimizations over `β` and `α`
  /// (`α_a = max_b g(a,b) - β_b`, `β_b = max_a g(a,b) - α_a`, each a
  /// c-transform), starting from `β = 0`, which is the plain bound
  /// `Σ_a p(a) max_b g(a,b)`. Every step can only lower the subtracted term,
  /// and any shifts satisfying the constraints give a valid bound, so the
  /// number of sweeps affects only the bound's tightness. The β shifts
  /// recover what the row shifts alone lose where the multipliers of a
  /// column of B overshoot on some pairs (g > 0) while the others have room.
  /// Tables with tiny cells then add `tinyMultiplierGain`.
  func dualBound() -> Double {
    var base = 0.0
    for i in 0..<(nA * k) where pA[i] > 0 { base += lambda[i] * pA[i] }
    for i in 0..<(nB * k) where pB[i] > 0 { base += mu[i] * pB[i] }
    var rowMassB = [Double](repeating: 0, count: nB)
    for b in 0..<nB { for t in 0..<k { rowMassB[b] += pB[b * k + t] } }
    var alpha = [Double](repeating: -.infinity, count: nA)
    var beta = [Double](repeating: 0, count: nB)
    for a in 0..<nA {
      for b in 0..<nB where pairAllowed[a * nB + b] { alpha[a] = max(alpha[a], gValue[a * nB + b]) }
    }
    func subtracted() -> Double {
      var total = 0.0
      for a in 0..<nA where alpha[a] > -.infinity { total += rowMassA[a] * alpha[a] }
      for b in 0..<nB { total += rowMassB[b] * beta[b] }
      return total
    }
    let plain = subtracted()
    var best = plain
    var bestShifts = (alpha, beta)
    for _ in 0..<Self.shiftSweeps {
      for b in 0..<nB {
        var top = -Double.infinity
        for a in 0..<nA where pairAllowed[a * nB + b] { top = max(top, gValue[a * nB + b] - alpha[a]) }
        beta[b] = top > -.infinity ? top : 0
      }
      for a in 0..<nA {
        var top = -Double.infinity
        for b in 0..<nB where pairAllowed[a * nB + b] { top = max(top, gValue[a * nB + b] - beta[b]) }
        alpha[a] = top
      }
      let value = subtracted()
      guard value < best else { break }
      best = value
      bestShifts = (alpha, beta)
    }
    guard hasTinyCells else { return base - best }
    // The tiny cells' gain on top of either set of shifts (the β shifts
    // moved into μ and g).
    let plainTops = (0..<nA).map { a in
      (0..<nB).filter { pairAllowed[a * nB + $0] }.map { gValue[a * nB + $0] }.max() ?? -.infinity
    }
    var plainBound = base
    for a in 0..<nA where plainTops[a] > -.infinity { plainBound -= rowMassA[a] * plainTops[a] }
    plainBound += tinyMultiplierGain(tops: plainTops, g: gValue, mu: mu)
    var shiftedG = gValue, shiftedMu = mu
    for pair in 0..<(nA * nB) where pairAllowed[pair] { shiftedG[pair] -= bestShifts.1[pair % nB] }
    for b in 0..<nB { for t in 0..<k where pB[b * k + t] > 0 { shiftedMu[b * k + t] -= bestShifts.1[b] } }
    var shiftedBound = base
    for a in 0..<nA where bestShifts.0[a] > -.infinity { shiftedBound -= rowMassA[a] * bestShifts.0[a] }
    for b in 0..<nB { shiftedBound -= rowMassB[b] * bestShifts.1[b] }
    // (Σ μ' p(b,t) = Σ μ p(b,t) - Σ_b p(b) β_b: the β term above.)
    shiftedBound += tinyMultiplierGain(tops: bestShifts.0, g: shiftedG, mu: shiftedMu)
    return max(plainBound, shiftedBound)
  }

  /// The dual bound (nats, row-shift form `Σ λ p + Σ μ p - Σ_a p(a) max_b g(a,b)`)
  /// after coordinate ascent over the multipliers, starting from the
  /// current ones (which are not changed): each multiplier in turn is moved
  /// to the maximizer of the bound along it (a concave function of the
  /// move, found by golden-section search), for `sweeps` sweeps. The bound
  /// is valid at any multipliers; the ascent only tightens it. Moving
  /// `λ(a,t)` by `δ` adds `p(a,t) δ` and moves `g(a,b)` to
  /// `g + log(1 - s + s e^δ)` (`s` the pair's softmax entry of `t`).
  func polishedDualBound(sweeps: Int) -> Double {
    var lam = lambda, m = mu
    var g = gValue
    var soft = self.soft
    // The bound at the final multipliers, with g evaluated afresh (the
    // ascent updates g and the softmax incrementally).
    func value() -> Double {
      var exact = [Double](repeating: 0, count: nA * nB), scratch = [Double](repeating: 0, count: nA * nB * k)
      var top = 0.0
      _ = evaluate(lambda: lam, mu: m, g: &exact, soft: &scratch, maxG: &top)
      var total = 0.0
      for i in 0..<(nA * k) where pA[i] > 0 { total += lam[i] * pA[i] }
      for i in 0..<(nB * k) where pB[i] > 0 { total += m[i] * pB[i] }
      for a in 0..<nA {
        var top = -Double.infinity
        for b in 0..<nB where pairAllowed[a * nB + b] { top = max(top, exact[a * nB + b]) }
        if top > -.infinity { total -= rowMassA[a] * top }
      }
      return total
    }
    var tops = [Double](repeating: -.infinity, count: nA)
    func refreshTops() {
      for a in 0..<nA {
        tops[a] = -.infinity
        for b in 0..<nB where pairAllowed[a * nB + b] { tops[a] = max(tops[a], g[a * nB + b]) }
      }
    }
    refreshTops()
    for _ in 0..<sweeps {
      for side in 0..<2 {
        let masses = side == 0 ? pA : pB
        for cell in 0..<masses.count {
          let p = masses[cell]
          guard p > 0 else { continue }
          let t = cell % k, line = cell / k
          let pairs: [Int] = side == 0
            ? (0..<nB).filter { pairAllowed[line * nB + $0] }.map { line * nB + $0 }
            : (0..<nA).filter { pairAllowed[$0 * nB + line] }.map { $0 * nB + line }
          let shares = pairs.map { soft[$0 * k + t] }
          // Rows' largest g outside the moved pairs.
          var others = [Double](repeating: -.infinity, count: pairs.count)
          for (i, pair) in pairs.enumerated() {
            let a = pair / nB
            for b in 0..<nB where pairAllowed[a * nB + b] && (side == 0 ? false : b != line) { others[i] = max(others[i], g[a * nB + b]) }
          }
          func moved(_ i: Int, _ delta: Double) -> Double {
            let s = shares[i]
            // log(1 - s + s e^δ), stable for s near 0 or 1.
            if s <= 0 { return g[pairs[i]] }
            let x = Double.log(s) + delta, y = s < 1 ? Double.log(onePlus: -s) : -Double.infinity
            let hi = max(x, y), lo = min(x, y)
            return g[pairs[i]] + hi + Double.log(onePlus: Double.exp(lo - hi))
          }
          func change(_ delta: Double) -> Double {
            var total = p * delta
            if side == 0 {
              var top = -Double.infinity
              for i in pairs.indices { top = max(top, moved(i, delta)) }
              total -= rowMassA[line] * (top - tops[line])
            } else {
              for (i, pair) in pairs.enumerated() {
                let a = pair / nB
                total -= rowMassA[a] * (max(others[i], moved(i, delta)) - tops[a])
              }
            }
            return total
          }
          // Bracket the maximizer: the change is concave and 0 at δ = 0.
          var lo = -1.0, hi = 1.0
          while lo > -1e3 && change(2 * lo) > change(lo) { lo *= 2 }
          while hi < 1e3 && change(2 * hi) > change(hi) { hi *= 2 }
          let ratio = (5.0.squareRoot() - 1) / 2
          for _ in 0..<60 {
            let x1 = hi - ratio * (hi - lo), x2 = lo + ratio * (hi - lo)
            if change(x1) < change(x2) { lo = x1 } else { hi = x2 }
          }
          let delta = (lo + hi) / 2
          guard change(delta) > 0 else { continue }
          if side == 0 { lam[cell] += delta } else { m[cell] += delta }
          for (i, pair) in pairs.enumerated() {
            let newG = moved(i, delta)
            // New softmax of the pair: entry t scales by e^δ, all by e^(g - g').
            let scale = Double.exp(g[pair] - newG)
            for u in 0..<k { soft[pair * k + u] *= scale }
            soft[pair * k + t] *= Double.exp(delta)
            g[pair] = newG
          }
          refreshTops()
        }
      }
    }
    return value()
  }

  /// Most alternating sweeps of `dualBound`'s shifts.
  static let shiftSweeps = 20

  /// Problems with at most this many multipliers get the projected masses
  /// (`projectedMasses`) as a candidate of the upper end in final
  /// certificates (`certify` with infinite `scalingReach`), when the
  /// rounded `m s` misses the target.
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
    guard solveMultiplierSystem(&matrix, &rhs, ridge: 1e-14) else { return nil }
    var projected = mass
    for pair in 0..<mass.count where pairAllowed[pair] && mass[pair] > Self.negligibleMass {
      let a = pair / nB, b = pair % nB
      var rate = 0.0
      for t in 0..<k { rate += soft[pair * k + t] * (rhs[a * k + t] + rhs[nA * k + b * k + t]) }
      projected[pair] = max(0, mass[pair] * (1 + rate))
    }
    return projected
  }

  /// Solves `M x = r` in place (`rhs` becomes `x`) for a symmetric
  /// positive semidefinite `M` over all `(nA + nB) k` multipliers
  /// (row-major, lower triangle read): the fixed multipliers' rows and
  /// columns become those of the identity with a zero right-hand side, and
  /// a ridge of `ridge` times the largest diagonal entry, grown a hundredfold
  /// up to four times, is added until the Cholesky factorization succeeds.
  /// Returns false (leaving `rhs` unchanged) when none does.
  func solveMultiplierSystem(_ matrix: inout [Double], _ rhs: inout [Double], ridge: Double) -> Bool {
    let dim = (nA + nB) * k
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
      let added = largest * ridge * Double.pow(100, attempt)
      for i in 0..<dim { trial[i * dim + i] += added }
      factored = trial.withUnsafeMutableBufferPointer { choleskyFactor($0.baseAddress!, dim) }
    }
    guard factored else { return false }
    trial.withUnsafeBufferPointer { L in rhs.withUnsafeMutableBufferPointer { choleskySolve(L.baseAddress!, dim, $0.baseAddress!) } }
    return true
  }

  /// Sweeps of `scaleOntoMarginals`.
  static let scalingSweeps = 20

  /// Matrix scaling (Sinkhorn) of every label slice towards its marginals:
  /// rows scaled to `p(a,t)`, then columns to `p(b,t)`, at most
  /// `scalingSweeps` times, stopping once no column marginal is off by more
  /// than `1e-12` before its scaling (the rounding that follows absorbs the
  /// rest exactly). A scaled slice keeps the form `diag(u) q diag(v)`, i.e.
  /// it is the coupling of multipliers shifted by `log u`, `log v`, so the
  /// objective moves to second order while the marginal residual that the
  /// rounding would have to absorb shrinks geometrically. Rows or columns
  /// without mass are left alone (the rounding supplies them). All labels
  /// are swept together, over the cells in memory order.
  func scaleOntoMarginals(_ q: inout [Double]) {
    let k = self.k, nB = self.nB
    var rowSums = [Double](repeating: 0, count: nA * k)
    var columnSums = [Double](repeating: 0, count: nB * k)
    q.withUnsafeMutableBufferPointer { Q in
      rowSums.withUnsafeMutableBufferPointer { R in
        columnSums.withUnsafeMutableBufferPointer { C in
          let q = Q.baseAddress!, rows = R.baseAddress!, columns = C.baseAddress!
          // Each pass scales the cells and sums them for the next scaling,
          // in memory order (every sum adds its cells in order of the other
          // index, as a separate pass would).
          for a in 0..<nA {
            for b in 0..<nB {
              let cell = q + (a &* nB &+ b) &* k
              for t in 0..<k { rows[a &* k &+ t] += cell[t] }
            }
          }
          // Every cell (a, b, t) times `factors` at its row (a k + t) or
          // column (b k + t), added to `sums` at the other.
          func scaleCells(byRows: Bool, _ factors: UnsafePointer<Double>, summingInto sums: UnsafeMutablePointer<Double>) {
            for a in 0..<nA {
              for b in 0..<nB {
                let cell = q + (a &* nB &+ b) &* k
                let f = factors + (byRows ? a : b) &* k, sum = sums + (byRows ? b : a) &* k
                for t in 0..<k {
                  cell[t] *= f[t]
                  sum[t] += cell[t]
                }
              }
            }
          }
          for _ in 0..<Self.scalingSweeps {
            // Rows to p(a,t), summing columns.
            for i in 0..<(nA &* k) { rows[i] = rows[i] > 0 ? pA[i] / rows[i] : 1 }
            columns.update(repeating: 0, count: nB &* k)
            scaleCells(byRows: true, rows, summingInto: columns)
            var largest = 0.0
            for i in 0..<(nB &* k) { largest = max(largest, abs(columns[i] - pB[i])) }
            // Columns to p(b,t), summing rows.
            for i in 0..<(nB &* k) { columns[i] = columns[i] > 0 ? pB[i] / columns[i] : 1 }
            rows.update(repeating: 0, count: nA &* k)
            scaleCells(byRows: false, columns, summingInto: rows)
            if largest <= 1e-12 { break }
          }
        }
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
  /// the path can leave it at (with its softmax entries underflowed to 0,
  /// no Newton step moves it).
  func tinyMultiplierGain(tops: [Double], g: [Double], mu: [Double]) -> Double {
    var tops = tops
    var g = g
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
