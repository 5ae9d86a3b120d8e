import ArgumentParser
import Cluster
import LinearProgramming
import PIDData
import PIDMath

/// Options of the bounds, shared by `bounds` and `pid`.
struct BoundArguments: ParsableArguments {
  @Option(name: .customLong("gap"), help: "Target certified gap of every I_min solve, in bits.")
  var targetGap: Double = 1e-9

  @Option(help: "Without the LP engine: solve the sharp upper bound by vertex enumeration up to this polytope dimension (n1-1)(n2-1)(k-1).")
  var sharpDimension: Int = 8

  @Option(help: ArgumentHelp("Node LPs of the sharp upper bound's branch and bound (0 = off). With a node budget the numbers are the same on any number of ranks.", valueName: "n"))
  var sharpNodes: Int = BoundOptions.defaultSharpNodes

  @Option(help: ArgumentHelp("Also stop the sharp bound's branch and bound after this many seconds; it stays a certified bound, but then depends on the machine and the rank count (the report says time budget). Under mpirun the ranks then share the search's nodes without waiting for each other, so its numbers depend on timing even when it closes or meets the node budget first.", valueName: "s"))
  var sharpSeconds: Double?

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
    guard sharpNodes >= 0 else { throw ValidationError("--sharp-nodes must be >= 0") }
    if let sharpSeconds { guard sharpSeconds > 0, sharpSeconds.isFinite else { throw ValidationError("--sharp-seconds must be a positive number") } }
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
    var options = BoundOptions(solver: solver, sharpDimensionLimit: sharpDimension)
    options.sharpBudget = SharpSearchBudget(nodes: sharpNodes, seconds: sharpSeconds)
    options.linearPrograms = {
      SharpBoundEngine.loaded.map { $0 as any LinearProgramSolver }.mapError { LinearProgramEngineUnavailable($0.description) }
    }
    return options
  }

  var thresholds: DecisionThresholds {
    DecisionThresholds(minimumGain: minGain, highSynergy: synergyHigh, lowSynergy: synergyLow)
  }
}

/// The LP engine of the sharp bound's branch and bound, loaded once per
/// process; when it cannot be loaded, rank 0 says so once on stderr and the
/// reports carry the reason in `bounds.notes`.
enum SharpBoundEngine {
  static let loaded: Result<ClpSolver, LinearProgrammingError> = {
    do throws(LinearProgrammingError) {
      return .success(try ClpSolver())
    } catch {
      if (Communicator.launcherRank ?? 0) == 0 {
        writeStandardError("pidbounds: warning: \(error); the sharp upper bound falls back to vertex enumeration (see bounds.notes)\n")
      }
      return .failure(error)
    }
  }()
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
      bounds are computed from the maximum-likelihood joint of the three \
      tables (counts weigh as rows; probabilities give each table the same \
      weight), so they hold even when no joint has exactly these tables; \
      the fit block says how far each table moved. The shared single \
      marginals must agree within --tolerance (total variation) unless \
      --reconcile is given.
      """)

  @Option(help: ArgumentHelp("Pairwise tables file (JSON).", valueName: "file"))
  var marginals: String

  @Flag(help: "Accept tables whose shared single marginals disagree (the fit reconciles them) instead of refusing them.")
  var reconcile = false

  @Option(help: "Largest total variation allowed between two estimates of one single marginal (without --reconcile).")
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
      let fit: MaximumLikelihoodJoint
      do {
        if !reconcile {
          _ = try PairwiseMarginals(x1y: raw.x1y, x2y: raw.x2y, x1x2: raw.x1x2, tolerance: tolerance)
        }
        let weights: FitWeights = [raw.x1y, raw.x2y, raw.x1x2].allSatisfy(holdsCounts) ? .counts : .equalPerTable
        fit = try MaximumLikelihoodJoint(x1y: raw.x1y, x2y: raw.x2y, x1x2: raw.x1x2, weights: weights)
      } catch let error as TableError {
        var message = "\(marginals): \(TableFiles.describe(error))"
        if case .inconsistentMarginals = error { message += " (give --reconcile to fit them anyway)" }
        throw Failure(message, status: .dataError)
      }
      // Every rank shares the analysis (label slices, sharp-bound nodes).
      let start = now()
      let result = Analysis(witness: fit.witness, arguments: bounds, workers: RankWorkers(communicator))
      guard communicator.isRoot else { return }
      try result.checkCertified(target: bounds.targetGap)
      var report = Report.header(command: "bounds", ranks: communicator.size, n1: fit.n1, n2: fit.n2, k: fit.k)
      report += result.blocks
      report.append(("fit", Report.fit(fit, populationPValue: Report.populationPValue(fit))))
      if reconcile {
        report.append(("reconciliation", .object([
          ("method", .string("maximum-likelihood joint of the three tables")),
          ("tv_x1y", .number(fit.shifts.x1y)), ("tv_x2y", .number(fit.shifts.x2y)), ("tv_x1x2", .number(fit.shifts.x1x2)),
        ])))
      }
      let empty = emptyLabels(raw.x1y, raw.x2y)
      if !empty.isEmpty {
        report.append(("notes", .array([.string(
          "label\(empty.count > 1 ? "s" : "") y=\(empty.map(String.init).joined(separator: ", ")) \(empty.count > 1 ? "have" : "has") no mass in p_x1y nor in p_x2y; "
            + "no joint puts mass on \(empty.count > 1 ? "them" : "it"), so \(empty.count > 1 ? "they do" : "it does") not change any number")])))
      }
      report.append(("timing", .object([("solve_seconds", .number(now() - start))])))
      try common.emit(.object(report), table: Report.boundsTable)
    }
  }
}

/// Whether a table holds counts of rows: whole numbers, some above 1.
func holdsCounts(_ table: Matrix) -> Bool {
  table.elements.allSatisfy { $0 == $0.rounded() } && table.elements.contains { $0 > 1 }
}

/// Labels with no mass in either table (empty label classes).
func emptyLabels(_ x1y: Matrix, _ x2y: Matrix) -> [Int] {
  guard x1y.columns == x2y.columns else { return [] }
  let a = x1y.columnSums, b = x2y.columnSums
  return a.indices.filter { a[$0] == 0 && b[$0] == 0 }
}

/// Everything computed from pairwise tables: PID, bounds, performance,
/// decision.
struct Analysis {
  var bounds: SynergyBounds
  var performance: PerformanceBounds
  var decision: Decision

  /// The analysis of the pairwise marginals of `witness` (a fitted or
  /// given joint, so that the marginals are realizable).
  ///
  /// - Parameter workers: processes that share this one analysis (every
  ///   one of them must make the same call); the numbers do not depend on
  ///   them.
  init(witness: JointDistribution, arguments: BoundArguments, workers: any Workers = SingleWorker()) {
    bounds = SynergyBounds(witness: witness, options: arguments.options(workers: workers))
    let tables = bounds.marginals
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
    try checkRanges()
  }

  /// Every number inside its mathematical range; a violation is an
  /// internal error (exit 70), never printed as data.
  func checkRanges() throws {
    let violations = bounds.violations + performance.violations
    if let first = violations.first {
      throw Failure("internal error: a bound left its mathematical range (\(first)\(violations.count > 1 ? "; \(violations.count - 1) more" : "")); please report this with the input", status: .software)
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
