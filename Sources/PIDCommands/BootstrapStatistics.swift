import PIDData
import PIDMath

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
