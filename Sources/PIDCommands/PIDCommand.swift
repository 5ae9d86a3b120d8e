import ArgumentParser
import Cluster
import PIDData
import PIDMath

/// `pidbounds pid --joint FILE`: the PID of a full joint table.
struct PIDCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "pid",
    abstract: "Partial information decomposition of a full joint table p(x1, x2, y).",
    discussion: """
      Reads a JSON file {"p": [[[...]]]} indexed [x1][x2][y] (counts or \
      probabilities) and prints redundancy R, uniqueness U1 and U2 and \
      synergy S in bits, with the certified optimization gap of I_min, and \
      next to the true S every bound that the pairwise marginals alone give.
      """)

  @Option(help: ArgumentHelp("Joint table file, JSON {\"p\": [[[...]]]} indexed [x1][x2][y].", valueName: "file"))
  var joint: String

  @Flag(help: "Skip the bounds from the pairwise marginals (PID terms only).")
  var noBounds = false

  @OptionGroup var bounds: BoundArguments
  @OptionGroup var common: CommonOptions

  var targetGap: Double { bounds.targetGap }

  func run() throws {
    Job.run(quiet: common.quiet) { communicator in
      let bytes = try communicator.shareFile(joint)
      let table = try TableFiles.joint(from: bytes, path: joint)
      // Every rank shares the solves (label slices, sharp-bound nodes).
      let workers = RankWorkers(communicator)
      let start = now()
      let pid = PartialInformationDecomposition(joint: table, options: bounds.options(workers: workers).solver)
      // The bounds a user would get from the pairwise marginals alone,
      // next to the true S.
      let analysis = noBounds ? nil : Analysis(witness: table, arguments: bounds, workers: workers)
      let seconds = now() - start
      guard communicator.isRoot else { return }
      if pid.gap > targetGap {
        throw Failure(
          "the solver reached a certified gap of \(pid.gap) bits, above the target \(targetGap); the numbers would not be certified",
          status: .software)
      }
      try analysis?.checkRanges()
      let report = Report.header(command: "pid", ranks: communicator.size, n1: table.n1, n2: table.n2, k: table.k)
        + [
          ("pid", Report.pid(pid, joint: table)),
          ("certificate", Report.certificate(pid.solution)),
        ] + (analysis?.blocks.dropFirst().map { $0 } ?? [])
        + [("timing", .object([("solve_seconds", .number(seconds))]))]
      try common.emit(.object(report), table: Report.pidTable)
    }
  }
}
