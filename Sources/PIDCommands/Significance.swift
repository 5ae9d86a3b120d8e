import PIDData
import PIDMath

/// What the resampling says about dependence and about each term.
///
/// - The **global test** (with `--permutations P`): the null is "the label
///   is independent of the modalities" in every labeled sample, tested by
///   the permutation p-value of `I_min` plus, with DL, the plug-in
///   `I(X1,X2;Y)` of DL (labels shuffled within D1, D2 and DL; `I_min` is
///   at least `max(I(X1;Y), I(X2;Y))`). Shuffling is exact under that null
///   only, so the p-value says nothing about any single term. A label that
///   depends on the modalities only jointly (pure synergy) looks
///   independent of each in D1 and D2: only DL can show it.
/// - **Each term** (R, U1, U2, the synergy lower bound, the synergy of DL)
///   gets its plug-in and bias-corrected values and its basic interval
///   (`[2 estimate − upper percentile, 2 estimate − lower percentile]`,
///   which moves the percentile interval by twice the bias of the plug-in
///   estimate), and no verdict: no test of a single term's null (e.g.
///   `U1 = 0`, a garbling of `p(x2, y)` into `p(x1, y)`) is implemented.
struct Significance {
  struct Term {
    var name: String
    var key: Quantity
    var plugIn: Double
    var corrected: Double?
    var interval: (Double, Double)?
  }

  var level: Double
  /// The global test, when permutations ran.
  var global: GlobalTest?
  var terms: [Term]

  /// The reported terms.
  static let reported: [(String, Quantity)] = [
    ("redundancy R", .redundancy), ("uniqueness U1", .uniqueness1), ("uniqueness U2", .uniqueness2),
    ("synergy lower bound", .lowerClipped), ("synergy in DL (validation)", .validationSynergy),
  ]

  /// The terms summed into the statistic of the global test (those
  /// present).
  static let globalStatistic: [Quantity] = [.minimumInformation, .validationTotal]

  /// The global test from the permutations: the observed statistic `T`,
  /// its permutation p-value and the permutations' values of `T` (nil when
  /// `T` is not finite).
  struct GlobalTest {
    var observed: Double
    var pValue: Double
    var nulls: [Double]

    init?(point: QuantityValues, nulls: [[Double]]) {
      let indices = point.quantities.indices.filter { globalStatistic.contains(point.quantities[$0]) }
      func statistic(_ values: [Double]) -> Double { indices.reduce(0) { $0 + ($1 < values.count ? values[$1] : .nan) } }
      observed = statistic(point.values)
      guard observed.isFinite, !indices.isEmpty else { return nil }
      self.nulls = nulls.map(statistic)
      pValue = permutationPValue(observed: observed, nulls: self.nulls)
    }
  }

  /// Nil when there is neither a bootstrap nor a permutation test.
  ///
  /// - Parameter global: the global test (nil without permutations).
  init?(point: QuantityValues, statistics: [Quantity: BootstrapStatistic], global: GlobalTest?, confidence: Double) {
    guard !statistics.isEmpty || global != nil else { return nil }
    level = ((1 - confidence) * 1e12).rounded() / 1e12
    self.global = global
    terms = []
    for (name, key) in Self.reported {
      guard let plugIn = point[key], plugIn.isFinite else { continue }
      let statistic = statistics[key]
      let interval = statistic.flatMap { s in s.basicLo.isFinite && s.basicHi.isFinite ? (s.basicLo, s.basicHi) : nil }
      terms.append(Term(name: name, key: key, plugIn: plugIn,
                        corrected: statistic.flatMap { $0.corrected.isFinite ? $0.corrected : nil }, interval: interval))
    }
  }

  /// Whether the global null is rejected at the level (nil without
  /// permutations).
  var labelDepends: Bool? { global.map { $0.pValue <= level } }

  var block: (String, JSON) {
    func number(_ x: Double?) -> JSON { x.map { .number($0) } ?? .null }
    let global: JSON = self.global.map { test in
      .object([
        ("null", .string("the label is independent of the modalities (labels shuffled within D1, D2 and DL)")),
        ("statistic", .string(Self.globalStatistic.map(\.rawValue).joined(separator: " + "))),
        ("observed", .number(test.observed)),
        ("p_value", .number(test.pValue)),
        ("rejected", .bool(test.pValue <= level)),
        ("null_distribution", histogramJSON(Histogram(test.nulls, bins: BootstrapStatistic.histogramBins))),
      ])
    } ?? .null
    return ("significance", .object([
      ("level", .number(level)),
      ("global", global),
      ("terms", .string("plug-in, bias-corrected value and basic bootstrap interval of each term; no per-term test")),
    ] + terms.map { term in
      (term.key.rawValue, JSON.object([
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
  init?(correcting analysis: Analysis, tables: PairwiseMarginals, statistics: [Quantity: BootstrapStatistic],
        thresholds: DecisionThresholds) {
    guard let iMinStatistic = statistics[.minimumInformation], let lowerStatistic = statistics[.lowerClipped],
      let upperStatistic = statistics[.upper], iMinStatistic.corrected.isFinite,
      lowerStatistic.basicLo.isFinite, upperStatistic.hi.isFinite, upperStatistic.basicHi.isFinite
    else { return nil }
    let iMin = max(0, iMinStatistic.corrected)
    let lower = max(0, min(lowerStatistic.basicLo, analysis.bounds.lowerClipped))
    let upper = max(lower, upperStatistic.hi, upperStatistic.basicHi, analysis.bounds.upper)
    let performance = PerformanceBounds(x1y: tables.x1y, x2y: tables.x2y, information: (iMin + lower, iMin + upper))
    self.init(performance: performance, synergyLower: lower, synergyUpper: upper, thresholds: thresholds)
  }
}

extension Decision {
  /// This decision without the claims that the upward bias of plug-in
  /// information can manufacture: a gain (`"yes"`) and an interaction
  /// (`"interaction"`) rest on lower bounds, so they become `"maybe"` and
  /// `"either"`, and the reason says `why`. Nil when nothing changes.
  func withoutCertainty(because why: String) -> Decision? {
    guard collectMultimodal == "yes" || fusion == "interaction" else { return nil }
    var copy = self
    var claims: [String] = []
    if collectMultimodal == "yes" {
      copy.collectMultimodal = "maybe"
      claims.append("a gain of accuracy")
    }
    if fusion == "interaction" {
      copy.fusion = "either"
      claims.append("synergy above the threshold")
    }
    copy.reason = "The values suggest \(claims.joined(separator: " and ")), but \(why): \(claims.count > 1 ? "neither is" : "it is not") certain."
    return copy
  }
}
