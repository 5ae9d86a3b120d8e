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
      synergy S in bits, with the certified optimization gap of I_min.
      """)

  @Option(help: ArgumentHelp("Joint table file, JSON {\"p\": [[[...]]]} indexed [x1][x2][y].", valueName: "file"))
  var joint: String

  @Option(name: .customLong("gap"), help: "Target certified gap of I_min, in bits.")
  var targetGap: Double = 1e-9

  @OptionGroup var common: CommonOptions

  func validate() throws {
    guard targetGap > 0, targetGap.isFinite else {
      throw ValidationError("--gap must be a positive number of bits")
    }
  }

  func run() throws {
    Job.run(quiet: common.quiet) { communicator in
      let bytes = try communicator.shareFile(joint)
      let table = try TableFiles.joint(from: bytes, path: joint)
      guard communicator.isRoot else { return }
      let start = now()
      let pid = PartialInformationDecomposition(joint: table, options: SolverOptions(targetGap: targetGap))
      let seconds = now() - start
      if pid.gap > targetGap {
        throw Failure(
          "the solver reached a certified gap of \(pid.gap) bits, above the target \(targetGap); the numbers would not be certified",
          status: .software)
      }
      let report = Report.header(command: "pid", ranks: communicator.size, n1: table.n1, n2: table.n2, k: table.k)
        + [
          ("pid", Report.pid(pid, joint: table)),
          ("certificate", Report.certificate(pid.solution)),
          ("timing", .object([("solve_seconds", .number(seconds))])),
        ]
      try common.emit(.object(report), table: Report.pidTable)
    }
  }
}
