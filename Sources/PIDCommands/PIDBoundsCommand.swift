import ArgumentParser

/// The `pidbounds` command line.
public struct PIDBoundsCommand: ParsableCommand {
  public static let configuration = CommandConfiguration(
    commandName: "pidbounds",
    abstract: "How modalities interact, before you pay for labeled multimodal data.",
    discussion: """
      Computes the identifiable partial information decomposition terms \
      (redundancy, uniqueness), certified bounds on synergy and on the \
      accuracy of the best multimodal model, from labeled unimodal data and \
      unlabeled pairs. Runs plainly or under mpirun. All quantities in bits.
      """,
    version: Report.version,
    subcommands: [EstimateCommand.self, PIDCommand.self, BoundsCommand.self, StudyCommand.self, ReportCommand.self])

  public init() {}
}
