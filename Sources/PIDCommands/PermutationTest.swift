import PIDData

/// For every number of `pid`, `bounds` and `validation`, the permutation
/// p-value `(1 + #{null >= observed}) / (P + 1)`: a test of the one null
/// "the label is independent of the modalities" with that number as the
/// statistic, not a test of the number being zero (NaN when unavailable).
func permutationPValues(point: QuantityValues, nulls: [[Double]]) -> [(Quantity, Double)] {
  var values: [(Quantity, Double)] = []
  for (i, (key, observed)) in zip(point.quantities, point.values).enumerated() where key.isReported && !key.isAccuracy {
    guard observed.isFinite else {
      values.append((key, .nan))
      continue
    }
    values.append((key, permutationPValue(observed: observed, nulls: nulls.map { i < $0.count ? $0[i] : .nan })))
  }
  return values
}

/// `(1 + #{null >= observed}) / (P + 1)` over the finite null values (ties
/// within 1e-12 count as exceeding).
func permutationPValue(observed: Double, nulls: [Double]) -> Double {
  let null = nulls.filter(\.isFinite)
  return Double(1 + null.filter { $0 >= observed - 1e-12 }.count) / Double(null.count + 1)
}

/// Jobs whose numbers are unavailable (their first number is not finite).
func unusableCount(_ rows: some Collection<[Double]>) -> Int {
  rows.filter { !($0.first ?? .nan).isFinite }.count
}

/// The `permutation` block.
func permutationBlock(_ pValues: [(Quantity, Double)], permutations: Int, unusable: Int, seed: UInt64) -> (String, JSON) {
  ("permutation", .object([
    ("permutations", .integer(permutations)), ("seed", .integer(Int(truncatingIfNeeded: seed))),
    ("unusable_permutations", .integer(unusable)),
    ("null", .string("the label is independent of the modalities: labels shuffled within D1, within D2 and within DL; DM kept")),
    ("p_values", nestedObject(pValues.map { ($0.0.rawValue, $0.1.isFinite ? JSON.number($0.1) : .null) })),
  ]))
}
