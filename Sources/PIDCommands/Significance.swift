import PIDData
import PIDMath

/// Which terms are distinguishable from zero at the chosen level, and the
/// decision taken from the corrected, significant values.
///
/// The test of a term: with `--permutations P`, its permutation p-value
/// (the null "the label is independent of both modalities") at the level
/// `1 − confidence` after Holm's adjustment over the terms tested (the
/// family-wise error stays at the level); with only `--bootstrap B`, the
/// basic interval of its bias-corrected value (`2 estimate − upper
/// percentile` and up) lying above zero, term by term. Plug-in information estimates are biased upward, so the
/// plain percentile interval is not used as a test.
struct Significance {
  struct Term {
    var name: String
    var key: String
    var plugIn: Double
    var corrected: Double?
    var pValue: Double?
    var significant: Bool
  }

  var level: Double
  var basis: String
  var terms: [Term]

  /// The tested terms: R, U1, U2, the synergy lower bound and (with DL) the
  /// plug-in synergy of DL.
  static let tested: [(String, String)] = [
    ("redundancy R", "pid.R"), ("uniqueness U1", "pid.U1"), ("uniqueness U2", "pid.U2"),
    ("synergy lower bound", "bounds.S_lower_clipped"), ("synergy in DL (validation)", "validation.S"),
  ]

  /// Nil when there is neither a bootstrap nor a permutation test.
  init?(point: [(String, Double)], statistics: [String: BootstrapStatistic], pValues: [String: Double], confidence: Double) {
    guard !statistics.isEmpty || !pValues.isEmpty else { return nil }
    level = ((1 - confidence) * 1e12).rounded() / 1e12
    basis = pValues.isEmpty
      ? "bootstrap: the basic interval of the bias-corrected value lies above 0"
      : "permutation p-values, Holm-adjusted (null: label independent of both modalities)"
    let values = Dictionary(point, uniquingKeysWith: { a, _ in a })
    terms = []
    for (name, key) in Self.tested {
      guard let plugIn = values[key], plugIn.isFinite else { continue }
      let statistic = statistics[key]
      let p = pValues[key].flatMap { $0.isFinite ? $0 : nil }
      terms.append(Term(name: name, key: key, plugIn: plugIn,
                        corrected: statistic.flatMap { $0.corrected.isFinite ? $0.corrected : nil },
                        pValue: p, significant: pValues.isEmpty && (statistic?.basicLo ?? -.infinity) > 0))
    }
    adjustment = pValues.isEmpty ? "none (each interval at the level)" : "Holm over the \(terms.filter { $0.pValue != nil }.count) terms tested"
    if !pValues.isEmpty {
      // Holm's step-down procedure: the i-th smallest of m p-values is
      // significant if it and every smaller one satisfy p <= level / (m - i).
      let order = terms.indices.filter { terms[$0].pValue != nil }.sorted { terms[$0].pValue! < terms[$1].pValue! }
      for (rank, index) in order.enumerated() {
        guard terms[index].pValue! <= level / Double(order.count - rank) else { break }
        terms[index].significant = true
      }
    }
  }

  /// How the family of tests is controlled.
  var adjustment: String

  func isSignificant(_ key: String) -> Bool { terms.first { $0.key == key }?.significant ?? false }

  var block: (String, JSON) {
    func number(_ x: Double?) -> JSON { x.map { .number($0) } ?? .null }
    return ("significance", .object([
      ("level", .number(level)),
      ("basis", .string(basis)),
      ("adjustment", .string(adjustment)),
    ] + terms.map { term in
      (term.key, JSON.object([
        ("significant", .bool(term.significant)), ("plug_in", .number(term.plugIn)),
        ("corrected", number(term.corrected)), ("p_value", number(term.pValue)),
      ]))
    }))
  }
}

extension Decision {
  /// The decision of MATH.md section 6 from corrected, significant values:
  /// `I_min` bias-corrected (when bootstrapped), the synergy lower bound
  /// bias-corrected when it is significant and 0 otherwise, the synergy
  /// upper bound bias-corrected (never below the lower one); every value
  /// clipped at 0. Unimodal accuracies come from the reconciled tables.
  init(correcting analysis: Analysis, tables: PairwiseMarginals, statistics: [String: BootstrapStatistic],
       significance: Significance, thresholds: DecisionThresholds) {
    func value(_ key: String, _ plugIn: Double) -> Double {
      let corrected = statistics[key]?.corrected ?? .nan
      return max(0, corrected.isFinite ? corrected : plugIn)
    }
    let iMin = value("pid.I_min", analysis.bounds.pid.solution.lowerBound)
    let lower = significance.isSignificant("bounds.S_lower_clipped") ? value("bounds.S_lower_clipped", analysis.bounds.lowerClipped) : 0
    let upper = max(lower, value("bounds.S_upper", analysis.bounds.upper))
    let performance = PerformanceBounds(x1y: tables.x1y, x2y: tables.x2y, information: (iMin + lower, iMin + upper))
    self.init(performance: performance, synergyLower: lower, synergyUpper: upper, thresholds: thresholds)
  }
}
