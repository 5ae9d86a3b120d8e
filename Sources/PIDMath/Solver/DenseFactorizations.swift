/// In-place Cholesky factorization `A = L Lᵀ` of a symmetric positive
/// definite `n x n` row-major matrix given by its lower triangle; the lower
/// triangle receives `L`. The strict upper triangle is neither read nor
/// written.
///
/// The first `diagonalLeading` rows may be declared to have no nonzero
/// entries left of the diagonal, and their columns none below it (fixed
/// multipliers at the front): their pivots are then just square roots and
/// no dot product runs over them.
///
/// Returns `false` when a pivot is not positive (the matrix is not
/// numerically positive definite); the contents are then unspecified.
///
/// Method: the dot-product (Crout) order, three columns of `L` at a time,
/// each against three rows at a time (`dots3x3`: nine independent sums in
/// registers for six loads), so that the work is bound by arithmetic
/// rather than by loads.
@usableFromInline
func choleskyFactor(_ a: UnsafeMutablePointer<Double>, _ n: Int, diagonalLeading f: Int = 0) -> Bool {
  for i in 0..<min(f, n) {
    let d = a[i * n + i]
    guard d > 0, d.isFinite else { return false }
    a[i * n + i] = d.squareRoot()
  }
  var j = min(f, n)
  while j + 3 <= n {
    guard let pivots = factorColumnTriple(a, n, j, from: f) else { return false }
    var i = j + 3
    while i + 3 <= n {
      solveRowTriple(a, n, i, j, pivots, from: f)
      i += 3
    }
    while i < n {
      solveRow(a, n, i, j, pivots, from: f)
      i += 1
    }
    j += 3
  }
  while j < n {
    guard factorColumn(a, n, j, from: f) else { return false }
    j += 1
  }
  return true
}

/// Columns `j..<j+3` of `L` within their diagonal block: rows `j..<j+3`
/// of `a` then hold that block of `L` (rows below are not touched).
/// Returns the block's entries needed by the rows below, or nil when a
/// pivot is not positive. (Columns before `f` are zero in these rows.)
@inline(__always)
private func factorColumnTriple(_ a: UnsafeMutablePointer<Double>, _ n: Int, _ j: Int, from f: Int) -> CholeskyPivots? {
  let y0 = a + j * n, y1 = y0 + n, y2 = y1 + n
  let d = dots3x3(y0 + f, y1 + f, y2 + f, y0 + f, y1 + f, y2 + f, j - f)
  var x = y0[j] - d.s00
  guard x > 0, x.isFinite else { return nil }
  let l00 = x.squareRoot()
  let l10 = (y1[j] - d.s10) / l00
  let l20 = (y2[j] - d.s20) / l00
  x = y1[j + 1] - d.s11 - l10 * l10
  guard x > 0, x.isFinite else { return nil }
  let l11 = x.squareRoot()
  let l21 = (y2[j + 1] - d.s21 - l20 * l10) / l11
  x = y2[j + 2] - d.s22 - l20 * l20 - l21 * l21
  guard x > 0, x.isFinite else { return nil }
  let l22 = x.squareRoot()
  y0[j] = l00
  y1[j] = l10
  y1[j + 1] = l11
  y2[j] = l20
  y2[j + 1] = l21
  y2[j + 2] = l22
  return CholeskyPivots(l10: l10, l20: l20, l21: l21, inverse0: 1 / l00, inverse1: 1 / l11, inverse2: 1 / l22)
}

/// The diagonal block of three columns of `L` as the rows below use it.
private struct CholeskyPivots {
  var l10: Double, l20: Double, l21: Double
  /// Reciprocals of the three diagonal entries.
  var inverse0: Double, inverse1: Double, inverse2: Double
}

/// Entries `j..<j+3` of rows `i..<i+3` of `L`, from those rows' entries
/// left of `j` (from `f` on) and the factored rows `j..<j+3`.
@inline(__always)
private func solveRowTriple(_ a: UnsafeMutablePointer<Double>, _ n: Int, _ i: Int, _ j: Int, _ p: CholeskyPivots, from f: Int) {
  let x0 = a + i * n + f, x1 = x0 + n, x2 = x1 + n
  let y0 = a + j * n + f
  let s = dots3x3(x0, x1, x2, y0, y0 + n, y0 + 2 * n, j - f)
  finishRow(x0 + (j - f), s.s00, s.s01, s.s02, p)
  finishRow(x1 + (j - f), s.s10, s.s11, s.s12, p)
  finishRow(x2 + (j - f), s.s20, s.s21, s.s22, p)
}

/// `solveRowTriple` for a single row.
@inline(__always)
private func solveRow(_ a: UnsafeMutablePointer<Double>, _ n: Int, _ i: Int, _ j: Int, _ p: CholeskyPivots, from f: Int) {
  let x = a + i * n + f, y0 = a + j * n + f, m = j - f
  finishRow(x + m, dotProduct(x, y0, m), dotProduct(x, y0 + n, m), dotProduct(x, y0 + 2 * n, m), p)
}

/// Three entries of a row of `L` from their values in `A` (at `x`) minus
/// the dot products with the rows above the diagonal block.
@inline(__always)
private func finishRow(_ x: UnsafeMutablePointer<Double>, _ s0: Double, _ s1: Double, _ s2: Double, _ p: CholeskyPivots) {
  let u0 = (x[0] - s0) * p.inverse0
  let u1 = (x[1] - s1 - u0 * p.l10) * p.inverse1
  let u2 = (x[2] - s2 - u0 * p.l20 - u1 * p.l21) * p.inverse2
  x[0] = u0
  x[1] = u1
  x[2] = u2
}

/// Column `j` of `L` (the columns left of it done), one dot product per
/// entry (over the columns from `f` on). Returns false when the pivot is
/// not positive.
@inline(__always)
private func factorColumn(_ a: UnsafeMutablePointer<Double>, _ n: Int, _ j: Int, from f: Int) -> Bool {
  let rowJ = a + j * n
  let d = rowJ[j] - dotProduct(rowJ + f, rowJ + f, j - f)
  guard d > 0, d.isFinite else { return false }
  let ljj = d.squareRoot()
  rowJ[j] = ljj
  let inverse = 1 / ljj
  for i in (j + 1)..<max(j + 1, n) {
    let rowI = a + i * n
    rowI[j] = (rowI[j] - dotProduct(rowI + f, rowJ + f, j - f)) * inverse
  }
  return true
}

/// The nine dot products `x_r · y_c` (r, c in 0..<3) over the first `n`
/// entries, each summed in two lanes.
@inline(__always)
private func dots3x3(_ x0: UnsafePointer<Double>, _ x1: UnsafePointer<Double>, _ x2: UnsafePointer<Double>,
                     _ y0: UnsafePointer<Double>, _ y1: UnsafePointer<Double>, _ y2: UnsafePointer<Double>,
                     _ n: Int) -> Dots3x3 {
  var s00 = SIMD2<Double>(), s01 = SIMD2<Double>(), s02 = SIMD2<Double>()
  var s10 = SIMD2<Double>(), s11 = SIMD2<Double>(), s12 = SIMD2<Double>()
  var s20 = SIMD2<Double>(), s21 = SIMD2<Double>(), s22 = SIMD2<Double>()
  var p = 0
  while p &+ 2 <= n {
    let a0 = load2(x0 + p), a1 = load2(x1 + p), a2 = load2(x2 + p)
    let b0 = load2(y0 + p), b1 = load2(y1 + p), b2 = load2(y2 + p)
    s00 += a0 * b0; s01 += a0 * b1; s02 += a0 * b2
    s10 += a1 * b0; s11 += a1 * b1; s12 += a1 * b2
    s20 += a2 * b0; s21 += a2 * b1; s22 += a2 * b2
    p &+= 2
  }
  var d = Dots3x3(s00: s00.sum(), s01: s01.sum(), s02: s02.sum(),
                  s10: s10.sum(), s11: s11.sum(), s12: s12.sum(),
                  s20: s20.sum(), s21: s21.sum(), s22: s22.sum())
  if p < n {
    d.s00 += x0[p] * y0[p]; d.s01 += x0[p] * y1[p]; d.s02 += x0[p] * y2[p]
    d.s10 += x1[p] * y0[p]; d.s11 += x1[p] * y1[p]; d.s12 += x1[p] * y2[p]
    d.s20 += x2[p] * y0[p]; d.s21 += x2[p] * y1[p]; d.s22 += x2[p] * y2[p]
  }
  return d
}

private struct Dots3x3 {
  var s00: Double, s01: Double, s02: Double
  var s10: Double, s11: Double, s12: Double
  var s20: Double, s21: Double, s22: Double
}

/// Solves `L Lᵀ x = b` in place (`b` becomes `x`) with the factor from
/// `choleskyFactor` (only the lower triangle is read). Both substitutions
/// run along the contiguous rows of `L`: dot products forward, updates of
/// the remaining right-hand side backward.
@usableFromInline
func choleskySolve(_ l: UnsafePointer<Double>, _ n: Int, _ b: UnsafeMutablePointer<Double>) {
  for i in 0..<n {
    let row = l + i * n
    b[i] = (b[i] - dotProduct(row, b, i)) / row[i]
  }
  var i = n - 1
  while i >= 0 {
    let row = l + i * n
    let x = b[i] / row[i]
    b[i] = x
    subtractMultiple(x, of: row, from: b, i)
    i -= 1
  }
}

/// Replaces a symmetric positive definite `n x n` matrix by its inverse.
/// Returns `false` if it is not numerically positive definite.
///
/// `A⁻¹ = L⁻ᵀ L⁻¹`: the factor is inverted in place, then the product is
/// accumulated row by row of `L⁻¹` (about `n³/2` multiply-adds in all,
/// every inner loop over contiguous entries). `scratch` holds `n * n + n`
/// doubles.
@usableFromInline
func invertPositiveDefinite(_ a: UnsafeMutablePointer<Double>, _ n: Int, scratch: UnsafeMutablePointer<Double>) -> Bool {
  let factor = scratch
  let row = scratch + n * n
  factor.update(from: a, count: n * n)
  guard choleskyFactor(factor, n) else { return false }
  invertLowerTriangular(factor, n, scratch: row)
  // Lower triangle of Xᵀ X with X = L⁻¹: row p of X adds
  // X[p][i] X[p][0...i] to row i of the result, for i <= p.
  for i in 0..<n { (a + i * n).update(repeating: 0, count: i + 1) }
  for p in 0..<n {
    let x = factor + p * n
    for i in 0...p {
      let c = x[i]
      guard c != 0 else { continue }
      subtractMultiple(-c, of: x, from: a + i * n, i + 1)
    }
  }
  for i in 0..<n {
    for j in 0..<i { a[j * n + i] = a[i * n + j] }
  }
  return true
}

/// Replaces the lower triangular factor `L` (lower triangle of `l`, as
/// from `choleskyFactor`) by `L⁻¹`, row by row: row `i` of `L⁻¹` is
/// `-(1/L_ii) Σ_{p<i} L_ip (row p of L⁻¹)` plus `1/L_ii` on the diagonal.
/// `scratch` holds `n` doubles.
@usableFromInline
func invertLowerTriangular(_ l: UnsafeMutablePointer<Double>, _ n: Int, scratch row: UnsafeMutablePointer<Double>) {
  for i in 0..<n {
    let li = l + i * n
    row.update(repeating: 0, count: i)
    for p in 0..<i {
      let c = li[p]
      guard c != 0 else { continue }
      subtractMultiple(c, of: l + p * n, from: row, p + 1)
    }
    let inverse = 1 / li[i]
    for j in 0..<i { li[j] = row[j] * inverse }
    li[i] = inverse
  }
}

/// LU factorization with partial pivoting of a general `n x n` row-major
/// matrix, in place (`L` unit lower, `U` upper); `pivots[j]` is the row
/// swapped with row `j`. Returns `false` when a pivot is zero or not finite.
///
/// Right-looking and blocked by panels of four columns: each panel is
/// factored column by column (pivot search over the whole column, rows
/// swapped across the whole matrix), then the trailing matrix takes one
/// rank-four update, so that it is read and written once per panel rather
/// than once per column. The pivots chosen are those of the unblocked
/// algorithm (every column is fully updated before its pivot search); only
/// the order of the floating-point operations in the trailing matrix differs.
@usableFromInline
func luFactor(_ a: UnsafeMutablePointer<Double>, _ n: Int, _ pivots: UnsafeMutablePointer<Int>) -> Bool {
  var j0 = 0
  while j0 < n {
    let width = min(4, n &- j0)
    let end = j0 &+ width
    for j in j0..<end {
      var pivot = j
      var largest = abs(a[j &* n &+ j])
      for i in (j &+ 1)..<max(j &+ 1, n) where abs(a[i &* n &+ j]) > largest {
        largest = abs(a[i &* n &+ j])
        pivot = i
      }
      guard largest > 0, largest.isFinite else { return false }
      pivots[j] = pivot
      if pivot != j {
        let rowJ = a + j &* n, rowP = a + pivot &* n
        for c in 0..<n { swap(&rowJ[c], &rowP[c]) }
      }
      let inverse = 1 / a[j &* n &+ j]
      let rowJ = a + j &* n
      // Multipliers of column j, and the update of the panel's columns right of j.
      for i in (j &+ 1)..<max(j &+ 1, n) {
        let rowI = a + i &* n
        let factor = rowI[j] * inverse
        rowI[j] = factor
        guard factor != 0 else { continue }
        for c in (j &+ 1)..<max(j &+ 1, end) { rowI[c] -= factor * rowJ[c] }
      }
    }
    guard end < n else { break }
    // U of the panel's rows right of the panel: forward substitution with
    // the panel's unit lower triangle.
    for r in (j0 &+ 1)..<max(j0 &+ 1, end) {
      let rowR = a + r &* n
      for p in j0..<r {
        let factor = rowR[p]
        guard factor != 0 else { continue }
        subtractMultiple(factor, of: a + (p &* n &+ end), from: rowR + end, n &- end)
      }
    }
    // Rank-`width` update of the trailing matrix.
    if width == 4 {
      // Columns of the panel's U rows that are zero in all four, in whole
      // groups of four from `end`, are left out of the update (sparse
      // systems: the pairs' rows of the augmented system); the groups kept
      // are the ones the full update would use, so every entry gets the
      // same operations.
      var first = n
      for r in j0..<end {
        let row = a + r &* n
        var c = end
        while c < first && row[c] == 0 { c &+= 1 }
        first = c
      }
      let start = end &+ ((first &- end) / 4) &* 4
      let u0 = a + (j0 &* n &+ start), u1 = u0 + n, u2 = u1 + n, u3 = u2 + n
      for i in end..<n {
        let rowI = a + i &* n
        // Rows the panel does not reach (sparse systems) are left as they are.
        if rowI[j0] == 0 && rowI[j0 &+ 1] == 0 && rowI[j0 &+ 2] == 0 && rowI[j0 &+ 3] == 0 { continue }
        subtractFourMultiples(rowI[j0], rowI[j0 &+ 1], rowI[j0 &+ 2], rowI[j0 &+ 3], of: u0, u1, u2, u3,
                              from: rowI + start, n &- start)
      }
    } else {
      for i in end..<n {
        let rowI = a + i &* n
        for p in j0..<end {
          let factor = rowI[p]
          guard factor != 0 else { continue }
          subtractMultiple(factor, of: a + (p &* n &+ end), from: rowI + end, n &- end)
        }
      }
    }
    j0 = end
  }
  return true
}

/// Solves `A x = b` in place with the factors of `luFactor`.
@usableFromInline
func luSolveFactored(_ a: UnsafePointer<Double>, _ n: Int, _ pivots: UnsafePointer<Int>, _ b: UnsafeMutablePointer<Double>) {
  for j in 0..<n where pivots[j] != j { swap(&b[j], &b[pivots[j]]) }
  for i in 0..<n {
    var s = b[i]
    for c in 0..<i { s -= a[i * n + c] * b[c] }
    b[i] = s
  }
  for i in stride(from: n - 1, through: 0, by: -1) {
    var s = b[i]
    for c in (i + 1)..<max(i + 1, n) { s -= a[i * n + c] * b[c] }
    b[i] = s / a[i * n + i]
  }
}
