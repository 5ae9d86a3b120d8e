import RealModule

/// Matrix-free Newton systems for large problems (`nB k` in the thousands,
/// where the dense Schur complement of `factor()` costs seconds per step).
///
/// Both the interior-point system `H` and the crossover's `Eᵀ D⁻¹ E` are
/// solved by preconditioned conjugate gradients. The building block is a
/// per-label block-diagonal matrix
///
///     D_t = Σ_pairs w(a,b,t) (e_a + e_b)(e_a + e_b)ᵀ
///
/// on the free multipliers of label `t` (rows of A, then rows of B),
/// factored by eliminating its diagonal A part: `S_t = diag(d_B) - Qᵀ
/// diag(1/d_A) Q` (`nB x nB`, one Cholesky per label). For the interior-point
/// system `w` is the label-diagonal part of each pair's block
/// (`m s_t (1 - s_t) + (m/σ) s_t²`), i.e. `D` is the block-Jacobi
/// preconditioner of `H` by labels; for the crossover it is `q = m s` on the
/// active pairs, and `D⁻¹` is applied exactly. Both solves are inexact on
/// purpose (relative accuracy ~ complementarity for the interior-point
/// method, 1e-4 or at most 150 iterations for the crossover); an
/// interior-point solve that does not converge returns nil and the caller
/// falls back to the dense path. Every iterate is certified as before, so
/// an inexact direction costs time, never correctness.
struct LabelBlocks {
  /// `w(a, b, t)` at `(t * nA + a) * nB + b`.
  var weights: [Double]
  /// `1 / d_A(a, t)` at `t * nA + a`, 0 for fixed multipliers.
  var inverseA: [Double]
  /// Cholesky factors of `S_t`, `nB x nB` each.
  var factors: [Double]
  /// `1 / d_B(b, t)` at `t * nB + b`, 0 for fixed multipliers (for the
  /// Jacobi estimate of the crossover system).
  var inverseB: [Double]
  /// For sparse weights (the crossover's active pairs), the columns `b`
  /// of row `a` that may be nonzero (for every label); nil: dense.
  var rows: [[Int]]? = nil
}

extension InteriorPointSolver {
  /// Problems whose B-side Schur complement has at least this many rows
  /// use the matrix-free systems.
  static let iterativeMinimumRows = 1000

  var usesIterativeSystems: Bool { nB * k >= Self.iterativeMinimumRows }
  /// See `run`.
  static let iterativeSwitch = 200

  @inline(__always)
  func isFreeB(_ b: Int, _ t: Int) -> Bool { pB[b * k + t] > 0 && pinned[t] != b }

  /// Factors `D` for label-major weights. Returns nil when some `S_t` is not
  /// numerically positive definite (e.g. a free multiplier without weight).
  func labelBlocks(weights: [Double]) -> LabelBlocks? {
    let k = self.k, nA = self.nA, nB = self.nB
    var inverseA = [Double](repeating: 0, count: k * nA)
    var factors = [Double](repeating: 0, count: k * nB * nB)
    var dB = [Double](repeating: 0, count: nB)
    var inverseB = [Double](repeating: 0, count: k * nB)
    var ok = true
    weights.withUnsafeBufferPointer { W in
      factors.withUnsafeMutableBufferPointer { F in
        for t in 0..<k {
          let Q = W.baseAddress! + t * nA * nB
          let S = F.baseAddress! + t * nB * nB
          for b in 0..<nB { dB[b] = 0 }
          for a in 0..<nA {
            let row = Q + a * nB
            var d = 0.0
            for b in 0..<nB {
              d += row[b]
              dB[b] += row[b]
            }
            if pA[a * k + t] > 0 {
              guard d > 0 else { ok = false; return }
              inverseA[t * nA + a] = 1 / d
            }
          }
          for b in 0..<nB {
            S[b * nB + b] = dB[b]
            if isFreeB(b, t) && dB[b] > 0 { inverseB[t * nB + b] = 1 / dB[b] }
          }
          // Lower triangle of S -= Qᵀ diag(1/d_A) Q.
          for a in 0..<nA {
            let f = inverseA[t * nA + a]
            guard f > 0 else { continue }
            let row = Q + a * nB
            for b1 in 0..<nB where row[b1] != 0 {
              let c = row[b1] * f
              let out = S + b1 * nB
              for b2 in 0...b1 { out[b2] -= c * row[b2] }
            }
          }
          for b in 0..<nB where !isFreeB(b, t) {
            for j in 0..<nB {
              S[b * nB + j] = 0
              S[j * nB + b] = 0
            }
            S[b * nB + b] = 1
          }
          guard choleskyFactor(S, nB) else { ok = false; return }
        }
      }
    }
    guard ok else { return nil }
    return LabelBlocks(weights: weights, inverseA: inverseA, factors: factors, inverseB: inverseB)
  }

  /// `y = D⁻¹ x` in the label-major layout (`t * (nA + nB) + node`); fixed
  /// multipliers get 0.
  func applyInverse(_ f: LabelBlocks, _ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>, scratch u: UnsafeMutablePointer<Double>) {
    let k = self.k, nA = self.nA, nB = self.nB, nodes = nA + nB
    f.weights.withUnsafeBufferPointer { W in
      f.factors.withUnsafeBufferPointer { F in
        f.inverseA.withUnsafeBufferPointer { inv in
          for t in 0..<k {
            let Q = W.baseAddress! + t * nA * nB
            let xa = x + t * nodes, xb = xa + nA
            let ya = y + t * nodes, yb = ya + nA
            for b in 0..<nB { u[b] = xb[b] }
            for a in 0..<nA {
              let c = xa[a] * inv[t * nA + a]
              guard c != 0 else { continue }
              let row = Q + a * nB
              if let rows = f.rows {
                for b in rows[a] { u[b] -= c * row[b] }
              } else {
                for b in 0..<nB { u[b] -= c * row[b] }
              }
            }
            for b in 0..<nB where !isFreeB(b, t) { u[b] = 0 }
            choleskySolve(F.baseAddress! + t * nB * nB, nB, u)
            for b in 0..<nB { yb[b] = isFreeB(b, t) ? u[b] : 0 }
            for a in 0..<nA {
              let i = inv[t * nA + a]
              guard i > 0 else { ya[a] = 0; continue }
              let row = Q + a * nB
              var s = 0.0
              if let rows = f.rows {
                for b in rows[a] { s += row[b] * yb[b] }
              } else {
                s = dotProduct(row, yb, nB)
              }
              ya[a] = (xa[a] - s) * i
            }
          }
        }
      }
    }
  }

  // MARK: Interior-point system

  /// The block-Jacobi (by label) preconditioner of the interior-point `H`.
  func interiorPreconditioner() -> LabelBlocks? {
    let k = self.k, nA = self.nA, nB = self.nB
    var w = [Double](repeating: 0, count: k * nA * nB)
    for pair in 0..<(nA * nB) where pairAllowed[pair] {
      let m = mass[pair]
      guard m > Self.negligibleMass else { continue }
      let a = pair / nB, b = pair % nB
      let ratio = m / slack[pair]
      for t in 0..<k {
        let s = soft[pair * k + t]
        w[(t * nA + a) * nB + b] = m * s * (1 - s) + ratio * s * s
      }
    }
    return labelBlocks(weights: w)
  }

  /// Solves `H (dA, dB) = (rA, rB)` by preconditioned conjugate gradients;
  /// nil when the relative residual does not fall below `tolerance` within
  /// `maximumIterations`.
  func iterativeSolve(_ f: LabelBlocks, rA: [Double], rB: [Double], tolerance: Double, maximumIterations: Int = 500) -> (dA: [Double], dB: [Double])? {
    let k = self.k, nA = self.nA, nB = self.nB, nodes = nA + nB
    let n = k * nodes
    // Label-major vectors; fixed multipliers are 0 throughout.
    var r = [Double](repeating: 0, count: n)
    for a in 0..<nA { for t in 0..<k where pA[a * k + t] > 0 { r[t * nodes + a] = rA[a * k + t] } }
    for b in 0..<nB { for t in 0..<k where isFreeB(b, t) { r[t * nodes + nA + b] = rB[b * k + t] } }
    var scratch = [Double](repeating: 0, count: nB)
    let target = tolerance * euclideanNorm(r)
    guard target > 0 else { return ([Double](repeating: 0, count: nA * k), [Double](repeating: 0, count: nB * k)) }
    let (x, converged, iterations) = preconditionedConjugateGradients(
      r, target: target, maximumIterations: maximumIterations,
      apply: { hessianProduct($0, into: &$1) },
      precondition: { v, out in
        v.withUnsafeBufferPointer { R in
          out.withUnsafeMutableBufferPointer { Z in
            scratch.withUnsafeMutableBufferPointer { applyInverse(f, R.baseAddress!, Z.baseAddress!, scratch: $0.baseAddress!) }
          }
        }
      })
    lastIterations = max(lastIterations, iterations)
    guard converged else { return nil }
    var dA = [Double](repeating: 0, count: nA * k), dB = [Double](repeating: 0, count: nB * k)
    for a in 0..<nA { for t in 0..<k { dA[a * k + t] = x[t * nodes + a] } }
    for b in 0..<nB { for t in 0..<k { dB[b * k + t] = x[t * nodes + nA + b] } }
    return (dA, dB)
  }

  /// `H x` (label-major), pair by pair as `applyHessian`; fixed multipliers
  /// stay 0.
  func hessianProduct(_ x: [Double], into y: inout [Double]) {
    let k = self.k, nA = self.nA, nB = self.nB, nodes = nA + nB
    // Node-major copies (contiguous k per multiplier row).
    var xn = [Double](repeating: 0, count: k * nodes)
    var yn = [Double](repeating: 0, count: k * nodes)
    var scratch = [Double](repeating: 0, count: k)
    for t in 0..<k { for node in 0..<nodes { xn[node * k + t] = x[t * nodes + node] } }
    addNodeMajorProducts(xn, into: &yn, mass, soft, slack, scratch: &scratch)
    for t in 0..<k { for node in 0..<nodes { y[t * nodes + node] = yn[node * k + t] } }
    for a in 0..<nA { for t in 0..<k where pA[a * k + t] == 0 { y[t * nodes + a] = 0 } }
    for b in 0..<nB { for t in 0..<k where !isFreeB(b, t) { y[t * nodes + nA + b] = 0 } }
  }

  /// `Y += H X` for node-major `X`, `Y` (rows of A, then rows of B, `k`
  /// each): per pair, `s ⊙ (m x + (1/σ - 1) m (s · x))` with
  /// `x = X_a + X_b`, added to `Y_a` and `Y_b`.
  private func addNodeMajorProducts(_ x: UnsafePointer<Double>, into y: UnsafeMutablePointer<Double>,
                                    _ mass: UnsafePointer<Double>, _ soft: UnsafePointer<Double>,
                                    _ slack: UnsafePointer<Double>, scratch xs: UnsafeMutablePointer<Double>) {
    let k = self.k, nA = self.nA, nB = self.nB
    for pair in 0..<(nA * nB) where mass[pair] > Self.negligibleMass {
      let a = pair / nB, b = pair % nB
      let m = mass[pair], s = soft + pair * k
      let xa = x + a * k, ya = y + a * k
      let xb = x + (nA + b) * k, yb = y + (nA + b) * k
      var rate = 0.0
      for t in 0..<k {
        xs[t] = xa[t] + xb[t]
        rate += s[t] * xs[t]
      }
      let c = (1 / slack[pair] - 1) * m * rate
      for t in 0..<k {
        let v = s[t] * (m * xs[t] + c)
        ya[t] += v
        yb[t] += v
      }
    }
  }

}

extension InteriorPointSolver {
  // MARK: Crossover system

  /// Crossover Newton step by conjugate gradients on `Eᵀ D⁻¹ E w = Eᵀ D⁻¹ r + g`
  /// (Jacobi-preconditioned: the diagonal from `crossoverJacobi`), with `D⁻¹`
  /// applied exactly through `labelBlocks`. `r` is label-major. Returns
  /// `(δz, w)` (after at most `maximumIterations`, converged or not: an
  /// inexact Newton direction, the caller's line search guards the step) or
  /// nil when `D` cannot be factored or CG breaks down.
  func crossoverIterativeStep(active: [Int], mK: [Double], r: [Double], tolerance: Double, maximumIterations: Int = 150) -> (dz: [Double], w: [Double])? {
    let k = self.k, nA = self.nA, nB = self.nB, nodes = nA + nB
    let nK = active.count
    var weights = [Double](repeating: 0, count: k * nA * nB)
    for (i, pair) in active.enumerated() {
      let a = pair / nB, b = pair % nB
      // Transiently negative masses (pairs about to leave the set) are
      // taken as 0 in D: an inexact Jacobian, but D stays positive
      // definite and conjugate gradients apply.
      for t in 0..<k { weights[(t * nA + a) * nB + b] = max(0, mK[i]) * soft[pair * k + t] }
    }
    guard var blocks = labelBlocks(weights: weights) else { return nil }
    var rows = [[Int]](repeating: [], count: nA)
    for pair in active { rows[pair / nB].append(pair % nB) }
    blocks.rows = rows
    var scratch = [Double](repeating: 0, count: nB)
    var y = [Double](repeating: 0, count: k * nodes)
    var v = [Double](repeating: 0, count: k * nodes)
    var u = [Double](repeating: 0, count: k * nodes)
    func inverse(_ x: [Double], _ out: inout [Double]) {
      x.withUnsafeBufferPointer { X in
        out.withUnsafeMutableBufferPointer { O in
          scratch.withUnsafeMutableBufferPointer { applyInverse(blocks, X.baseAddress!, O.baseAddress!, scratch: $0.baseAddress!) }
        }
      }
    }
    inverse(r, &y)
    func gather(_ x: [Double], _ out: inout [Double]) {
      for (i, pair) in active.enumerated() {
        let a = pair / nB, b = nA + pair % nB
        var e = 0.0
        for t in 0..<k { e += soft[pair * k + t] * (x[t * nodes + a] + x[t * nodes + b]) }
        out[i] = e
      }
    }
    func scatter(_ w: [Double], _ out: inout [Double]) { scatterActive(active, w, into: &out) }
    func apply(_ w: [Double], _ out: inout [Double]) {
      scatter(w, &v)
      inverse(v, &u)
      gather(u, &out)
    }
    var rhs = [Double](repeating: 0, count: nK)
    gather(y, &rhs)
    for (i, pair) in active.enumerated() { rhs[i] += gValue[pair] }
    let diagonal = crossoverJacobi(blocks, active: active)
    let target = tolerance * euclideanNorm(rhs)
    let (x, converged, iterations) = preconditionedConjugateGradients(
      rhs, target: target, maximumIterations: maximumIterations,
      apply: { apply($0, &$1) },
      precondition: { v, out in for i in 0..<nK { out[i] = v[i] * diagonal[i] } })
    // An unconverged solve still gives a usable inexact Newton direction
    // (the line search on the residual guards the step).
    guard converged || iterations == maximumIterations else { return nil }
    // δz = y - D⁻¹ E w.
    scatter(x, &v)
    inverse(v, &u)
    for i in 0..<(k * nodes) { y[i] -= u[i] }
    return (y, x)
  }
}

extension InteriorPointSolver {
  /// Inverse diagonal of `Eᵀ D⁻¹ E`: `1 / Σ_t s_t² (G_aa + 2 G_ab + G_bb)`
  /// with `G = D_t⁻¹`, from the explicit `S_t⁻¹` (`G_bb = S⁻¹`,
  /// `G_ab = -(1/d_a) (Q S⁻¹)_ab`, `G_aa = 1/d_a + (Q S⁻¹ Qᵀ)_aa / d_a²`).
  func crossoverJacobi(_ f: LabelBlocks, active: [Int]) -> [Double] {
    let k = self.k, nA = self.nA, nB = self.nB
    var byRow = [[Int]](repeating: [], count: nA)  // indices into active
    for (i, pair) in active.enumerated() { byRow[pair / nB].append(i) }
    var sum = [Double](repeating: 0, count: active.count)
    var inverse = [Double](repeating: 0, count: nB * nB)
    var h = [Double](repeating: 0, count: nB)
    for t in 0..<k {
      inverse.withUnsafeMutableBufferPointer { G in
        f.factors.withUnsafeBufferPointer { F in
          let L = F.baseAddress! + t * nB * nB
          for j in 0..<nB {
            let column = G.baseAddress! + j * nB  // symmetric: column j as row j
            for i in 0..<nB { column[i] = i == j ? 1 : 0 }
            if isFreeB(j, t) { choleskySolve(L, nB, column) } else { column[j] = 0 }
            for i in 0..<nB where !isFreeB(i, t) { column[i] = 0 }
          }
        }
      }
      let Q = t * nA * nB
      for a in 0..<nA where !byRow[a].isEmpty {
        let invA = f.inverseA[t * nA + a]
        guard invA > 0 else { continue }
        for b in 0..<nB { h[b] = 0 }
        for i in byRow[a] {
          let b1 = active[i] % nB
          let w = f.weights[Q + a * nB + b1]
          guard w != 0 else { continue }
          for b in 0..<nB { h[b] += w * inverse[b1 * nB + b] }
        }
        var quadratic = 0.0
        for i in byRow[a] {
          let b1 = active[i] % nB
          quadratic += f.weights[Q + a * nB + b1] * h[b1]
        }
        let gaa = invA + invA * invA * quadratic
        for i in byRow[a] {
          let pair = active[i], b = pair % nB
          let s = soft[pair * k + t]
          let gab = -invA * h[b]
          sum[i] += s * s * (gaa + 2 * gab + inverse[b * nB + b])
        }
      }
    }
    return sum.map { $0 > 0 ? 1 / $0 : 1 }
  }
}

extension InteriorPointSolver {
  /// `out = E w` (label-major over the `nA + nB` multiplier rows): each
  /// active pair's value, times its softmax, added to both of its rows.
  func scatterActive(_ active: [Int], _ w: [Double], into out: inout [Double]) {
    let nodes = nA + nB
    for i in 0..<out.count { out[i] = 0 }
    for (i, pair) in active.enumerated() {
      let a = pair / nB, b = nA + pair % nB
      for t in 0..<k {
        let x = soft[pair * k + t] * w[i]
        out[t * nodes + a] += x
        out[t * nodes + b] += x
      }
    }
  }
}

/// `‖v‖₂`.
func euclideanNorm(_ v: [Double]) -> Double { v.reduce(0) { $0 + $1 * $1 }.squareRoot() }

/// Preconditioned conjugate gradients for `A x = b`, `A` symmetric positive
/// definite given by its products (`apply(p, &out)`: `out = A p`) and the
/// preconditioner by `precondition(r, &z)` (`z = M⁻¹ r`), from `x = 0`.
/// Stops when `‖b − A x‖ <= target`, after `maximumIterations`, or when a
/// direction has no positive curvature.
func preconditionedConjugateGradients(
  _ b: [Double], target: Double, maximumIterations: Int,
  apply: (_ p: [Double], _ out: inout [Double]) -> Void,
  precondition: (_ r: [Double], _ z: inout [Double]) -> Void
) -> (x: [Double], converged: Bool, iterations: Int) {
  let n = b.count
  var x = [Double](repeating: 0, count: n)
  var r = b
  var z = [Double](repeating: 0, count: n)
  var ap = [Double](repeating: 0, count: n)
  var converged = euclideanNorm(r) <= target
  var iterations = 0
  precondition(r, &z)
  var p = z
  var rz = zip(r, z).reduce(0) { $0 + $1.0 * $1.1 }
  while !converged && iterations < maximumIterations {
    iterations += 1
    apply(p, &ap)
    let pap = zip(p, ap).reduce(0) { $0 + $1.0 * $1.1 }
    guard pap > 0 else { break }
    let alpha = rz / pap
    for i in 0..<n {
      x[i] += alpha * p[i]
      r[i] -= alpha * ap[i]
    }
    if euclideanNorm(r) <= target {
      converged = true
      break
    }
    precondition(r, &z)
    let rzNew = zip(r, z).reduce(0) { $0 + $1.0 * $1.1 }
    let beta = rzNew / rz
    rz = rzNew
    for i in 0..<n { p[i] = z[i] + beta * p[i] }
  }
  return (x, converged, iterations)
}
