import Cluster
import PIDData
import PIDMath

/// The numeric leaves of a report block as `(key path, value)` in document
/// order; `null` becomes NaN, strings and booleans are skipped.
func numericLeaves(_ json: JSON, _ path: String) -> [(String, Double)] {
  switch json {
  case .number(let x): return [(path, x)]
  case .integer(let n): return [(path, Double(n))]
  case .null: return [(path, .nan)]
  case .object(let members): return members.flatMap { numericLeaves($0.1, path.isEmpty ? $0.0 : path + "." + $0.0) }
  case .array(let elements): return elements.enumerated().flatMap { numericLeaves($0.1, path + "." + String($0.0)) }
  default: return []
  }
}

/// The blocks whose numbers the bootstrap reports.
let bootstrapBlocks = ["pid", "bounds", "performance"]

/// Every reported number of one replicate (or of the point estimate), in a
/// fixed order.
func replicateNumbers(_ coded: CodedData, arguments: BoundArguments) -> [(String, Double)] {
  let tables = coded.pairwiseCounts
  guard let fit = try? Reconciliation(x1y: tables.x1y, x2y: tables.x2y, x1x2: tables.x1x2) else { return [] }
  let analysis = Analysis(fit.marginals, arguments: arguments)
  let blocks = analysis.blocks.filter { bootstrapBlocks.contains($0.0) }
  return blocks.flatMap { numericLeaves($0.1, $0.0) }
}

/// Replicates `rank, rank + size, ...` of `0..<count`, computed here and
/// sent to rank 0, which receives every replicate's numbers in replicate
/// order. The assignment is static (round robin); results do not depend on
/// it because each replicate's random stream depends only on (seed, index).
func bootstrapReplicates(_ coded: CodedData, count: Int, seed: UInt64, arguments: BoundArguments,
                         communicator: Communicator, progress: ((Int) -> Void)?) throws -> [[Double]] {
  var mine = [UInt8]()
  func put(_ x: UInt64) { withUnsafeBytes(of: x.littleEndian) { mine += $0 } }
  var done = 0
  for b in stride(from: communicator.rank, to: count, by: communicator.size) {
    let numbers = replicateNumbers(coded.resampled(seed: seed, replicate: b), arguments: arguments).map(\.1)
    put(UInt64(b))
    put(UInt64(numbers.count))
    for x in numbers { put(x.bitPattern) }
    done += 1
    progress?(done * communicator.size)
  }
  let blocks = try communicator.gather(mine)
  guard communicator.isRoot else { return [] }
  var replicates = [[Double]?](repeating: nil, count: count)
  for block in blocks {
    var offset = 0
    func get() -> UInt64 {
      var x: UInt64 = 0
      withUnsafeMutableBytes(of: &x) { $0.copyBytes(from: block[offset..<(offset + 8)]) }
      offset += 8
      return UInt64(littleEndian: x)
    }
    while offset < block.count {
      let b = Int(get()), n = Int(get())
      replicates[b] = (0..<n).map { _ in Double(bitPattern: get()) }
    }
  }
  return replicates.map { $0 ?? [] }
}

/// Percentile interval, standard error and bias of one quantity.
struct BootstrapStatistic {
  var estimate: Double
  var lo: Double
  var hi: Double
  var se: Double
  var bias: Double
  var corrected: Double

  /// - Parameter values: the replicates' values (NaN = unavailable).
  init(estimate: Double, values: [Double], confidence: Double) {
    let finite = values.filter { $0.isFinite }.sorted()
    self.estimate = estimate
    guard finite.count >= 2, estimate.isFinite else {
      lo = .nan; hi = .nan; se = .nan; bias = .nan; corrected = .nan
      return
    }
    let alpha = (1 - confidence) / 2
    func quantile(_ p: Double) -> Double {
      let h = Double(finite.count - 1) * p
      let i = Int(h.rounded(.down)), j = min(i + 1, finite.count - 1)
      return finite[i] + (h - Double(i)) * (finite[j] - finite[i])
    }
    lo = quantile(alpha)
    hi = quantile(1 - alpha)
    let mean = finite.reduce(0, +) / Double(finite.count)
    se = (finite.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(finite.count - 1)).squareRoot()
    bias = mean - estimate
    corrected = 2 * estimate - mean
  }
}

/// The `bootstrap` and `corrected` blocks of CLI.md.
func bootstrapBlocks(point: [(String, Double)], replicates: [[Double]], seed: UInt64, confidence: Double) -> [(String, JSON)] {
  var statistics: [(String, BootstrapStatistic)] = []
  for (i, (key, estimate)) in point.enumerated() {
    let values = replicates.map { i < $0.count ? $0[i] : .nan }
    statistics.append((key, BootstrapStatistic(estimate: estimate, values: values, confidence: confidence)))
  }
  func nest(_ leaves: [(String, JSON)]) -> JSON {
    // Rebuild the nested objects from dotted paths, in order.
    var members: [(String, JSON)] = []
    var groups: [String: [(String, JSON)]] = [:]
    var order: [String] = []
    for (path, value) in leaves {
      let parts = path.split(separator: ".", maxSplits: 1).map(String.init)
      if parts.count == 1 {
        members.append((parts[0], value))
        order.append(parts[0])
      } else {
        if groups[parts[0]] == nil { order.append(parts[0]) }
        groups[parts[0], default: []].append((parts[1], value))
      }
    }
    var result: [(String, JSON)] = []
    var seen = Set<String>()
    for key in order where !seen.contains(key) {
      seen.insert(key)
      if let group = groups[key] { result.append((key, nest(group))) } else if let m = members.first(where: { $0.0 == key }) { result.append(m) }
    }
    return .object(result)
  }
  func number(_ x: Double) -> JSON { x.isFinite ? .number(x) : .null }
  let intervals = statistics.filter { !$0.0.contains(".renamed_gap_bits") }.map { key, s in
    (key, JSON.object([("estimate", number(s.estimate)), ("lo", number(s.lo)), ("hi", number(s.hi)), ("se", number(s.se)), ("bias", number(s.bias))]))
  }
  let corrected = statistics.filter { !$0.0.contains(".renamed_gap_bits") }.map { ($0.0, number($0.1.corrected)) }
  let lower = statistics.first { $0.0 == "bounds.S_lower_clipped" }?.1
  let upper = statistics.first { $0.0 == "bounds.S_upper" }?.1
  guard case .object(let nestedIntervals) = nest(intervals), case .object(let nestedCorrected) = nest(corrected) else { return [] }
  return [
    ("bootstrap", .object([
      ("replicates", .integer(replicates.count)), ("seed", .integer(Int(truncatingIfNeeded: seed))), ("confidence", .number(confidence)),
      ("interval", .string("percentile")),
      ("S_bracket", .object([("lo", number(lower?.lo ?? .nan)), ("hi", number(upper?.hi ?? .nan))])),
    ] + nestedIntervals)),
    ("corrected", .object([("method", .string("bootstrap bias correction: 2 * estimate - mean of the replicates"))] + nestedCorrected)),
  ]
}
