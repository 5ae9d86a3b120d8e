import PIDData
import PIDMath

/// Whether the data are large enough for the number of clusters: plug-in
/// information from a table with few rows per occupied cell is biased
/// upward by about `(cells − 1)(k − 1) / (2 N ln 2)` bits, so the report
/// says when a table has fewer than `minimumRowsPerCell` rows per occupied
/// cell and how many clusters per modality the data would support.
struct DataSize {
  static let minimumRowsPerCell = 10.0

  /// Rows per occupied cell of D1 `(x1, y)`, D2 `(x2, y)`, DM `(x1, x2)`
  /// and (with DL) DL `(x1, x2, y)`.
  var rowsPerCell: [(String, Double)]
  /// The largest number of clusters per modality that gives every
  /// pairwise table at least `minimumRowsPerCell` rows per cell when all
  /// its cells are occupied (at least 2).
  var supportedClusters: Int
  var advice: [String]

  init(_ coded: CodedData) {
    let tables = coded.pairwiseCounts
    func perCell(_ elements: [Double]) -> Double {
      let occupied = elements.filter { $0 > 0 }.count
      return occupied == 0 ? 0 : elements.reduce(0, +) / Double(occupied)
    }
    rowsPerCell = [("x1y", perCell(tables.x1y.elements)), ("x2y", perCell(tables.x2y.elements)),
                   ("x1x2", perCell(tables.x1x2.elements))]
    if let joint = coded.validationCounts { rowsPerCell.append(("x1x2y", perCell(joint))) }
    let k = Double(coded.labelCount), m = Self.minimumRowsPerCell
    let sizes = coded.sampleSizes.map(Double.init)
    let supported = min(sizes[0] / (m * k), sizes[1] / (m * k), (sizes[2] / m).squareRoot())
    supportedClusters = max(2, Int(supported.rounded(.down)))
    let names = ["x1y": "D1 (x1, y)", "x2y": "D2 (x2, y)", "x1x2": "DM (x1, x2)", "x1x2y": "DL (x1, x2, y)"]
    advice = rowsPerCell.filter { $0.1 < m }.map { key, rows in
      "\(names[key]!) has \(formatted(.number(rows), decimals: 1)) rows per occupied cell (fewer than \(Int(m))): its plug-in information is strongly biased upward"
    }
    if !advice.isEmpty && rowsPerCell.prefix(3).contains(where: { $0.1 < m }) {
      advice.append("the data would support about \(supportedClusters) clusters per modality (--clusters \(supportedClusters), or merge codes)")
    }
  }

  /// Whether D1, D2 and DM each have enough rows per occupied cell.
  var pairwiseAdequate: Bool { rowsPerCell.prefix(3).allSatisfy { $0.1 >= Self.minimumRowsPerCell } }

  var block: (String, JSON) {
    ("data_size", .object([
      ("rows_per_occupied_cell", .object(rowsPerCell.map { ($0.0, JSON.number($0.1)) })),
      ("minimum_rows_per_cell", .number(Self.minimumRowsPerCell)),
      ("supported_clusters", .integer(supportedClusters)),
      ("adequate", .bool(advice.isEmpty)),
      ("advice", .array(advice.map { .string($0) })),
    ]))
  }
}

/// The `miller_madow` block: the mutual informations of each dataset's own
/// counts with the Miller–Madow correction (first-order bias of plug-in
/// entropies), next to their plug-in values.
func millerMadowBlock(_ coded: CodedData) -> (String, JSON) {
  let tables = coded.pairwiseCounts
  var members: [(String, JSON)] = [
    ("method", .string("Miller-Madow: each plug-in entropy + (occupied cells - 1) / (2 N) nats, from each dataset's own counts")),
    ("I_x1y", .number(millerMadowInformation(counts: tables.x1y))),
    ("I_x2y", .number(millerMadowInformation(counts: tables.x2y))),
    ("I_x1x2", .number(millerMadowInformation(counts: tables.x1x2))),
  ]
  if let joint = coded.validationCounts {
    // I(X1,X2; Y) of DL: rows are the (x1, x2) pairs.
    let pairs = coded.alphabet1 * coded.alphabet2
    members.append(("I_x1x2y", .number(millerMadowInformation(counts: Matrix(rows: pairs, columns: coded.labelCount, elements: joint)))))
  }
  return ("miller_madow", .object(members))
}
