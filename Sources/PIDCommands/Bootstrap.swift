import Cluster
import PIDData
import PIDMath

#if canImport(Glibc)
import Glibc
#endif

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

/// Set by the SIGTERM handler; checked between rounds of replicates.
nonisolated(unsafe) var terminationRequested: Int32 = 0

/// Makes SIGTERM (a batch scheduler's warning) request a clean stop.
func installTerminationHandler() {
  signal(SIGTERM) { _ in terminationRequested = 1 }
  // A parent may have left SIGTERM blocked in the inherited mask.
  var set = sigset_t()
  sigemptyset(&set)
  sigaddset(&set, SIGTERM)
  pthread_sigmask(SIG_UNBLOCK, &set, nil)
}

/// Computes every replicate of `0..<count` not already in `checkpoint`.
///
/// Work goes in rounds: the missing replicates, in order, are dealt round
/// robin to the ranks, a few per rank per round; after each round rank 0
/// gathers the results and appends them durably to the checkpoint file, and
/// the ranks agree whether a SIGTERM arrived (then they stop with status
/// 75, the checkpoint complete up to the last round). Results do not depend
/// on the assignment: replicate `b` draws from streams keyed by
/// `(seed, b)` only. Rank 0 returns every replicate's numbers in order.
func bootstrapReplicates(_ coded: CodedData, count: Int, seed: UInt64, arguments: BoundArguments,
                         communicator: Communicator, checkpoint: Checkpoint?,
                         progress: ((Int) -> Void)?,
                         data: ((Int) -> CodedData)? = nil) throws -> [[Double]] {
  var results = [[Double]?](repeating: nil, count: count)
  // Rank 0 knows what the checkpoint holds; everyone learns which are done.
  var doneFlags = [UInt8](repeating: 0, count: count)
  if communicator.isRoot, let checkpoint {
    for (b, numbers) in checkpoint.records where b < count {
      results[b] = numbers
      doneFlags[b] = 1
    }
  }
  doneFlags = try communicator.broadcast(doneFlags)
  let missing = (0..<count).filter { doneFlags[$0] == 0 }
  let perRound = communicator.size * 4
  var finished = count - missing.count
  var start = 0
  while start < missing.count {
    let round = Array(missing[start..<min(start + perRound, missing.count)])
    var mine = [UInt8]()
    func put(_ x: UInt64) { withUnsafeBytes(of: x.littleEndian) { mine += $0 } }
    for (position, b) in round.enumerated() where position % communicator.size == communicator.rank {
      let numbers = replicateNumbers(data?(b) ?? coded.resampled(seed: seed, replicate: b), arguments: arguments).map(\.1)
      put(UInt64(b))
      put(UInt64(numbers.count))
      for x in numbers { put(x.bitPattern) }
    }
    let blocks = try communicator.gather(mine)
    if communicator.isRoot {
      var fresh: [(Int, [Double])] = []
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
          let numbers = (0..<n).map { _ in Double(bitPattern: get()) }
          results[b] = numbers
          fresh.append((b, numbers))
        }
      }
      try checkpoint?.append(fresh.sorted { $0.0 < $1.0 })
    }
    finished += round.count
    progress?(finished)
    start += round.count
    // Stop together if any rank was asked to terminate.
    if try communicator.maximum([terminationRequested])[0] != 0 && start < missing.count {
      throw Failure(
        "terminated (SIGTERM) after \(finished) of \(count) replicates" + (checkpoint == nil
          ? "; nothing was saved (give --checkpoint FILE to resume)"
          : "; \(checkpoint!.path) holds them: run the same command to resume"),
        status: .interrupted)
    }
  }
  guard communicator.isRoot else { return [] }
  return results.map { $0 ?? [] }
}

/// A durable record of finished replicates: a header line with a
/// fingerprint of the run (coded data, seed, replicates, options), then one
/// line per replicate with its numbers and an FNV-1a checksum. Lines are
/// appended and flushed to disk after every round; a torn last line (a
/// kill mid-write) fails its checksum and is ignored on resume.
final class Checkpoint {
  let path: String
  let fingerprint: String
  private(set) var records: [(Int, [Double])] = []

  /// Opens (or starts) the checkpoint of the run with this fingerprint.
  /// - Throws: `Failure` (65) if the file belongs to another run.
  init(path: String, fingerprint: String) throws {
    self.path = path
    self.fingerprint = fingerprint
    guard let bytes = try? readFile(path), !bytes.isEmpty else {
      try writeFileAtomically(path, Array("pidbounds-checkpoint v1 \(fingerprint)\n".utf8))
      return
    }
    let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
    guard lines.first == Substring("pidbounds-checkpoint v1 \(fingerprint)") else {
      throw Failure("\(path): this checkpoint belongs to a different run (other data, seed, replicates or options); remove it or choose another file", status: .dataError)
    }
    for line in lines.dropFirst() where !line.isEmpty {
      let parts = line.split(separator: " ")
      guard parts.count == 3, let b = Int(parts[0]),
        String(fnv1a(Array("\(parts[0]) \(parts[1])".utf8)), radix: 16) == parts[2]
      else { continue }
      let numbers = parts[1].split(separator: ",").compactMap { UInt64($0, radix: 16) }.map { Double(bitPattern: $0) }
      records.append((b, numbers))
    }
  }

  /// Appends records and flushes them to disk.
  func append(_ fresh: [(Int, [Double])]) throws {
    guard !fresh.isEmpty else { return }
    var text = ""
    for (b, numbers) in fresh {
      let body = "\(b) " + numbers.map { String($0.bitPattern, radix: 16) }.joined(separator: ",")
      text += body + " " + String(fnv1a(Array(body.utf8)), radix: 16) + "\n"
    }
    let fd = open(path, O_WRONLY | O_APPEND)
    guard fd >= 0 else { throw Failure("\(path): cannot append to the checkpoint: \(String(cString: strerror(errno)))", status: .ioError) }
    defer { close(fd) }
    let bytes = Array(text.utf8)
    var written = 0
    while written < bytes.count {
      let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
      if n < 0 && errno == EINTR { continue }
      guard n > 0 else { throw Failure("\(path): cannot write the checkpoint: \(String(cString: strerror(errno)))", status: .ioError) }
      written += n
    }
    guard fsync(fd) == 0 else { throw Failure("\(path): cannot flush the checkpoint", status: .ioError) }
    records += fresh
  }
}

/// 64-bit FNV-1a.
func fnv1a(_ bytes: [UInt8]) -> UInt64 {
  var hash: UInt64 = 0xCBF2_9CE4_8422_2325
  for byte in bytes {
    hash ^= UInt64(byte)
    hash = hash &* 0x100_0000_01B3
  }
  return hash
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

/// The `permutation` block: for every number of `pid` and `bounds`, the
/// permutation p-value `(1 + #{null >= observed}) / (P + 1)` of "this is
/// above what independence of the label would produce".
func permutationBlock(point: [(String, Double)], nulls: [[Double]], seed: UInt64) -> (String, JSON) {
  var leaves: [(String, JSON)] = []
  for (i, (key, observed)) in point.enumerated() where key.hasPrefix("pid.") || key.hasPrefix("bounds.") {
    guard !key.contains(".renamed_gap_bits"), observed.isFinite else {
      leaves.append((key, .null))
      continue
    }
    let values = nulls.map { i < $0.count ? $0[i] : .nan }.filter { $0.isFinite }
    let exceed = values.filter { $0 >= observed - 1e-12 }.count
    leaves.append((key, .number(Double(1 + exceed) / Double(values.count + 1))))
  }
  func group(_ prefix: String) -> JSON {
    .object(leaves.filter { $0.0.hasPrefix(prefix + ".") }.map { (String($0.0.dropFirst(prefix.count + 1)), $0.1) })
  }
  return ("permutation", .object([
    ("permutations", .integer(nulls.count)), ("seed", .integer(Int(truncatingIfNeeded: seed))),
    ("null", .string("labels shuffled within D1 and within D2; DM kept")),
    ("p_values", .object([("pid", group("pid")), ("bounds", group("bounds"))])),
  ]))
}
