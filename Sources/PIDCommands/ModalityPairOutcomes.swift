import PIDData

/// What one rank did of `estimate --modality`'s pairs: the report block
/// and summary line of each pair it analysed, keyed by the pair's index in
/// the list's order, and the first pair it failed on (it stops there).
/// Travels to rank 0 as JSON in its byte form, which restores every number
/// to the bit.
struct ModalityPairOutcomes {
  var results: [(index: Int, result: (pair: JSON, summary: JSON))] = []
  var failure: (index: Int, failure: Failure)? = nil

  init() {}

  var json: JSON {
    .object([
      ("results", .array(results.map { .array([.integer($0.index), $0.result.pair, $0.result.summary]) })),
      ("failure", failure.map { .array([.integer($0.index), .integer(Int($0.failure.status.rawValue)), .string($0.failure.message)]) } ?? .null),
    ])
  }

  /// The outcomes of `json`, nil when it is not their form.
  init?(_ json: JSON) {
    guard case .array(let results)? = json["results"], let failure = json["failure"] else { return nil }
    for result in results {
      guard case .array(let parts) = result, parts.count == 3, case .integer(let index) = parts[0], index >= 0 else { return nil }
      self.results.append((index, (parts[1], parts[2])))
    }
    switch failure {
    case .null: break
    case .array(let parts):
      guard parts.count == 3, case .integer(let index) = parts[0], index >= 0, case .integer(let code) = parts[1],
            let status = Int32(exactly: code).flatMap(ExitStatus.init(rawValue:)), case .string(let message) = parts[2]
      else { return nil }
      self.failure = (index, Failure(message, status: status))
    default: return nil
    }
  }
}
