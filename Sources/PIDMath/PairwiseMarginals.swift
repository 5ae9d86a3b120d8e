/// The three pairwise tables `p(x1, y)`, `p(x2, y)`, `p(x1, x2)`: all that
/// the semi-supervised setting observes.
///
/// Each table is normalized to total mass 1. Shapes must agree
/// (`n1 x k`, `n2 x k`, `n1 x n2`); the shared single marginals
/// (`p(x1)` from two tables, `p(x2)` from two, `p(y)` from two) are checked
/// against `tolerance` in total variation.
public struct PairwiseMarginals: Equatable, Sendable {
  /// `p(x1, y)`, `n1 x k`.
  public let x1y: Matrix
  /// `p(x2, y)`, `n2 x k`.
  public let x2y: Matrix
  /// `p(x1, x2)`, `n1 x n2`.
  public let x1x2: Matrix

  public var n1: Int { x1y.rows }
  public var n2: Int { x2y.rows }
  public var k: Int { x1y.columns }

  /// Validates, normalizes and checks consistency.
  ///
  /// - Parameter tolerance: largest total-variation distance allowed
  ///   between two estimates of the same single marginal.
  /// - Throws: `TableError` naming the table or marginal at fault.
  public init(x1y: Matrix, x2y: Matrix, x1x2: Matrix, tolerance: Double = 1e-9) throws(TableError) {
    try checkPairwiseShapes(x1y: x1y, x2y: x2y, x1x2: x1x2)
    let a = Matrix(rows: x1y.rows, columns: x1y.columns,
                   elements: try normalized(x1y.elements, shape: [x1y.rows, x1y.columns], name: "p_x1y"))
    let b = Matrix(rows: x2y.rows, columns: x2y.columns,
                   elements: try normalized(x2y.elements, shape: [x2y.rows, x2y.columns], name: "p_x2y"))
    let c = Matrix(rows: x1x2.rows, columns: x1x2.columns,
                   elements: try normalized(x1x2.elements, shape: [x1x2.rows, x1x2.columns], name: "p_x1x2"))
    let checks: [(String, [Double], [Double])] = [
      ("p(y) from p_x1y and from p_x2y", a.columnSums, b.columnSums),
      ("p(x1) from p_x1y and from p_x1x2", a.rowSums, c.rowSums),
      ("p(x2) from p_x2y and from p_x1x2", b.rowSums, c.columnSums),
    ]
    for (name, u, v) in checks {
      let tv = totalVariation(u, v)
      if tv > tolerance {
        throw .inconsistentMarginals("\(name) disagree: total variation \(tv) exceeds tolerance \(tolerance)")
      }
    }
    self.init(unchecked: a, b, c)
  }

  /// Tables known to be consistent (marginals of one joint).
  init(unchecked x1y: Matrix, _ x2y: Matrix, _ x1x2: Matrix) {
    self.x1y = x1y
    self.x2y = x2y
    self.x1x2 = x1x2
  }
}

/// Total-variation distance `(1/2) Σ |u - v|`.
func totalVariation(_ u: [Double], _ v: [Double]) -> Double {
  precondition(u.count == v.count)
  var sum = 0.0
  for i in u.indices { sum += abs(u[i] - v[i]) }
  return sum / 2
}

/// Checks that three tables have the shapes `n1 x k`, `n2 x k`, `n1 x n2`.
///
/// - Throws: `.shapeMismatch` naming the tables that disagree.
func checkPairwiseShapes(x1y: Matrix, x2y: Matrix, x1x2: Matrix) throws(TableError) {
  guard x1y.columns == x2y.columns else {
    throw .shapeMismatch("p_x1y has \(x1y.columns) labels but p_x2y has \(x2y.columns)")
  }
  guard x1x2.rows == x1y.rows else {
    throw .shapeMismatch("p_x1x2 has \(x1x2.rows) rows (x1) but p_x1y has \(x1y.rows)")
  }
  guard x1x2.columns == x2y.rows else {
    throw .shapeMismatch("p_x1x2 has \(x1x2.columns) columns (x2) but p_x2y has \(x2y.rows) rows")
  }
}

/// The three pairwise marginals `(p(x1,x2), p(x1,y), p(x2,y))`, flattened
/// row-major, of a table `r` in `[x1][x2][y]` order.
func pairwiseSums(_ r: [Double], n1: Int, n2: Int, k: Int) -> (x1x2: [Double], x1y: [Double], x2y: [Double]) {
  var x1x2 = [Double](repeating: 0, count: n1 * n2)
  var x1y = [Double](repeating: 0, count: n1 * k)
  var x2y = [Double](repeating: 0, count: n2 * k)
  accumulatePairwiseSums(r, n1: n1, n2: n2, k: k, into: &x1x2, &x1y, &x2y)
  return (x1x2, x1y, x2y)
}

/// `pairwiseSums` into existing buffers of the right sizes (no allocation).
func accumulatePairwiseSums(_ r: [Double], n1: Int, n2: Int, k: Int,
                            into x1x2: inout [Double], _ x1y: inout [Double], _ x2y: inout [Double]) {
  precondition(r.count == n1 * n2 * k && x1x2.count == n1 * n2 && x1y.count == n1 * k && x2y.count == n2 * k)
  r.withUnsafeBufferPointer { R in
    x1x2.withUnsafeMutableBufferPointer { P12 in
      x1y.withUnsafeMutableBufferPointer { P1 in
        x2y.withUnsafeMutableBufferPointer { P2 in
          P12.update(repeating: 0)
          P1.update(repeating: 0)
          P2.update(repeating: 0)
          var c = 0
          for a in 0..<n1 {
            for b in 0..<n2 {
              let pair = a &* n2 &+ b
              for y in 0..<k {
                let x = R[c]
                P12[pair] += x
                P1[a &* k &+ y] += x
                P2[b &* k &+ y] += x
                c &+= 1
              }
            }
          }
        }
      }
    }
  }
}
