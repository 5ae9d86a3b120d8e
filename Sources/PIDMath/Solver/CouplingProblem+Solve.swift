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
      let q = productCoupling(pA, pB, nA: rowsA.count, nB: rowsB.count, k: kk, labelMass: labelMass)
      small = (q, nil, 0)
    } else if rowsA.count >= rowsB.count {
      let result = solveReduced(pA, pB, nA: rowsA.count, nB: rowsB.count, k: kk, options: options)
      small = (result.q, result.lowerNats, result.steps)
    } else {
      // Eliminate the larger source: swap roles, then transpose back.
      let result = solveReduced(pB, pA, nA: rowsB.count, nB: rowsA.count, k: kk, options: options)
      small = (swappingSources(result.q, nA: rowsA.count, nB: rowsB.count, k: kk), result.lowerNats, result.steps)
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

/// The interior-point method (`InteriorPointSolver`) on a reduced problem
/// (`pA` the larger side, whose blocks the Newton systems eliminate).
/// While the certificate is above the target gap, further attempts follow,
/// each merged into it: every end of every attempt is valid, so the better
/// of each is (`Outcome.merged`; the steps of all are counted). First the
/// plain path, when the first one adapted to a wide range of the cells;
/// then the same problem with the two sources swapped, whose Newton
/// systems are on the larger side: a different sequence of roundings. The
/// end games of heavy-tailed tables (scripts/stress-pid.py) are decided by
/// rounding, and the attempts fall short on different tables.
func solveReduced(_ pA: [Double], _ pB: [Double], nA: Int, nB: Int, k: Int,
                  options: SolverOptions) -> InteriorPointSolver.Outcome {
  let adapted = InteriorPointSolver(pA: pA, pB: pB, nA: nA, nB: nB, k: k)
  var outcome = adapted.run(options: options)
  func merge(_ attempt: InteriorPointSolver.Outcome) {
    let steps = outcome.steps + attempt.steps
    outcome = attempt.merged(with: outcome)
    outcome.steps = steps
  }
  if outcome.gapBits > options.targetGap && adapted.spansWideRange {
    merge(InteriorPointSolver(pA: pA, pB: pB, nA: nA, nB: nB, k: k, adaptingToRange: false).run(options: options))
  }
  if outcome.gapBits > options.targetGap {
    var swapped = InteriorPointSolver(pA: pB, pB: pA, nA: nB, nB: nA, k: k).run(options: options)
    swapped.q = swappingSources(swapped.q, nA: nA, nB: nB, k: k)
    merge(swapped)
  }
  return outcome
}

/// A coupling of the problem with its sources swapped, `q[b][a][t]`
/// (`nB x nA x k`, flattened), as `q[a][b][t]`.
func swappingSources(_ q: [Double], nA: Int, nB: Int, k: Int) -> [Double] {
  var swapped = [Double](repeating: 0, count: q.count)
  for a in 0..<nA {
    for b in 0..<nB {
      for t in 0..<k { swapped[(a * nB + b) * k + t] = q[(b * nA + a) * k + t] }
    }
  }
  return swapped
}

/// The product coupling of each label, `q(a,b,t) = p(a,t) p(b,t) / p(t)`
/// (`pA`, `pB` row-major `nA x k`, `nB x k`; 0 for labels without mass):
/// its marginals are `pA` and `pB` whenever their label masses agree.
func productCoupling(_ pA: [Double], _ pB: [Double], nA: Int, nB: Int, k: Int, labelMass: [Double]) -> [Double] {
  var q = [Double](repeating: 0, count: nA * nB * k)
  for a in 0..<nA {
    for b in 0..<nB {
      for t in 0..<k where labelMass[t] > 0 { q[(a * nB + b) * k + t] = pA[a * k + t] * pB[b * k + t] / labelMass[t] }
    }
  }
  return q
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
