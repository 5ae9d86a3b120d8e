/// Reconciliation of three separately estimated pairwise tables (MATH.md
/// section 7): the shared single marginals are pooled (averaged), then each
/// table is scaled (Sinkhorn) to its two pooled marginals. A row or column
/// that a table lacks entirely but the pooled marginal has is first filled
/// with the product of the pooled marginals (independence), so that
/// scaling can reach it. `shifts` reports how far each table moved, in
/// total variation.
public struct Reconciliation: Sendable {
  public var marginals: PairwiseMarginals
  /// Total-variation shift of `p_x1y`, `p_x2y`, `p_x1x2`.
  public var shifts: (x1y: Double, x2y: Double, x1x2: Double)

  /// - Throws: `TableError` for invalid tables or shapes.
  public init(x1y: Matrix, x2y: Matrix, x1x2: Matrix) throws(TableError) {
    // Validate shapes and entries with an infinite tolerance.
    let raw = try PairwiseMarginals(x1y: x1y, x2y: x2y, x1x2: x1x2, tolerance: .infinity)
    let pooledY = zip(raw.x1y.columnSums, raw.x2y.columnSums).map { ($0 + $1) / 2 }
    let pooledX1 = zip(raw.x1y.rowSums, raw.x1x2.rowSums).map { ($0 + $1) / 2 }
    let pooledX2 = zip(raw.x2y.rowSums, raw.x1x2.columnSums).map { ($0 + $1) / 2 }
    let a = fitted(raw.x1y, rows: pooledX1, columns: pooledY)
    let b = fitted(raw.x2y, rows: pooledX2, columns: pooledY)
    let c = fitted(raw.x1x2, rows: pooledX1, columns: pooledX2)
    marginals = PairwiseMarginals(unchecked: a, b, c)
    shifts = (totalVariation(a.elements, raw.x1y.elements), totalVariation(b.elements, raw.x2y.elements),
              totalVariation(c.elements, raw.x1x2.elements))
  }
}

/// `table` scaled to the given row and column sums (equal totals).
func fitted(_ table: Matrix, rows: [Double], columns: [Double]) -> Matrix {
  var m = table
  let rowSums = m.rowSums, columnSums = m.columnSums
  for i in 0..<m.rows where rowSums[i] == 0 && rows[i] > 0 {
    for j in 0..<m.columns { m[i, j] = rows[i] * columns[j] }
  }
  for j in 0..<m.columns where columnSums[j] == 0 && columns[j] > 0 {
    for i in 0..<m.rows { m[i, j] = rows[i] * columns[j] }
  }
  for _ in 0..<10_000 {
    let r = m.rowSums
    for i in 0..<m.rows where r[i] > 0 { for j in 0..<m.columns { m[i, j] *= rows[i] / r[i] } }
    let c = m.columnSums
    var error = 0.0
    for j in 0..<m.columns where c[j] > 0 {
      for i in 0..<m.rows { m[i, j] *= columns[j] / c[j] }
    }
    let r2 = m.rowSums
    for i in 0..<m.rows { error = max(error, abs(r2[i] - rows[i])) }
    if error < 1e-15 { break }
  }
  return m
}
