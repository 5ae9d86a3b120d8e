import ArgumentParser
import PIDData
import PIDReport

/// `pidbounds report RESULT.json`: the HTML report of a saved result, for
/// results computed in batch jobs and looked at later.
struct ReportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "report",
    abstract: "Render a saved JSON result as a self-contained HTML report.",
    discussion: """
      The page has inline SVG figures (the PID terms with their intervals, \
      every synergy bound on one axis, the accuracy bracket, the bootstrap \
      and permutation distributions), the decision in words, the \
      diagnostics and a table of every number of the result. It loads \
      nothing from the network.
      """)

  @Argument(help: ArgumentHelp("A result written by pidbounds with --format json.", valueName: "result.json"))
  var result: String

  @Option(name: [.short, .long], help: ArgumentHelp("Write the HTML here (atomically) instead of stdout.", valueName: "file.html"))
  var output: String?

  func run() throws {
    Job.run(quiet: true) { communicator in
      guard communicator.isRoot else { return }
      let bytes = try readFile(result)
      let json: JSON
      do {
        json = try JSON.parse(bytes)
      } catch let error as JSONSyntaxError {
        throw Failure("\(result):\(error.line): \(error.message)", status: .dataError)
      }
      let html: String
      do {
        html = try HTMLReport(result: json).html
      } catch let error as ReportError {
        throw Failure("\(result): \(error.description)", status: .dataError)
      }
      if let output {
        try writeFileAtomically(output, Array(html.utf8))
      } else {
        print(html, terminator: "")
      }
    }
  }
}
