import PIDData

/// The HTML page under construction: sections appended in reading order,
/// every text escaped.
struct Page {
  private var body = ""

  mutating func heading(_ level: Int, _ text: String) {
    body += "<h\(level)>\(escapeHTML(text))</h\(level)>\n"
  }

  mutating func paragraph(_ text: String, className: String? = nil) {
    body += (className.map { "<p class=\"\($0)\">" } ?? "<p>") + escapeHTML(text) + "</p>\n"
  }

  mutating func figure(_ svg: String, caption: String) {
    body += "<figure>\n\(svg)<figcaption>\(escapeHTML(caption))</figcaption>\n</figure>\n"
  }

  mutating func figures(_ svgs: [String]) {
    body += "<div class=\"grid\">\n" + svgs.map { "<figure>\n\($0)</figure>\n" }.joined() + "</div>\n"
  }

  /// The decision in words, with the plug-in decision when it differs.
  mutating func decision(_ decision: JSON, plugIn: JSON?) {
    heading(2, "Decision")
    body += "<div class=\"decision\">\n"
    body += "<p><b>Collect labeled multimodal data:</b> \(escapeHTML(decision["collect_multimodal"]?.stringValue ?? "?"))"
    body += " &nbsp; <b>Fusion:</b> \(escapeHTML(decision["fusion"]?.stringValue ?? "?"))</p>\n"
    if let reason = decision["reason"]?.stringValue { body += "<p>\(escapeHTML(reason))</p>\n" }
    if let basis = decision["basis"]?.stringValue { body += "<p class=\"small\">Basis: \(escapeHTML(basis))</p>\n" }
    if let plugIn, let reason = plugIn["reason"]?.stringValue {
      body += "<p class=\"small\">From the plug-in values alone: \(escapeHTML(plugIn["collect_multimodal"]?.stringValue ?? "?")), \(escapeHTML(plugIn["fusion"]?.stringValue ?? "?")). \(escapeHTML(reason))</p>\n"
    }
    body += "</div>\n"
  }

  /// The fit, data-size, significance and resampling diagnostics that the
  /// result holds.
  mutating func diagnostics(_ result: JSON) {
    var items: [String] = []
    if let global = result["significance"]?["global"], let p = global["p_value"]?.doubleValue {
      let rejected = global["rejected"] == .bool(true)
      items.append("Global test (\(global["null"]?.stringValue ?? "label independent of the modalities")): p = \(short(p)); "
        + (rejected ? "the label depends on the modalities." : "no evidence that the label depends on the modalities."))
    }
    if let fit = result["fit"] {
      var text = "Fit: " + (fit["assessment"]?.stringValue ?? fit["method"]?.stringValue ?? "fitted joint")
      if let g2 = fit["G2"]?.doubleValue { text += "; G² = \(short(g2))" }
      if let df = fit["degrees_of_freedom"]?.doubleValue { text += " on \(integerText(.number(df))) degrees of freedom" }
      if let gap = fit["certificate_gap"]?.doubleValue { text += "; certificate gap \(short(gap))" }
      let tvs = ["tv_x1y", "tv_x2y", "tv_x1x2"].compactMap { key in fit[key]?.doubleValue.map { "\(key.replacingPrefix("tv_", with: "")) \(short($0))" } }
      if !tvs.isEmpty { text += "; total variation of each table to its fit: " + tvs.joined(separator: ", ") }
      items.append(text)
    }
    if let size = result["data_size"] {
      let adequate = size["adequate"] == .bool(true)
      var text = "Data size: " + (adequate ? "every table has enough rows per occupied cell." : "some tables have few rows per occupied cell.")
      if case .object(let cells)? = size["rows_per_occupied_cell"] {
        text += " Rows per occupied cell: " + cells.map { "\($0.0) \(short($0.1.doubleValue ?? .nan))" }.joined(separator: ", ") + "."
      }
      items.append(text)
      if case .array(let advice)? = size["advice"] { items += advice.compactMap(\.stringValue).map { "Advice: " + $0 } }
    }
    if let bootstrap = result["bootstrap"] {
      items.append("Bootstrap: \(integerText(bootstrap["replicates"])) replicates, \(integerText(bootstrap["unusable_replicates"])) unusable, \(bootstrap["interval"]?.stringValue ?? "percentile") intervals at \(fixedDecimals(100 * (bootstrap["confidence"]?.doubleValue ?? .nan), 0))%; largest optimization gap of a kept replicate \(short(bootstrap["largest_gap_bits"]?.doubleValue ?? .nan)) bits.")
    }
    if let permutation = result["permutation"] {
      items.append("Permutations: \(integerText(permutation["permutations"])), \(integerText(permutation["unusable_permutations"])) unusable.")
    }
    if case .array(let notes)? = result["notes"] { items += notes.compactMap(\.stringValue).map { "Note: " + $0 } }
    guard !items.isEmpty else { return }
    heading(2, "Diagnostics")
    body += "<ul>\n" + items.map { "<li>\(escapeHTML($0))</li>\n" }.joined() + "</ul>\n"
  }

  /// Every scalar of `result` in a table, keyed by its dotted path;
  /// numbers exactly as in the JSON.
  mutating func numberTable(_ result: JSON) {
    body += "<table class=\"numbers\">\n<thead><tr><th>key</th><th>value</th></tr></thead>\n<tbody>\n"
    func visit(_ value: JSON, _ path: String) {
      switch value {
      case .object(let members):
        for (key, child) in members { visit(child, path.isEmpty ? key : path + "." + key) }
      case .array(let elements):
        if elements.allSatisfy(\.isScalar) && elements.count > 4 {
          let text = elements.map(Self.scalarText).joined(separator: ", ")
          body += "<tr><td>\(escapeHTML(path))</td><td class=\"value\" data-key=\"\(escapeHTML(path))\">[\(escapeHTML(text))]</td></tr>\n"
        } else {
          for (i, child) in elements.enumerated() { visit(child, path + "." + String(i)) }
        }
      default:
        body += "<tr><td>\(escapeHTML(path))</td><td class=\"value\" data-key=\"\(escapeHTML(path))\">\(escapeHTML(Self.scalarText(value)))</td></tr>\n"
      }
    }
    visit(result, "")
    body += "</tbody>\n</table>\n"
  }

  static func scalarText(_ value: JSON) -> String {
    switch value {
    case .null: return "null"
    case .bool(let b): return b ? "true" : "false"
    case .integer(let n): return String(n)
    case .number(let x): return JSON.format(x)
    case .string(let s): return s
    case .array, .object: return ""
    }
  }

  func document(title: String) -> String {
    """
    <!DOCTYPE html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <title>\(escapeHTML(title))</title>
    <style>
    body { font-family: sans-serif; color: #111; background: #fff; margin: 24px; max-width: 1040px; }
    h1 { font-size: 22px; } h2 { font-size: 18px; margin-top: 28px; border-bottom: 1px solid #999; }
    figure { margin: 16px 0; } figcaption { font-size: 13px; color: #333; max-width: 980px; }
    .grid { display: flex; flex-wrap: wrap; gap: 8px; } .grid figure { margin: 4px; }
    .decision { border: 2px solid #222; padding: 4px 14px; background: #f2f2f2; }
    .small { font-size: 13px; color: #333; }
    table.numbers { border-collapse: collapse; font-size: 12px; }
    table.numbers td, table.numbers th { border: 1px solid #bbb; padding: 2px 6px; text-align: left; vertical-align: top; }
    table.numbers td.value { font-family: monospace; }
    </style>
    </head>
    <body>
    \(body)</body>
    </html>

    """
  }
}
