import Foundation
import PIDData
import Testing

@testable import PIDReport

/// The report of results written by the tool (`Tests/Fixtures/report`).
struct HTMLReportTests {
  static func fixture(_ name: String) throws -> JSON {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .appendingPathComponent("../Fixtures/report/\(name)").standardized
    return try JSON.parse(Array(try Data(contentsOf: url)))
  }

  /// Every scalar of a JSON value by dotted path (arrays index by position).
  static func leaves(_ value: JSON, _ path: String = "") -> [(String, JSON)] {
    switch value {
    case .object(let members): return members.flatMap { leaves($0.1, path.isEmpty ? $0.0 : path + "." + $0.0) }
    case .array(let elements): return elements.enumerated().flatMap { leaves($0.1, path + "." + String($0.0)) }
    default: return [(path, value)]
    }
  }

  /// The cells `data-key="k">text<` of the page's table of numbers.
  static func tableCells(_ html: String) -> [String: String] {
    var cells: [String: String] = [:]
    var rest = html[...]
    while let start = rest.range(of: "data-key=\"") {
      rest = rest[start.upperBound...]
      guard let close = rest.range(of: "\">"), let end = rest.range(of: "</td>") else { break }
      cells[unescape(String(rest[..<close.lowerBound]))] = unescape(String(rest[close.upperBound..<end.lowerBound]))
      rest = rest[end.upperBound...]
    }
    return cells
  }

  static func unescape(_ s: String) -> String {
    s.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
      .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
      .replacingOccurrences(of: "&amp;", with: "&")
  }

  /// The JSON text of a scalar, as the tool writes it.
  static func text(_ value: JSON) -> String {
    if case .string(let s) = value { return s }
    return String(value.rendered().dropLast())
  }

  @Test("Every number of an estimate result is in the page, exactly as in the JSON", arguments: ["estimate.json", "modalities.json", "bounds.json"])
  func everyNumber(name: String) throws {
    let result = try Self.fixture(name)
    let html = try HTMLReport(result: result).html
    let cells = Self.tableCells(html)
    var missing: [String] = []
    for (path, value) in Self.leaves(result) {
      if let cell = cells[path] {
        if cell != Self.text(value) { missing.append("\(path): \(cell) != \(Self.text(value))") }
        continue
      }
      // Long lists of scalars share one cell: `[a, b, ...]`.
      let parent = String(path[..<path.lastIndex(of: ".")!])
      let index = Int(path[path.index(after: path.lastIndex(of: ".")!)...])!
      guard let list = cells[parent], list.hasPrefix("[") else { missing.append(path); continue }
      let items = list.dropFirst().dropLast().components(separatedBy: ", ")
      if index >= items.count || items[index] != Self.text(value) { missing.append(path) }
    }
    #expect(missing.isEmpty, "not in the page: \(missing.prefix(5))")
    #expect(!html.contains("<script"), "the page runs no scripts")
    #expect(!html.contains("http://") || html.components(separatedBy: "http://").count - 1 == html.components(separatedBy: "xmlns=\"http://www.w3.org/2000/svg\"").count - 1,
            "no link other than the SVG namespace")
  }

  @Test("The synergy figure labels every bound with its value; the bracket and the decision are in the page")
  func synergyLabels() throws {
    let result = try Self.fixture("estimate.json")
    let html = try HTMLReport(result: result).html
    let svgText = html.components(separatedBy: "<svg").dropFirst().map { $0.components(separatedBy: "</svg>")[0] }.joined()
    let bounds = result["bounds"]!
    for key in ["S_R_simple", "S_R_relaxed", "S_R_sharp", "S_U_paper", "S_U_l2", "S_U_bc", "S_upper_paper", "S_upper_meet", "S_upper_cap", "S_lower_clipped", "S_upper"] {
      let x = bounds[key]!.doubleValue!
      #expect(svgText.contains(String(format: "%.4f", x)), "\(key) = \(x) is not written in the figures")
    }
    for key in ["R", "U1", "U2"] {
      let x = result["pid"]![key]!.doubleValue!
      let label = abs(x) < 1e-3 ? String(format: "%.2e", x) : String(format: "%.4f", x)
      #expect(svgText.contains(label), "pid.\(key) = \(x) (\(label)) is not written in the figures")
    }
    let reason = result["decision"]!["reason"]!
    guard case .string(let words) = reason else { Issue.record("no decision reason"); return }
    #expect(html.contains(words.replacingOccurrences(of: "&", with: "&amp;")))
    #expect(html.contains("Bootstrap: R"), "a histogram of the bootstrap replicates of R")
    #expect(html.contains("Permutations: global statistic"), "a histogram of the permutation null")
  }

  @Test("Text from the result is escaped; a JSON that is not a result is refused")
  func escaping() throws {
    let result = JSON.object([("command", .string("pid")), ("notes", .array([.string("<script>alert(1)</script> & \"x\"")]))])
    let html = try HTMLReport(result: result).html
    #expect(!html.contains("<script>"))
    #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot;"))
    #expect(throws: ReportError.self) { try HTMLReport(result: .array([.integer(1)])) }
    #expect(throws: ReportError.self) { try HTMLReport(result: .object([("pid", .null)])) }
  }

  @Test("Numbers for reading: four decimals, scientific below 0.001, a dash when not finite")
  func shortNumbers() {
    #expect(short(0.0036125) == "0.0036")
    #expect(short(0.99547683) == "0.9955")
    #expect(short(-0.0844834) == "-0.0845")
    #expect(short(0.00019419) == "1.94e-04")
    #expect(short(6.07e-15) == "6.07e-15")
    #expect(short(0) == "0")
    #expect(short(.nan) == "–")
    #expect(short(12.5) == "12.5000")
  }

  @Test("Axis ticks are round and inside the domain")
  func ticks() {
    let scale = LinearScale(covering: [-0.084, 0.9955], including: [0], start: 0, end: 100)
    #expect(scale.ticks == [0, 0.2, 0.4, 0.6, 0.8, 1])
    #expect(scale.ticks.map(tickText) == ["0", "0.2", "0.4", "0.6", "0.8", "1"])
    #expect(scale.ticks.allSatisfy { $0 >= scale.lower && $0 <= scale.upper })
  }
}
