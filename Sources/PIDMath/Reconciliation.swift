/// Reconciliation of three separately estimated pairwise tables (MATH.md
/// section 7): the two estimates of each shared single marginal (`p(y)`
/// from `p_x1y` and `p_x2y`, `p(x1)` from `p_x1y` and `p_x1x2`, `p(x2)` from
/// `p_x2y` and `p_x1x2`) are pooled (averaged) and both tables are rescaled
/// to the pooled marginal, cyclically over the three marginals until they
/// agree (pooled single marginals, each table scaled to them; the cycle
/// also handles zero patterns, such as a deterministic `p(x1, y)`, that tie
/// a table's row sums to its column sums). A row or column that a table
/// lacks entirely but the other estimate has is first filled with the
/// product of the marginals (independence), so scaling can reach it. Cells
/// never gain mass otherwise. `shifts` reports how far each table moved, in
/// total variation.
public struct Reconciliation: Sendable {
  public var marginals: PairwiseMarginals
  /// Total-variation shift of `p_x1y`, `p_x2y`, `p_x1x2`.
  public var shifts: (x1y: Double, x2y: Double, x1x2: Double)
  /// Cycles used.
  public var cycles: Int

  /// - Throws: `TableError` for invalid tables or shapes, or
  ///   `.inconsistentMarginals` when the cycle does not bring the shared
  ///   marginals within 1e-12 of each other.
  public init(x1y: Matrix, x2y: Matrix, x1x2: Matrix) throws(TableError) {
    let raw = try PairwiseMarginals(x1y: x1y, x2y: x2y, x1x2: x1x2, tolerance: .infinity)
    var a = raw.x1y, b = raw.x2y, c = raw.x1x2
    // Fill rows/columns that one estimate lacks but the other has.
    fillMissing(&a, rows: raw.x1x2.rowSums, columns: raw.x2y.columnSums)
    fillMissing(&b, rows: raw.x1x2.columnSums, columns: raw.x1y.columnSums)
    fillMissing(&c, rows: raw.x1y.rowSums, columns: raw.x2y.rowSums)
    var cycle = 0
    var discrepancy = Double.infinity
    while cycle < 100_000 {
      cycle += 1
      let y = average(a.columnSums, b.columnSums)
      scaleColumns(&a, to: y)
      scaleColumns(&b, to: y)
      let x1 = average(a.rowSums, c.rowSums)
      scaleRows(&a, to: x1)
      scaleRows(&c, to: x1)
      let x2 = average(b.rowSums, c.columnSums)
      scaleRows(&b, to: x2)
      scaleColumns(&c, to: x2)
      discrepancy = max(
        largestDifference(a.columnSums, b.columnSums), largestDifference(a.rowSums, c.rowSums),
        largestDifference(b.rowSums, c.columnSums))
      if discrepancy < 1e-13 { break }
    }
    guard discrepancy < 1e-12 else {
      throw .inconsistentMarginals("the three tables could not be reconciled (their shared marginals still differ by \(discrepancy) after \(cycle) cycles)")
    }
    marginals = try PairwiseMarginals(x1y: a, x2y: b, x1x2: c, tolerance: 1e-9)
    cycles = cycle
    shifts = (totalVariation(marginals.x1y.elements, raw.x1y.elements),
              totalVariation(marginals.x2y.elements, raw.x2y.elements),
              totalVariation(marginals.x1x2.elements, raw.x1x2.elements))
  }
}

func average(_ u: [Double], _ v: [Double]) -> [Double] { zip(u, v).map { ($0 + $1) / 2 } }

func largestDifference(_ u: [Double], _ v: [Double]) -> Double {
  zip(u, v).reduce(0) { max($0, abs($1.0 - $1.1)) }
}

func scaleRows(_ m: inout Matrix, to target: [Double]) {
  let sums = m.rowSums
  for i in 0..<m.rows where sums[i] > 0 {
    let f = target[i] / sums[i]
    for j in 0..<m.columns { m[i, j] *= f }
  }
}

func scaleColumns(_ m: inout Matrix, to target: [Double]) {
  let sums = m.columnSums
  for j in 0..<m.columns where sums[j] > 0 {
    let f = target[j] / sums[j]
    for i in 0..<m.rows { m[i, j] *= f }
  }
}

/// Rows (columns) of `m` with no mass where the other estimate has mass get
/// the product of the two marginals.
func fillMissing(_ m: inout Matrix, rows: [Double], columns: [Double]) {
  let rowSums = m.rowSums, columnSums = m.columnSums
  let total = rows.reduce(0, +), columnTotal = columns.reduce(0, +)
  guard total > 0, columnTotal > 0 else { return }
  for i in 0..<m.rows where rowSums[i] == 0 && rows[i] > 0 {
    for j in 0..<m.columns { m[i, j] = rows[i] * columns[j] / columnTotal }
  }
  let updated = m.columnSums
  for j in 0..<m.columns where updated[j] == 0 && columnSums[j] == 0 && columns[j] > 0 {
    for i in 0..<m.rows { m[i, j] = rows[i] / total * columns[j] }
  }
}
