/// In-place Cholesky factorization `A = L Lᵀ` of a symmetric positive
/// definite `n x n` row-major matrix; the lower triangle receives `L`.
///
/// Returns `false` when a pivot is not positive (the matrix is not
/// numerically positive definite); the contents are then unspecified.
@usableFromInline
func choleskyFactor(_ a: UnsafeMutablePointer<Double>, _ n: Int) -> Bool {
  for j in 0..<n {
    let rowJ = a + j * n
    var d = rowJ[j]
    for p in 0..<j { d -= rowJ[p] * rowJ[p] }
    guard d > 0, d.isFinite else { return false }
    let ljj = d.squareRoot()
    rowJ[j] = ljj
    let inverse = 1 / ljj
    for i in (j + 1)..<max(j + 1, n) {
      let rowI = a + i * n
      var s = rowI[j]
      for p in 0..<j { s -= rowI[p] * rowJ[p] }
      rowI[j] = s * inverse
    }
  }
  return true
}

/// Solves `L Lᵀ x = b` in place (`b` becomes `x`) with the factor from
/// `choleskyFactor`.
@usableFromInline
func choleskySolve(_ l: UnsafePointer<Double>, _ n: Int, _ b: UnsafeMutablePointer<Double>) {
  for i in 0..<n {
    var s = b[i]
    let row = l + i * n
    for p in 0..<i { s -= row[p] * b[p] }
    b[i] = s / row[i]
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

/// Solves `A x = b` for a general `n x n` row-major matrix by Gaussian
/// elimination with partial pivoting; `a` is destroyed and `b` becomes `x`.
/// Returns `false` when a pivot is zero or not finite.
@usableFromInline
func luSolve(_ a: UnsafeMutablePointer<Double>, _ n: Int, _ b: UnsafeMutablePointer<Double>) -> Bool {
  for j in 0..<n {
    var pivot = j
    var largest = abs(a[j * n + j])
    for i in (j + 1)..<max(j + 1, n) where abs(a[i * n + j]) > largest {
      largest = abs(a[i * n + j])
      pivot = i
    }
    guard largest > 0, largest.isFinite else { return false }
    if pivot != j {
      for c in 0..<n { swap(&a[j * n + c], &a[pivot * n + c]) }
      swap(&b[j], &b[pivot])
    }
    let inverse = 1 / a[j * n + j]
    for i in (j + 1)..<max(j + 1, n) {
      let factor = a[i * n + j] * inverse
      guard factor != 0 else { continue }
      a[i * n + j] = 0
      for c in (j + 1)..<n { a[i * n + c] -= factor * a[j * n + c] }
      b[i] -= factor * b[j]
    }
  }
  for i in stride(from: n - 1, through: 0, by: -1) {
    var s = b[i]
    for c in (i + 1)..<max(i + 1, n) { s -= a[i * n + c] * b[c] }
    b[i] = s / a[i * n + i]
  }
  return true
}
