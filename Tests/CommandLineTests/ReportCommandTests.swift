import Foundation
import PIDData
import Testing

/// The HTML report as users get it: written by `estimate --report` and by
/// `pidbounds report`, then rendered by a real browser.
@Suite("pidbounds report")
struct ReportCommandTests {
  static let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }

  /// Runs a program with files for its output streams.
  static func run(_ program: String, _ arguments: [String]) throws -> Run {
    let directory = try scratch(["out": "", "err": ""])
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: program)
    process.arguments = arguments
    process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: directory + "/out"))
    process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: directory + "/err"))
    try process.run()
    process.waitUntilExit()
    return Run(status: process.terminationStatus,
               stdout: try String(contentsOfFile: directory + "/out", encoding: .utf8),
               stderr: try String(contentsOfFile: directory + "/err", encoding: .utf8))
  }

  /// The text of every `<text>` element of the page's SVG figures.
  static func svgTexts(_ html: String) -> [String] {
    html.components(separatedBy: "<text").dropFirst().compactMap { piece in
      guard let open = piece.firstIndex(of: ">"), let close = piece.range(of: "</text>") else { return nil }
      return String(piece[piece.index(after: open)..<close.lowerBound])
    }
  }

  /// The result of `estimate --example synergy --bootstrap 40
  /// --permutations 39` (a release build takes a few seconds, a debug
  /// build minutes).
  static let exampleResult = Run.packageRoot + "/Tests/Fixtures/report/estimate.json"

  @Test("--report and pidbounds report write the same page; bad input gets 65 or 66 and no file")
  func commands() throws {
    let directory = try scratch([:])
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let estimate = try Run.pidbounds([
      "pid", "--joint", Run.packageRoot + "/examples/and.json", "--format", "json",
      "--output", directory + "/result.json", "--report", directory + "/direct.html",
    ])
    #expect(estimate.status == 0, "\(estimate.stderr)")
    let later = try Run.pidbounds(["report", directory + "/result.json", "-o", directory + "/later.html"])
    #expect(later.status == 0, "\(later.stderr)")
    let direct = try String(contentsOfFile: directory + "/direct.html", encoding: .utf8)
    #expect(direct == (try String(contentsOfFile: directory + "/later.html", encoding: .utf8)))
    #expect(direct.hasPrefix("<!DOCTYPE html>") && direct.contains("</html>"))

    let missing = try Run.pidbounds(["report", directory + "/nothing.json", "-o", directory + "/a.html"])
    #expect(missing.status == 66 && missing.stderr.contains("nothing.json"))
    try "{\"pid\": [1, 2,\n oops]".write(toFile: directory + "/bad.json", atomically: true, encoding: .utf8)
    let bad = try Run.pidbounds(["report", directory + "/bad.json", "-o", directory + "/b.html"])
    #expect(bad.status == 65 && bad.stderr.contains("bad.json:2"), "\(bad.stderr)")
    try "{\"pid\": {\"R\": 1}}".write(toFile: directory + "/other.json", atomically: true, encoding: .utf8)
    let other = try Run.pidbounds(["report", directory + "/other.json", "-o", directory + "/c.html"])
    #expect(other.status == 65 && other.stderr.contains("not a pidbounds result"), "\(other.stderr)")
    for name in ["a.html", "b.html", "c.html"] {
      #expect(!FileManager.default.fileExists(atPath: directory + "/" + name), "\(name) was written")
    }
  }

  @Test("Chromium renders the report of the bundled example: not blank, no console errors, the figures show the JSON's numbers",
        .enabled(if: ReportCommandTests.chromium != nil, "Chromium is not installed (apt-get install chromium)"))
  func browser() throws {
    let directory = try scratch([:])
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let render = try Run.pidbounds(["report", Self.exampleResult, "-o", directory + "/report.html"])
    #expect(render.status == 0, "\(render.stderr)")
    let result = try JSON.parse(Array(try Data(contentsOf: URL(fileURLWithPath: Self.exampleResult))))
    let browser = ReportCommandTests.chromium!
    let common = ["--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0",
                  "--user-data-dir=" + directory + "/profile"]
    let page = "file://" + directory + "/report.html"
    let dom = try Self.run(browser, common + ["--dump-dom", page])
    #expect(dom.status == 0, "\(dom.stderr.suffix(500))")
    let consoleLines = dom.stderr.split(separator: "\n").filter { $0.contains(":CONSOLE") }
    #expect(consoleLines.isEmpty, "console messages: \(consoleLines)")
    // The browser's DOM: its figures carry the numbers of the JSON.
    let texts = Self.svgTexts(dom.stdout)
    #expect(texts.count > 50, "only \(texts.count) text elements in the rendered figures")
    func label(_ x: Double) -> String { abs(x) < 1e-3 && x != 0 ? String(format: "%.2e", x) : String(format: "%.4f", x) }
    var expected: [(String, Double)] = []
    for key in ["R", "U1", "U2"] { expected.append(("pid." + key, result["pid"]![key]!.doubleValue!)) }
    for key in ["S_R_sharp", "S_U_bc", "S_upper_meet", "S_upper_cap"] { expected.append(("bounds." + key, result["bounds"]![key]!.doubleValue!)) }
    for key in ["acc_unimodal_1", "acc_unimodal_2"] { expected.append(("performance." + key, result["performance"]![key]!.doubleValue!)) }
    for (key, value) in expected {
      #expect(texts.contains { $0.contains(label(value)) }, "\(key) = \(value) is not in the rendered figures")
    }
    // The screenshot is not blank: a good share of dark pixels, many shades.
    let shot = directory + "/report.png"
    let screenshot = try Self.run(browser, common + ["--hide-scrollbars", "--window-size=1100,2400", "--screenshot=" + shot, page])
    #expect(screenshot.status == 0, "\(screenshot.stderr.suffix(500))")
    let stats = try Self.run("/usr/bin/env", ["python3", Run.packageRoot + "/scripts/png-stats.py", shot])
    let fields = stats.stdout.split(whereSeparator: \.isWhitespace)
    #expect(stats.status == 0 && fields.count == 4, "\(stats.stdout) \(stats.stderr)")
    if fields.count == 4 {
      #expect(fields[0] == "1100" && fields[1] == "2400")
      #expect((Double(fields[2]) ?? 0) > 0.05, "only \(fields[2]) of the pixels are not white")
      #expect((Int(fields[3]) ?? 0) > 20, "only \(fields[3]) colours")
    }
  }
}
