import Testing
@testable import PIDMath

/// The dense kernels of Solver/DenseFactorizations.swift and
/// Solver/VectorKernels.swift against their definitions, on
/// sizes that exercise every remainder of their blocking.
@Suite struct DenseKernelTests {
  static let sizes = [1, 2, 3, 4, 5, 7, 8, 10, 11, 40, 61]

  /// A random symmetric positive definite `n x n` matrix `B Bᵀ + n/10 I`.
  static func positiveDefinite(_ n: Int, seed: UInt64) -> [Double] {
    var g = PIDMath.SplitMix64(seed: seed)
    let b = (0..<(n * n)).map { _ in 2 * g.unit() - 1 }
    var a = [Double](repeating: 0, count: n * n)
    for i in 0..<n {
      for j in 0..<n {
        var s = 0.0
        for p in 0..<n { s += b[i * n + p] * b[j * n + p] }
        a[i * n + j] = s + (i == j ? Double(n) / 10 : 0)
      }
    }
    return a
  }

  static func largestAbs(_ x: [Double]) -> Double { x.reduce(0) { max($0, abs($1)) } }

  @Test(arguments: DenseKernelTests.sizes) func choleskyReproducesTheMatrix(n: Int) {
    let a = Self.positiveDefinite(n, seed: UInt64(n))
    var l = a
    // The strict upper triangle is neither read nor written.
    for i in 0..<n { for j in (i + 1)..<max(i + 1, n) { l[i * n + j] = .nan } }
    let ok = l.withUnsafeMutableBufferPointer { choleskyFactor($0.baseAddress!, n) }
    #expect(ok)
    Self.expectFactor(l, of: a, n: n)
  }

  @Test(arguments: DenseKernelTests.sizes) func choleskySolveSolves(n: Int) {
    let a = Self.positiveDefinite(n, seed: 100 + UInt64(n))
    var l = a
    _ = l.withUnsafeMutableBufferPointer { choleskyFactor($0.baseAddress!, n) }
    let b = (0..<n).map { Double($0 % 7) - 3 }
    var x = b
    l.withUnsafeBufferPointer { L in x.withUnsafeMutableBufferPointer { choleskySolve(L.baseAddress!, n, $0.baseAddress!) } }
    var residual = 0.0
    for i in 0..<n {
      var s = 0.0
      for j in 0..<n { s += a[i * n + j] * x[j] }
      residual = max(residual, abs(s - b[i]))
    }
    #expect(residual <= 1e-10 * max(1, Self.largestAbs(b)))
  }

  @Test(arguments: DenseKernelTests.sizes) func inverseIsSymmetricAndInverts(n: Int) {
    let a = Self.positiveDefinite(n, seed: 200 + UInt64(n))
    var inverse = a
    var scratch = [Double](repeating: 0, count: n * n + n)
    let ok = inverse.withUnsafeMutableBufferPointer { G in
      scratch.withUnsafeMutableBufferPointer { invertPositiveDefinite(G.baseAddress!, n, scratch: $0.baseAddress!) }
    }
    #expect(ok)
    var error = 0.0
    for i in 0..<n {
      for j in 0..<n {
        #expect(inverse[i * n + j] == inverse[j * n + i])
        var s = 0.0
        for p in 0..<n { s += a[i * n + p] * inverse[p * n + j] }
        error = max(error, abs(s - (i == j ? 1 : 0)))
      }
    }
    #expect(error <= 1e-10)
  }

  /// A leading diagonal block (fixed multipliers first) is factored by
  /// square roots alone; the rest as usual.
  @Test(arguments: [(10, 3), (40, 10), (12, 12), (7, 0), (5, 9)])
  func leadingDiagonalBlock(n: Int, leading: Int) {
    var a = Self.positiveDefinite(n, seed: 400 + UInt64(n))
    for i in 0..<min(leading, n) {
      for j in 0..<n where j != i {
        a[i * n + j] = 0
        a[j * n + i] = 0
      }
      a[i * n + i] = Double(i + 2)
    }
    var l = a
    for i in 0..<n { for j in (i + 1)..<max(i + 1, n) { l[i * n + j] = .nan } }
    let ok = l.withUnsafeMutableBufferPointer { choleskyFactor($0.baseAddress!, n, diagonalLeading: leading) }
    #expect(ok)
    Self.expectFactor(l, of: a, n: n)
  }

  @Test(arguments: [3, 10, 40]) func indefiniteMatricesAreRefused(n: Int) {
    var a = Self.positiveDefinite(n, seed: 300 + UInt64(n))
    a[(n - 1) * n + (n - 1)] = -1
    let factored = a.withUnsafeMutableBufferPointer { choleskyFactor($0.baseAddress!, n) }
    #expect(!factored)
  }

  /// `L Lᵀ` reproduces the lower triangle of `a`, and the strict upper
  /// triangle of `l` (set to NaN before factoring) was left alone.
  static func expectFactor(_ l: [Double], of a: [Double], n: Int) {
    var error = 0.0
    for i in 0..<n {
      for j in 0...i {
        var s = 0.0
        for p in 0...j { s += l[i * n + p] * l[j * n + p] }
        error = max(error, abs(s - a[i * n + j]))
      }
      for j in (i + 1)..<max(i + 1, n) { #expect(l[i * n + j].isNaN) }
    }
    #expect(error <= 1e-12 * largestAbs(a))
  }
  /// A random general `n x n` matrix with entries in [-1, 1].
  static func general(_ n: Int, seed: UInt64) -> [Double] {
    var g = PIDMath.SplitMix64(seed: seed)
    return (0..<(n * n)).map { _ in 2 * g.unit() - 1 }
  }

  /// Textbook LU with partial pivoting (one column at a time), the
  /// reference for the pivots of the blocked `luFactor`.
  static func referencePivots(_ matrix: [Double], _ n: Int) -> [Int] {
    var a = matrix
    var pivots = [Int](repeating: 0, count: n)
    for j in 0..<n {
      var pivot = j
      for i in j..<n where abs(a[i * n + j]) > abs(a[pivot * n + j]) { pivot = i }
      pivots[j] = pivot
      for c in 0..<n { a.swapAt(j * n + c, pivot * n + c) }
      for i in (j + 1)..<max(j + 1, n) {
        let f = a[i * n + j] / a[j * n + j]
        for c in j..<n { a[i * n + c] -= f * a[j * n + c] }
      }
    }
    return pivots
  }

  @Test(arguments: DenseKernelTests.sizes + [9, 13, 100])
  func luReproducesThePermutedMatrix(n: Int) {
    let a = Self.general(n, seed: 300 + UInt64(n))
    var f = a
    var pivots = [Int](repeating: -1, count: n)
    let ok = f.withUnsafeMutableBufferPointer { F in
      pivots.withUnsafeMutableBufferPointer { luFactor(F.baseAddress!, n, $0.baseAddress!) }
    }
    #expect(ok)
    #expect(pivots == Self.referencePivots(a, n))
    // P A: the rows of A swapped as recorded, against L U.
    var permuted = a
    for j in 0..<n { for c in 0..<n { permuted.swapAt(j * n + c, pivots[j] * n + c) } }
    var error = 0.0
    for i in 0..<n {
      for j in 0..<n {
        var s = 0.0
        for p in 0...min(i, j) { s += (p == i ? 1 : f[i * n + p]) * (p <= j ? f[p * n + j] : 0) }
        error = max(error, abs(s - permuted[i * n + j]))
      }
    }
    #expect(error <= 1e-12 * Double(n))
    // And the solve with the factors solves A x = b.
    let b = (0..<n).map { Double($0 % 5) - 2 }
    var x = b
    f.withUnsafeBufferPointer { F in
      pivots.withUnsafeBufferPointer { P in x.withUnsafeMutableBufferPointer { luSolveFactored(F.baseAddress!, n, P.baseAddress!, $0.baseAddress!) } }
    }
    var residual = 0.0
    for i in 0..<n {
      var s = 0.0
      for j in 0..<n { s += a[i * n + j] * x[j] }
      residual = max(residual, abs(s - b[i]))
    }
    #expect(residual <= 1e-9)
  }

  @Test(arguments: [5, 9, 12]) func luRefusesSingularMatrices(n: Int) {
    var a = Self.general(n, seed: 400 + UInt64(n))
    // Column 6 (in the second panel from n = 5 on) a copy of column 1.
    let j = min(6, n - 1)
    for i in 0..<n { a[i * n + j] = a[i * n + 1] }
    var pivots = [Int](repeating: 0, count: n)
    let ok = a.withUnsafeMutableBufferPointer { F in
      pivots.withUnsafeMutableBufferPointer { luFactor(F.baseAddress!, n, $0.baseAddress!) }
    }
    // Rounding may leave a tiny pivot instead of 0: refused or not, the
    // factorization must not report a finite pivot of ordinary size.
    if ok {
      var smallest = Double.infinity
      for i in 0..<n { smallest = min(smallest, abs(a[i * n + i])) }
      #expect(smallest <= 1e-12)
    }
  }
}
