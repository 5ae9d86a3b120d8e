import PIDData

/// A pidbounds result (the JSON of `estimate`, `pid`, `bounds` or `study`)
/// as one self-contained HTML page: inline SVG figures with a text label
/// on every mark, the decision in words, the diagnostics, and a table of
/// every number of the result. No scripts, no network, no external fonts.
///
/// The page depends only on the JSON, so a result computed in a batch job
/// renders the same later on a laptop.
public struct HTMLReport {
  public var result: JSON

  /// - Throws: `ReportError` when `result` is not a pidbounds result (not
  ///   an object with a `command`).
  public init(result: JSON) throws(ReportError) {
    guard case .object = result, case .string? = result["command"] else {
      throw ReportError("not a pidbounds result: no \"command\" member at the top level")
    }
    self.result = result
  }

  /// The HTML document.
  public var html: String {
    var page = Page()
    let command = result["command"]?.stringValue ?? "result"
    page.heading(1, "pidbounds \(command) report")
    page.paragraph(summaryLine)
    if let decision = result["decision"] { page.decision(decision, plugIn: result["decision_plugin"]) }
    if let figure = termsFigure { page.figure(figure, caption: "The identifiable terms. Dot: plug-in value; whisker: bootstrap percentile interval; cross: bias-corrected value.") }
    if let figure = synergyFigure { page.figure(figure, caption: "Every bound on synergy on one axis. Filled dots are valid bounds (bold labels), open rings are shown for comparison only, the open diamond is the synergy of a feasible joint. The dark bar is the certified bracket, the light bar the bracket with sampling error.") }
    if let figure = accuracyFigure { page.figure(figure, caption: "Accuracy of the best multimodal model (dark bar: the bracket) against the best unimodal accuracies.") }
    if let figure = pairsFigure { page.figure(figure, caption: "One row per pair of modalities: the synergy bracket, with R, U1 and U2 in the right column.") }
    let histograms = distributionFigures
    if !histograms.isEmpty {
      page.heading(2, "Distributions")
      page.paragraph("Bootstrap replicates of each term (solid line: the estimate) and, with permutations, the values of the global test statistic under the null (solid line: the observed value).")
      page.figures(histograms)
    }
    page.diagnostics(result)
    page.heading(2, "Every number")
    page.paragraph("Each number of the JSON result, by its key path.")
    page.numberTable(result)
    return page.document(title: "pidbounds \(command) report")
  }

  private var summaryLine: String {
    var parts: [String] = []
    if let a = result["alphabet"] {
      parts.append("alphabets: x1 \(integerText(a["x1"])), x2 \(integerText(a["x2"])), y \(integerText(a["y"]))")
    }
    if let d = result["datasets"], case .object(let members) = d {
      parts.append("rows: " + members.map { "\($0.0.replacingPrefix("rows_", with: "")) \(integerText($0.1))" }.joined(separator: ", "))
    }
    if case .array(let modalities)? = result["modalities"] {
      parts.append("modalities: " + modalities.compactMap(\.stringValue).joined(separator: ", "))
    }
    parts.append("ranks: \(integerText(result["ranks"]))")
    parts.append("units: \(result["units"]?.stringValue ?? "bits")")
    parts.append("version \(result["version"]?.stringValue ?? "?")")
    return parts.joined(separator: " · ")
  }

  // MARK: - Figures

  private func statistic(_ path: String) -> JSON? { result["bootstrap"]?[path: path] }

  private var termsFigure: String? {
    guard let pid = result["pid"] else { return nil }
    let terms: [(String, String)] = [
      ("R", "redundancy R"), ("U1", "uniqueness U1"), ("U2", "uniqueness U2"),
      ("I_x1y", "I(X1;Y) = R + U1"), ("I_x2y", "I(X2;Y) = R + U2"),
    ]
    var rows: [IntervalChart.Row] = []
    for (key, label) in terms {
      guard let value = pid[key]?.doubleValue else { continue }
      var row = IntervalChart.Row(label: label, emphasis: ["R", "U1", "U2"].contains(key))
      row.markers.append(.init(value: value, shape: .dot, caption: short(value)))
      row.note = "plug-in \(short(value))"
      if let s = statistic("pid." + key), let lo = s["lo"]?.doubleValue, let hi = s["hi"]?.doubleValue {
        row.bar = (lo, hi, .whisker)
        row.note += "; \(confidenceText) [\(short(lo)), \(short(hi))]"
        if let c = result["corrected"]?[path: "pid." + key]?.doubleValue {
          row.markers.append(.init(value: c, shape: .cross, caption: ""))
          row.note += "; corrected \(short(c))"
        }
      }
      rows.append(row)
    }
    guard !rows.isEmpty else { return nil }
    return IntervalChart(title: "Partial information decomposition (bits)", axisLabel: "bits", rows: rows, include: [0]).svg
  }

  private var confidenceText: String {
    let c = result["bootstrap"]?["confidence"]?.doubleValue ?? 0.95
    return "\(fixedDecimals(100 * c, 0))%"
  }

  private var synergyFigure: String? {
    guard let b = result["bounds"] else { return nil }
    let lower: [(String, String, Bool)] = [
      ("S_R_simple", "R − I(X1;X2)", true), ("S_R_relaxed", "relaxed redundancy bound", true),
      ("S_R_sharp", "sharp redundancy bound", true), ("S_U_l2", "disagreement bound (L2)", true),
      ("S_U_bc", "disagreement bound (Bhattacharyya)", true), ("S_U_paper", "paper's disagreement variant", false),
    ]
    let innerIsBound = b["S_upper_inner_is_bound"] == .bool(true)
    let upper: [(String, String, Bool)] = [
      ("S_upper_paper", "paper's upper bound", true), ("S_upper_meet", "majorization meets", true),
      ("S_upper_cap", "min(H(X1,X2), H(Y)) − I_min", true), ("S_upper_sharp", "sharp upper bound", true),
      ("S_upper_inner", innerIsBound ? "inner value (bound)" : "inner value (not a bound)", innerIsBound),
    ]
    var rows: [IntervalChart.Row] = []
    for (key, label, valid) in lower {
      guard let value = b[key]?.doubleValue else { continue }
      rows.append(.init(label: "lower: " + label, emphasis: valid,
                        markers: [.init(value: value, shape: valid ? .dot : .ring, caption: short(value))],
                        note: "\(key) = \(short(value))" + (valid ? "" : " (not valid)")))
    }
    for (key, label, valid) in upper {
      guard let value = b[key]?.doubleValue else { continue }
      let shape: IntervalChart.Shape = key == "S_upper_inner" ? .diamond : (valid ? .dot : .ring)
      rows.append(.init(label: "upper: " + label, emphasis: valid,
                        markers: [.init(value: value, shape: shape, caption: short(value))],
                        note: "\(key) = \(short(value))" + (key == "S_upper_inner" && !innerIsBound ? " (not a bound)" : "")))
    }
    if let lo = b["S_lower_clipped"]?.doubleValue, let hi = b["S_upper"]?.doubleValue {
      rows.append(.init(label: "certified bracket", emphasis: true, bar: (lo, hi, .solid),
                        markers: [], note: "S in [\(short(lo)), \(short(hi))]"))
    }
    if let bracket = result["bootstrap"]?["S_bracket"], let lo = bracket["lo"]?.doubleValue, let hi = bracket["hi"]?.doubleValue {
      rows.append(.init(label: "bracket with sampling error", emphasis: true, bar: (lo, hi, .light),
                        markers: [], note: "[\(short(lo)), \(short(hi))] (\(confidenceText))"))
    }
    if let s = result["validation"]?["S"]?.doubleValue {
      var row = IntervalChart.Row(label: "synergy in DL (validation)", markers: [.init(value: s, shape: .dot, caption: short(s))],
                                  note: "plug-in \(short(s))")
      if let st = statistic("validation.S"), let lo = st["lo"]?.doubleValue, let hi = st["hi"]?.doubleValue {
        row.bar = (lo, hi, .whisker)
        row.note += "; \(confidenceText) [\(short(lo)), \(short(hi))]"
      }
      rows.append(row)
    }
    guard !rows.isEmpty else { return nil }
    return IntervalChart(title: "Synergy S: lower and upper bounds (bits)", axisLabel: "bits", rows: rows, include: [0]).svg
  }

  private var accuracyFigure: String? {
    guard let p = result["performance"] else { return nil }
    var rows: [IntervalChart.Row] = []
    for (key, label) in [("acc_unimodal_1", "best model on X1 alone"), ("acc_unimodal_2", "best model on X2 alone")] {
      guard let value = p[key]?.doubleValue else { continue }
      rows.append(.init(label: label, markers: [.init(value: value, shape: .dot, caption: short(value))], note: "\(key) = \(short(value))"))
    }
    if let lo = p["acc_lower"]?.doubleValue, let hi = p["acc_upper"]?.doubleValue {
      rows.append(.init(label: "best multimodal model", emphasis: true, bar: (lo, hi, .solid), markers: [],
                        note: "accuracy in [\(short(lo)), \(short(hi))]"))
    }
    if let value = p["acc_estimate"]?.doubleValue {
      rows.append(.init(label: "estimate (not a bound)", markers: [.init(value: value, shape: .diamond, caption: short(value))],
                        note: "acc_estimate = \(short(value))"))
    }
    guard !rows.isEmpty else { return nil }
    var chart = IntervalChart(title: "Accuracy (fraction correct)", axisLabel: "accuracy", rows: rows, include: [1])
    if let paper = p["acc_upper_paper"]?.doubleValue, paper > 1 {
      chart.rows.append(.init(label: "paper's upper bound", markers: [], note: "acc_upper_paper = \(short(paper)) (above 1: no constraint)"))
    }
    return chart.svg
  }

  private var pairsFigure: String? {
    guard case .array(let summary)? = result["summary"], !summary.isEmpty else { return nil }
    var rows: [IntervalChart.Row] = []
    for pair in summary {
      guard let lo = pair["S_lower"]?.doubleValue, let hi = pair["S_upper"]?.doubleValue else { continue }
      let name = "\(pair["x1"]?.stringValue ?? "?") × \(pair["x2"]?.stringValue ?? "?")"
      let terms = ["R", "U1", "U2"].map { "\($0) \(short(pair[$0]?.doubleValue ?? .nan))" }.joined(separator: ", ")
      rows.append(.init(label: name, emphasis: true, bar: (lo, hi, .solid),
                        markers: [.init(value: lo, shape: .dot, caption: short(lo)), .init(value: hi, shape: .dot, caption: short(hi))],
                        note: "\(terms); collect: \(pair["collect_multimodal"]?.stringValue ?? "?")"))
    }
    guard !rows.isEmpty else { return nil }
    return IntervalChart(title: "Synergy bracket per pair of modalities (bits)", axisLabel: "bits", rows: rows, include: [0]).svg
  }

  private var distributionFigures: [String] {
    var figures: [String] = []
    let names: [(String, String)] = [
      ("pid.R", "R"), ("pid.U1", "U1"), ("pid.U2", "U2"), ("bounds.S_lower_clipped", "synergy lower bound"),
      ("bounds.S_upper", "synergy upper bound"), ("validation.S", "synergy in DL"),
    ]
    if let distributions = result["bootstrap"]?["distributions"] {
      for (path, name) in names {
        guard let h = distributions[path: path], let histogram = Self.histogram(h) else { continue }
        let estimate = statistic(path)?["estimate"]?.doubleValue ?? .nan
        figures.append(HistogramChart(title: "Bootstrap: \(name)", lower: histogram.lower, upper: histogram.upper,
                                      counts: histogram.counts, marks: [(estimate, "estimate \(short(estimate))")]).svg)
      }
    }
    if let global = result["significance"]?["global"], let h = global["null_distribution"], let histogram = Self.histogram(h),
      let observed = global["observed"]?.doubleValue
    {
      let p = global["p_value"]?.doubleValue ?? .nan
      figures.append(HistogramChart(title: "Permutations: global statistic, p = \(short(p))", lower: histogram.lower, upper: histogram.upper,
                                    counts: histogram.counts, marks: [(observed, "observed \(short(observed))")]).svg)
    }
    return figures
  }

  private static func histogram(_ h: JSON) -> (lower: Double, upper: Double, counts: [Int])? {
    guard let lo = h["lo"]?.doubleValue, let hi = h["hi"]?.doubleValue, case .array(let counts)? = h["counts"] else { return nil }
    return (lo, hi, counts.map { Int($0.doubleValue ?? 0) })
  }
}

/// A result that cannot be rendered.
public struct ReportError: Error, CustomStringConvertible, Sendable {
  public var description: String
  public init(_ description: String) { self.description = description }
}

func integerText(_ value: JSON?) -> String {
  guard let x = value?.doubleValue else { return "?" }
  return x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : short(x)
}

extension String {
  func replacingPrefix(_ prefix: String, with replacement: String) -> String {
    hasPrefix(prefix) ? replacement + dropFirst(prefix.count) : self
  }
}

extension JSON {
  /// The string of a `.string` value, else nil.
  var stringValue: String? {
    if case .string(let s) = self { return s }
    return nil
  }

  /// The member at a dotted path (`"pid.R"`), or nil.
  subscript(path path: String) -> JSON? {
    var value: JSON? = self
    for key in path.split(separator: ".") { value = value?[String(key)] }
    return value
  }
}
