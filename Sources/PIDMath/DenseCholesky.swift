/// In-place Cholesky factorization `A = L Lᵀ` of a symmetric positive
/// definite `n x n` row-major matrix; the lower triangle receives `L`.
///
/// Returns `false` when a pivot is not positive (the matrix is not
/// numerically positive definite); the contents are then unspecified.
@usableFromInline
func choleskyFactor(_ a: UnsafeMutablePointer<Double>, _ n: Int) -> Bool {
  for j in 0..<n {
    let rowJ = a + j * n
    let d = rowJ[j] - dotProduct(rowJ, rowJ, j)
    guard d > 0, d.isFinite else { return false }
    let ljj = d.squareRoot()
    rowJ[j] = ljj
    let inverse = 1 / ljj
    for i in (j + 1)..<max(j + 1, n) {
      let rowI = a + i * n
      rowI[j] = (rowI[j] - dotProduct(rowI, rowJ, j)) * inverse
    }
  }
  return true
}

/// Solves `L Lᵀ x = b` in place (`b` becomes `x`) with the factor from
/// `choleskyFactor`.
@usableFromInline
func choleskySolve(_ l: UnsafePointer<Double>, _ n: Int, _ b: UnsafeMutablePointer<Double>) {
  for i in 0..<n {
    let row = l + i * n
    b[i] = (b[i] - dotProduct(row, b, i)) / row[i]
  }
  for i in stride(from: n - 1, through: 0, by: -1) {
    var s = b[i]
    for p in (i + 1)..<max(i + 1, n) { s -= l[p * n + i] * b[p] }
    b[i] = s / l[i * n + i]
  }
}

/// Replaces a symmetric positive definite `n x n` matrix by its inverse.
/// Returns `false` if it is not numerically positive definite.
@usableFromInline
func invertPositiveDefinite(_ a: UnsafeMutablePointer<Double>, _ n: Int, scratch: UnsafeMutablePointer<Double>) -> Bool {
  // scratch: n*n + n doubles.
  let factor = scratch
  let column = scratch + n * n
  factor.update(from: a, count: n * n)
  guard choleskyFactor(factor, n) else { return false }
  for j in 0..<n {
    for i in 0..<n { column[i] = i == j ? 1 : 0 }
    choleskySolve(factor, n, column)
    for i in 0..<n { a[i * n + j] = column[i] }
  }
  return true
}

/// LU factorization with partial pivoting of a general `n x n` row-major
/// matrix, in place (`L` unit lower, `U` upper); `pivots[j]` is the row
/// swapped with row `j`. Returns `false` when a pivot is zero or not finite.
@usableFromInline
func luFactor(_ a: UnsafeMutablePointer<Double>, _ n: Int, _ pivots: UnsafeMutablePointer<Int>) -> Bool {
  for j in 0..<n {
    var pivot = j
    var largest = abs(a[j * n + j])
    for i in (j + 1)..<max(j + 1, n) where abs(a[i * n + j]) > largest {
      largest = abs(a[i * n + j])
      pivot = i
    }
    guard largest > 0, largest.isFinite else { return false }
    pivots[j] = pivot
    if pivot != j {
      for c in 0..<n { swap(&a[j * n + c], &a[pivot * n + c]) }
    }
    let inverse = 1 / a[j * n + j]
    let rowJ = a + j * n
    for i in (j + 1)..<max(j + 1, n) {
      let rowI = a + i * n
      let factor = rowI[j] * inverse
      rowI[j] = factor
      guard factor != 0 else { continue }
      for c in (j + 1)..<n { rowI[c] -= factor * rowJ[c] }
    }
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

/// `Σ x[i] y[i]` over `n` entries, in four independent SIMD lanes (the
/// compiler does not reassociate a plain floating-point reduction).
@inline(__always)
func dotProduct(_ x: UnsafePointer<Double>, _ y: UnsafePointer<Double>, _ n: Int) -> Double {
  var s0 = SIMD4<Double>(), s1 = SIMD4<Double>()
  let rx = UnsafeRawPointer(x), ry = UnsafeRawPointer(y)
  var i = 0
  while i + 8 <= n {
    s0 += rx.loadUnaligned(fromByteOffset: i * 8, as: SIMD4<Double>.self)
      * ry.loadUnaligned(fromByteOffset: i * 8, as: SIMD4<Double>.self)
    s1 += rx.loadUnaligned(fromByteOffset: i * 8 + 32, as: SIMD4<Double>.self)
      * ry.loadUnaligned(fromByteOffset: i * 8 + 32, as: SIMD4<Double>.self)
    i += 8
  }
  var s = (s0 + s1).sum()
  while i < n {
    s += x[i] * y[i]
    i += 1
  }
  return s
}
