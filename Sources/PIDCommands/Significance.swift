import PIDData
import PIDMath

/// What the resampling says about dependence and about each term.
///
/// - The **global test** (with `--permutations P`): the null is "the label
///   is independent of each modality", tested by the permutation p-value of
///   `I_min` (labels shuffled within D1 and within D2; `I_min` is at least
///   `max(I(X1;Y), I(X2;Y))`). Shuffling is exact under that null only, so
///   the p-value says nothing about any single term. A label that depends
///   on the modalities only jointly (pure synergy) looks independent of
///   each in D1 and D2: no test on them can see it.
/// - **Each term** (R, U1, U2, the synergy lower bound, the synergy of DL)
///   gets its plug-in and bias-corrected values and its basic interval
///   (`[2 estimate − upper percentile, 2 estimate − lower percentile]`,
///   which moves the percentile interval by twice the bias of the plug-in
///   estimate), and no verdict: no test of a single term's null (e.g.
///   `U1 = 0`, a garbling of `p(x2, y)` into `p(x1, y)`) is implemented.
struct Significance {
  struct Term {
    var name: String
    var key: String
    var plugIn: Double
    var corrected: Double?
    var interval: (Double, Double)?
  }

  var level: Double
  /// The permutation p-value of the global null, when permutations ran.
  var globalPValue: Double?
  var terms: [Term]

  /// The reported terms.
  static let reported: [(String, String)] = [
    ("redundancy R", "pid.R"), ("uniqueness U1", "pid.U1"), ("uniqueness U2", "pid.U2"),
    ("synergy lower bound", "bounds.S_lower_clipped"), ("synergy in DL (validation)", "validation.S"),
  ]

  /// The statistic of the global test.
  static let globalStatistic = "pid.I_min"

  /// Nil when there is neither a bootstrap nor a permutation test.
  init?(point: [(String, Double)], statistics: [String: BootstrapStatistic], pValues: [String: Double], confidence: Double) {
    guard !statistics.isEmpty || !pValues.isEmpty else { return nil }
    level = ((1 - confidence) * 1e12).rounded() / 1e12
    globalPValue = pValues[Self.globalStatistic].flatMap { $0.isFinite ? $0 : nil }
    let values = Dictionary(point, uniquingKeysWith: { a, _ in a })
    terms = []
    for (name, key) in Self.reported {
      guard let plugIn = values[key], plugIn.isFinite else { continue }
      let statistic = statistics[key]
      let interval = statistic.flatMap { s in s.basicLo.isFinite && s.basicHi.isFinite ? (s.basicLo, s.basicHi) : nil }
      terms.append(Term(name: name, key: key, plugIn: plugIn,
                        corrected: statistic.flatMap { $0.corrected.isFinite ? $0.corrected : nil }, interval: interval))
    }
  }

  /// Whether the global null is rejected at the level (nil without
  /// permutations).
  var labelDepends: Bool? { globalPValue.map { $0 <= level } }

  var block: (String, JSON) {
    func number(_ x: Double?) -> JSON { x.map { .number($0) } ?? .null }
    let global: JSON = globalPValue.map { p in
      .object([
        ("null", .string("the label is independent of each modality (labels shuffled within D1 and within D2)")),
        ("statistic", .string(Self.globalStatistic)),
        ("p_value", .number(p)),
        ("rejected", .bool(p <= level)),
      ])
    } ?? .null
    return ("significance", .object([
      ("level", .number(level)),
      ("global", global),
      ("terms", .string("plug-in, bias-corrected value and basic bootstrap interval of each term; no per-term test")),
    ] + terms.map { term in
      (term.key, JSON.object([
        ("plug_in", .number(term.plugIn)), ("corrected", number(term.corrected)),
        ("interval", term.interval.map { .array([.number($0.0), .number($0.1)]) } ?? .null),
      ]))
    }))
  }
}

extension Decision {
  /// The decision of MATH.md section 6 from the bootstrap instead of the
  /// plug-in values: `I_min` bias-corrected, the synergy lower bound at the
  /// lower end of its basic interval (plug-in information is biased
  /// upward), the synergy upper bound at the upper end of the larger of its
  /// percentile and basic intervals; every value clipped at 0 and the upper
  /// end never below the lower. Unimodal accuracies come from the fitted
  /// tables. Nil without bootstrap statistics.
  init?(correcting analysis: Analysis, tables: PairwiseMarginals, statistics: [String: BootstrapStatistic],
        thresholds: DecisionThresholds) {
    guard let iMinStatistic = statistics["pid.I_min"], let lowerStatistic = statistics["bounds.S_lower_clipped"],
      let upperStatistic = statistics["bounds.S_upper"], iMinStatistic.corrected.isFinite,
      lowerStatistic.basicLo.isFinite, upperStatistic.hi.isFinite, upperStatistic.basicHi.isFinite
    else { return nil }
    let iMin = max(0, iMinStatistic.corrected)
    let lower = max(0, min(lowerStatistic.basicLo, analysis.bounds.lowerClipped))
    let upper = max(lower, upperStatistic.hi, upperStatistic.basicHi, analysis.bounds.upper)
    let performance = PerformanceBounds(x1y: tables.x1y, x2y: tables.x2y, information: (iMin + lower, iMin + upper))
    self.init(performance: performance, synergyLower: lower, synergyUpper: upper, thresholds: thresholds)
  }
}
