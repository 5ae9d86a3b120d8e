import ArgumentParser
import Cluster
import PIDData
import PIDMath

/// Options of the bounds, shared by `bounds` and `pid`.
struct BoundArguments: ParsableArguments {
  @Option(name: .customLong("gap"), help: "Target certified gap of every I_min solve, in bits.")
  var targetGap: Double = 1e-9

  @Option(help: "Solve the sharp upper bound exactly up to this polytope dimension (n1-1)(n2-1)(k-1).")
  var sharpDimension: Int = 8

  @Option(help: "Decision: smallest accuracy gain worth collecting multimodal data for.")
  var minGain: Double = 0.01

  @Option(help: "Decision: synergy lower bound (bits) above which interaction fusion is advised.")
  var synergyHigh: Double = 0.1

  @Option(help: "Decision: synergy upper bound (bits) below which simple fusion suffices.")
  var synergyLow: Double = 0.05

  @Option(help: ArgumentHelp("Under mpirun: split the label slices of each solve over the ranks: auto (when it pays, see README), on, off. The numbers are identical either way.", valueName: "mode"))
  var labelSplit: LabelSplitMode = .auto

  func validate() throws {
    guard targetGap > 0, targetGap.isFinite else { throw ValidationError("--gap must be a positive number of bits") }
    guard sharpDimension >= 0 else { throw ValidationError("--sharp-dimension must be >= 0") }
    guard minGain >= 0, synergyHigh >= 0, synergyLow >= 0 else { throw ValidationError("thresholds must be >= 0") }
  }

  var options: BoundOptions { options(workers: SingleWorker()) }

  /// The options with `workers` sharing one analysis (label slices of the
  /// solves, search nodes of the sharp bound).
  func options(workers: any Workers) -> BoundOptions {
    var solver = SolverOptions(targetGap: targetGap, workers: workers)
    switch labelSplit {
    case .auto: break
    case .on: (solver.labelSplitMinimumLabels, solver.labelSplitMinimumWork) = (2, 0)
    case .off: (solver.labelSplitMinimumLabels, solver.labelSplitMinimumWork) = (.max, .infinity)
    }
    return BoundOptions(solver: solver, sharpDimensionLimit: sharpDimension)
  }

  var thresholds: DecisionThresholds {
    DecisionThresholds(minimumGain: minGain, highSynergy: synergyHigh, lowSynergy: synergyLow)
  }
}

/// `--label-split`.
enum LabelSplitMode: String, CaseIterable, ExpressibleByArgument {
  case auto, on, off
}

/// `pidbounds bounds --marginals FILE`: sections 2–6 of MATH.md from the
/// three pairwise tables.
struct BoundsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bounds",
    abstract: "PID terms, synergy bounds, accuracy bounds and decisions from three pairwise tables.",
    discussion: """
      Reads a JSON file {"p_x1y": [[...]], "p_x2y": [[...]], "p_x1x2": [[...]]} \
      (counts or probabilities, indexed [x1][y], [x2][y], [x1][x2]). The \
      shared single marginals must agree within --tolerance (total \
      variation) unless --reconcile is given, which pools them and rescales \
      each table, reporting how far each moved.
      """)

  @Option(help: ArgumentHelp("Pairwise tables file (JSON).", valueName: "file"))
  var marginals: String

  @Flag(help: "Pool disagreeing single marginals and rescale the tables instead of refusing them.")
  var reconcile = false

  @Option(help: "Largest total variation allowed between two estimates of one single marginal.")
  var tolerance: Double = 1e-6

  @OptionGroup var bounds: BoundArguments
  @OptionGroup var common: CommonOptions

  func validate() throws {
    guard tolerance >= 0 else { throw ValidationError("--tolerance must be >= 0") }
  }

  func run() throws {
    Job.run(quiet: common.quiet) { communicator in
      let bytes = try communicator.shareFile(marginals)
      let raw = try TableFiles.pairwiseTables(from: bytes, path: marginals)
      let tables: PairwiseMarginals
      var reconciliation: JSON? = nil
      do {
        try checkLabels(raw.x1y, raw.x2y)
        if reconcile {
          let fit = try Reconciliation(x1y: raw.x1y, x2y: raw.x2y, x1x2: raw.x1x2)
          tables = fit.marginals
          reconciliation = .object([
            ("tv_x1y", .number(fit.shifts.x1y)), ("tv_x2y", .number(fit.shifts.x2y)), ("tv_x1x2", .number(fit.shifts.x1x2)),
          ])
        } else {
          tables = try PairwiseMarginals(x1y: raw.x1y, x2y: raw.x2y, x1x2: raw.x1x2, tolerance: tolerance)
        }
      } catch let error as TableError {
        var message = "\(marginals): \(TableFiles.describe(error))"
        if case .inconsistentMarginals = error { message += " (give --reconcile to pool and rescale them)" }
        throw Failure(message, status: .dataError)
      }
      // Every rank shares the analysis (label slices, sharp-bound nodes).
      let start = now()
      let result = Analysis(tables, arguments: bounds, workers: RankWorkers(communicator))
      guard communicator.isRoot else { return }
      try result.checkCertified(target: bounds.targetGap)
      var report = Report.header(command: "bounds", ranks: communicator.size, n1: tables.n1, n2: tables.n2, k: tables.k)
      report += result.blocks
      if let reconciliation { report.append(("reconciliation", reconciliation)) }
      report.append(("timing", .object([("solve_seconds", .number(now() - start))])))
      try common.emit(.object(report), table: Report.boundsTable)
    }
  }
}

/// Labels with no mass in either table are empty classes: refused.
func checkLabels(_ x1y: Matrix, _ x2y: Matrix) throws {
  guard x1y.columns == x2y.columns else { return }  // shape errors are reported later
  let a = x1y.columnSums, b = x2y.columnSums
  for y in a.indices where a[y] == 0 && b[y] == 0 {
    throw Failure("label y=\(y) has no mass in p_x1y nor in p_x2y (an empty label class); remove it", status: .dataError)
  }
}

/// Everything computed from pairwise tables: PID, bounds, performance,
/// decision.
struct Analysis {
  var bounds: SynergyBounds
  var performance: PerformanceBounds
  var decision: Decision

  /// - Parameter workers: processes that share this one analysis (every
  ///   one of them must make the same call); the numbers do not depend on
  ///   them.
  init(_ tables: PairwiseMarginals, arguments: BoundArguments, workers: any Workers = SingleWorker()) {
    bounds = SynergyBounds(tables, options: arguments.options(workers: workers))
    let iMinLower = bounds.pid.solution.lowerBound
    performance = PerformanceBounds(
      x1y: tables.x1y, x2y: tables.x2y,
      information: (iMinLower + bounds.lowerClipped, iMinLower + bounds.upper))
    decision = Decision(performance: performance, synergyLower: bounds.lowerClipped,
                        synergyUpper: bounds.upper, thresholds: arguments.thresholds)
  }

  /// The PID terms must meet the target gap. The renamed-role solves
  /// enter the bounds through their certified lower ends, which are valid
  /// whatever their gap (reported as `renamed_gap_bits`).
  func checkCertified(target: Double) throws {
    if bounds.pid.gap > target {
      throw Failure("the solver reached a certified gap of \(bounds.pid.gap) bits, above the target \(target); the numbers would not be certified", status: .software)
    }
  }

  var blocks: [(String, JSON)] {
    [
      ("pid", Report.pid(bounds.pid, joint: nil)),
      ("bounds", Report.bounds(bounds)),
      ("performance", Report.performance(performance)),
      ("decision", Report.decision(decision)),
    ]
  }
}
