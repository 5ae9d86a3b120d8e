import Cluster
import PIDData
import PIDMath

#if canImport(Glibc)
import Glibc
#endif

/// Every number that resampling recomputes (`Quantity`), as a function
/// of the count tables: the pairwise analysis, then (with DL) the plug-in
/// PID of DL. Numbers come in `quantities` order; a failed part becomes
/// NaN.
struct ResampledStatistic {
  var arguments: BoundArguments
  var n1: Int, n2: Int, k: Int
  /// What is recomputed, in record order.
  var quantities: [Quantity]
  /// The point estimate's fitted joint: every refit starts from it.
  var start: [Double]

  /// The largest certified gap (bits) of a replicate's solve that is kept.
  static let replicateGap = 1e-4

  init(_ coded: CodedData, arguments: BoundArguments, start: [Double]) {
    self.arguments = arguments
    self.start = start
    n1 = coded.alphabet1
    n2 = coded.alphabet2
    k = coded.labelCount
    quantities = Quantity.pairwise + (coded.dly.isEmpty ? [] : Quantity.validation)
  }

  var hasValidation: Bool { quantities.count > Quantity.pairwise.count }

  /// The numbers of the full data: `analysis` (the point estimate's) and
  /// DL's counts.
  func point(_ analysis: Analysis, validationCounts: [Double]?) -> QuantityValues {
    QuantityValues(quantities: quantities, values: Quantity.pairwise.map { $0.value(in: analysis) } + validation(validationCounts))
  }

  /// The pairwise part from count tables, through their maximum-likelihood
  /// joint (warm-started from the point estimate's).
  ///
  /// - Throws: `Failure` (70) when a number leaves its mathematical range.
  func pairwise(x1y: Matrix, x2y: Matrix, x1x2: Matrix) throws -> [Double] {
    guard let fit = try? MaximumLikelihoodJoint(x1y: x1y, x2y: x2y, x1x2: x1x2, weights: .counts, start: start) else {
      return [Double](repeating: .nan, count: Quantity.pairwise.count)
    }
    let analysis = Analysis(witness: fit.witness, arguments: arguments)
    try analysis.checkRanges()
    // A replicate whose solve ends above the target gap still has valid
    // bounds (certified ends) and terms exact to its gap; it is kept while
    // that gap is negligible next to sampling error (the largest is
    // reported as bootstrap.largest_gap_bits), and left out (counted as
    // unusable) beyond, since dropping replicates biases the intervals.
    guard analysis.bounds.pid.gap <= max(arguments.targetGap, Self.replicateGap) else {
      return [Double](repeating: .nan, count: Quantity.pairwise.count)
    }
    return Quantity.pairwise.map { $0.value(in: analysis) }
  }

  /// The validation part from DL's joint counts (empty without DL).
  func validation(_ joint: [Double]?) -> [Double] {
    guard hasValidation else { return [] }
    guard let joint, let table = try? JointDistribution(n1: n1, n2: n2, k: k, masses: joint) else {
      return [Double](repeating: .nan, count: Quantity.validation.count)
    }
    let pid = PartialInformationDecomposition(joint: table)
    return Quantity.validation.map { $0.value(in: pid) }
  }

  /// Every number for one (resampled or permuted) dataset.
  func numbers(_ coded: CodedData) throws -> [Double] {
    let tables = coded.pairwiseCounts
    return try pairwise(x1y: tables.x1y, x2y: tables.x2y, x1x2: tables.x1x2) + validation(coded.validationCounts)
  }

  /// The numbers with one row of `cell` deleted. Only the part that
  /// depends on the cell's sample is recomputed; the other part is the
  /// full-data `point`.
  func deleting(_ cell: JackknifeCell, from coded: CodedData, point: [Double]) throws -> [Double] {
    if cell.sample == 3 {
      var joint = coded.validationCounts!
      joint[cell.cell] -= 1
      return Array(point.prefix(Quantity.pairwise.count)) + validation(joint)
    }
    var tables = coded.pairwiseCounts
    switch cell.sample {
    case 0: tables.x1y.elements[cell.cell] -= 1
    case 1: tables.x2y.elements[cell.cell] -= 1
    default: tables.x1x2.elements[cell.cell] -= 1
    }
    return try pairwise(x1y: tables.x1y, x2y: tables.x2y, x1x2: tables.x1x2) + Array(point.dropFirst(Quantity.pairwise.count))
  }
}

/// Set by the SIGTERM handler; checked between rounds of replicates.
nonisolated(unsafe) var terminationRequested: Int32 = 0

/// Makes SIGTERM (a batch scheduler's warning) and SIGUSR1 (the early
/// warning a batch script forwards through `mpirun`, which passes SIGUSR1
/// on to the ranks without killing them) request a clean stop.
func installTerminationHandler() {
  signal(SIGTERM) { _ in terminationRequested = 1 }
  signal(SIGUSR1) { _ in terminationRequested = 1 }
  // A parent may have left them blocked in the inherited mask.
  var set = sigset_t()
  sigemptyset(&set)
  sigaddset(&set, SIGTERM)
  sigaddset(&set, SIGUSR1)
  pthread_sigmask(SIG_UNBLOCK, &set, nil)
}

/// A durable record of finished replicates (the format is
/// `CheckpointFile`'s): a header line with a fingerprint of the run (coded
/// data, seed, replicates, options), then one checksummed line per
/// replicate. Lines are appended and flushed to disk as results arrive
/// (at most every half second, and at the end).
///
/// Guarantees: a record that was appended (and `append` returned) survives
/// any later kill, disk-full or I/O error, and any later open; a damaged
/// line (a torn last line after a kill, a flipped byte, a line from another
/// run) is never used, only recomputed; a checkpoint of another run is
/// refused (65), never overwritten; a file that cannot be read, written or
/// flushed stops the run with 74 before work is lost.
final class Checkpoint {
  let path: String
  let fingerprint: String
  private(set) var records: [(Int, [Double])] = []
  /// Lines of the file that failed their checksum and were dropped.
  private(set) var damagedLines = 0

  /// Opens (or starts) the checkpoint of the run with this fingerprint.
  /// An existing file is rewritten atomically without its damaged lines,
  /// so that later appends start on a fresh line.
  ///
  /// - Throws: `Failure` 65 if the file belongs to another run or is not
  ///   a checkpoint, 74 if it cannot be read or (re)written.
  init(path: String, fingerprint: String) throws {
    self.path = path
    self.fingerprint = fingerprint
    let bytes: [UInt8]
    do {
      bytes = try readFile(path)
    } catch .missingFile {
      bytes = []
    }
    guard !bytes.isEmpty else {
      try writeFileAtomically(path, Array(CheckpointFile(fingerprint: fingerprint).text.utf8))
      return
    }
    let file = try CheckpointFile.parse(bytes, path: path, fingerprint: fingerprint)
    records = file.records
    damagedLines = file.damagedLines
    let clean = Array(file.text.utf8)
    if clean != bytes { try writeFileAtomically(path, clean) }
  }

  /// Appends records and flushes them to disk (`fsync`); on return they
  /// are durable. On an error, earlier records are intact and at most a
  /// torn last line was added (dropped on the next open).
  func append(_ fresh: [(Int, [Double])]) throws {
    guard !fresh.isEmpty else { return }
    let text = fresh.map { CheckpointFile.line(index: $0.0, numbers: $0.1, fingerprint: fingerprint) }.joined()
    let fd = open(path, O_WRONLY | O_APPEND)
    guard fd >= 0 else { throw Failure("\(path): cannot append to the checkpoint: \(String(cString: strerror(errno)))", status: .ioError) }
    defer { close(fd) }
    slowFlushForTests()
    let bytes = Array(text.utf8)
    var written = 0
    while written < bytes.count {
      let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
      if n < 0 && errno == EINTR { continue }
      guard n > 0 else {
        throw Failure("\(path): cannot write the checkpoint (\(String(cString: strerror(errno)))); the \(records.count) replicates recorded before are kept: free space and run the same command to resume", status: .ioError)
      }
      written += n
    }
    guard fsync(fd) == 0 else {
      throw Failure("\(path): cannot flush the checkpoint (\(String(cString: strerror(errno)))); the \(records.count) replicates recorded before are kept", status: .ioError)
    }
    records += fresh
  }

  /// Test hook, never for production use: with
  /// `PIDBOUNDS_TEST_FLUSH_DELAY=SECONDS` in the environment, a checkpoint
  /// write made after a termination request (SIGTERM or SIGUSR1) first
  /// sleeps that long, to stand in for a slow shared file system. The
  /// Slurm test uses it to prove that the batch script gives the flush
  /// more than the one second `mpirun` allows by default.
  private func slowFlushForTests() {
    guard terminationRequested != 0, let text = getenv("PIDBOUNDS_TEST_FLUSH_DELAY"),
      let seconds = Double(String(cString: text)), seconds > 0, seconds < 600
    else { return }
    usleep(UInt32(seconds * 1_000_000))
  }
}

/// What the bootstrap says about one quantity.
struct BootstrapStatistic {
  var estimate: Double
  /// Percentile interval.
  var lo: Double
  var hi: Double
  /// BCa interval (NaN when undefined).
  var bcaLo: Double
  var bcaHi: Double
  /// The basic interval `[2 estimate − hi, 2 estimate − lo]`: the
  /// percentile interval moved by twice the bias, centred on the corrected
  /// value.
  var basicLo: Double
  var basicHi: Double
  var se: Double
  var bias: Double
  var corrected: Double
  /// The distribution of the finite replicates (for the report's
  /// histograms).
  var histogram: Histogram

  /// - Parameters:
  ///   - values: the replicates' values (NaN = unavailable).
  ///   - acceleration: the BCa acceleration (NaN = no BCa).
  init(estimate: Double, values: [Double], acceleration: Double, confidence: Double) {
    let finite = values.filter { $0.isFinite }
    self.estimate = estimate
    histogram = Histogram(finite, bins: Self.histogramBins)
    guard finite.count >= 2, estimate.isFinite, let percentile = BootstrapInterval.percentile(replicates: finite, confidence: confidence) else {
      lo = .nan; hi = .nan; bcaLo = .nan; bcaHi = .nan; basicLo = .nan; basicHi = .nan
      se = .nan; bias = .nan; corrected = .nan
      return
    }
    lo = percentile.lower
    hi = percentile.upper
    let bca = BootstrapInterval.bca(estimate: estimate, replicates: finite, acceleration: acceleration, confidence: confidence)
    bcaLo = bca?.lower ?? .nan
    bcaHi = bca?.upper ?? .nan
    basicLo = 2 * estimate - hi
    basicHi = 2 * estimate - lo
    let mean = finite.reduce(0, +) / Double(finite.count)
    se = (finite.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(finite.count - 1)).squareRoot()
    bias = mean - estimate
    corrected = 2 * estimate - mean
  }

  /// Bins of the replicate histograms in the JSON.
  static let histogramBins = 24

  /// The interval `--interval` chose.
  func interval(_ kind: IntervalKind) -> (Double, Double) {
    kind == .bca ? (bcaLo, bcaHi) : (lo, hi)
  }
}

/// The interval the table shows and the S bracket uses.
enum IntervalKind: String, CaseIterable {
  case percentile, bca
}

/// Rebuilds nested objects from dotted key paths, in first-seen order.
func nestedObject(_ leaves: [(String, JSON)]) -> JSON {
  var order: [String] = []
  var groups: [String: [(String, JSON)]] = [:]
  var members: [String: JSON] = [:]
  for (path, value) in leaves {
    let parts = path.split(separator: ".", maxSplits: 1).map(String.init)
    if groups[parts[0]] == nil && members[parts[0]] == nil { order.append(parts[0]) }
    if parts.count == 1 { members[parts[0]] = value } else { groups[parts[0], default: []].append((parts[1], value)) }
  }
  return .object(order.map { key in (key, groups[key].map(nestedObject) ?? members[key]!) })
}

/// The statistics of every quantity: `point[i]` with the bootstrap
/// replicates' `i`-th numbers and, for the BCa acceleration, the jackknife
/// deletions' `i`-th numbers (`cells[j]` deleted gave `jackknife[j]`).
func bootstrapStatistics(point: QuantityValues, replicates: [[Double]], cells: [JackknifeCell], jackknife: [[Double]],
                         sampleSizes: [Int], confidence: Double) -> [(Quantity, BootstrapStatistic)] {
  zip(point.quantities, point.values).enumerated().map { i, leaf in
    let values = replicates.map { i < $0.count ? $0[i] : .nan }
    var samples: [JackknifeSample] = []
    for sample in 0..<sampleSizes.count {
      let values = zip(cells, jackknife).filter { $0.0.sample == sample }.map { (value: i < $0.1.count ? $0.1[i] : .nan, weight: $0.0.count) }
      if !values.isEmpty { samples.append(JackknifeSample(size: sampleSizes[sample], values: values)) }
    }
    let acceleration = jackknife.isEmpty ? .nan : jackknifeAcceleration(samples)
    return (leaf.0, BootstrapStatistic(estimate: leaf.1, values: values, acceleration: acceleration, confidence: confidence))
  }
}

/// The `bootstrap` and `corrected` blocks of CLI.md.
func bootstrapBlocks(_ statistics: [(Quantity, BootstrapStatistic)], replicates: Int, unusable: Int, largestGap: Double,
                     jackknife: Int, seed: UInt64,
                     confidence: Double, interval: IntervalKind) -> [(String, JSON)] {
  func number(_ x: Double) -> JSON { x.isFinite ? .number(x) : .null }
  let reported = statistics.filter { $0.0.isReported }.map { ($0.0.rawValue, $0.1) }
  let intervals = reported.map { key, s in
    (key, JSON.object([
      ("estimate", number(s.estimate)), ("lo", number(s.lo)), ("hi", number(s.hi)), ("se", number(s.se)), ("bias", number(s.bias)),
      ("basic_lo", number(s.basicLo)), ("basic_hi", number(s.basicHi)),
    ] + (jackknife > 0 ? [("bca_lo", number(s.bcaLo)), ("bca_hi", number(s.bcaHi))] : [])))
  }
  let lower = statistics.first { $0.0 == .lowerClipped }?.1
  let upper = statistics.first { $0.0 == .upper }?.1
  let cap = statistics.first { $0.0 == .upperCap }?.1
  /// The S bracket with sampling error (MATH.md section 8): the low end of
  /// the lower bound's interval and of its basic interval (the plug-in
  /// lower bound is biased upward), the high end of the upper bound's
  /// interval and of its basic interval (the upper bound is biased
  /// downward); it contains the point bracket by construction, and stays
  /// within `[0, max(point cap, upper percentile of the cap)]`.
  func bracket(_ kind: IntervalKind) -> JSON {
    guard let lower, let upper else { return .object([("lo", .null), ("hi", .null)]) }
    let low = [lower.interval(kind).0, lower.basicLo, lower.estimate].filter(\.isFinite).min() ?? .nan
    var high = [upper.interval(kind).1, upper.basicHi, upper.estimate].filter(\.isFinite).max() ?? .nan
    if let cap, cap.estimate.isFinite { high = min(high, max(cap.estimate, cap.hi.isFinite ? cap.hi : cap.estimate)) }
    return .object([("lo", number(max(0, low))), ("hi", number(high))])
  }
  let distributions = statistics.filter { histogramQuantities.contains($0.0) }.map { q, s in (q.rawValue, histogramJSON(s.histogram)) }
  guard case .object(let nestedIntervals) = nestedObject(intervals),
    case .object(let nestedCorrected) = nestedObject(reported.map { ($0.0, number($0.1.corrected)) })
  else { return [] }
  return [
    ("bootstrap", .object([
      ("replicates", .integer(replicates)), ("seed", .integer(Int(truncatingIfNeeded: seed))), ("confidence", .number(confidence)),
      ("interval", .string(interval.rawValue)),
      ("jackknife_evaluations", .integer(jackknife)),
      ("unusable_replicates", .integer(unusable)),
      ("largest_gap_bits", number(largestGap)),
      ("S_bracket", bracket(interval)),
      ("S_bracket_percentile", bracket(.percentile)),
    ] + (jackknife > 0 ? [("S_bracket_bca", bracket(.bca))] : []) + nestedIntervals
      + (distributions.isEmpty ? [] : [("distributions", nestedObject(distributions))]))),
    ("corrected", .object([
      ("method", .string("bootstrap bias correction: 2 * estimate - mean of the replicates")),
    ] + nestedCorrected)),
  ]
}

/// The quantities whose replicate histograms the `bootstrap` block carries
/// (`bootstrap.distributions`).
let histogramQuantities: [Quantity] = [.redundancy, .uniqueness1, .uniqueness2, .lowerClipped, .upper, .validationSynergy]

/// `{"lo", "hi", "counts"}`: equal-width bins over `[lo, hi]`.
func histogramJSON(_ h: Histogram) -> JSON {
  .object([("lo", .number(h.lower)), ("hi", .number(h.upper)), ("counts", .array(h.counts.map { .integer($0) }))])
}

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
