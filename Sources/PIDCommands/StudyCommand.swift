import ArgumentParser
import Cluster
import PIDData
import PIDMath

#if canImport(Glibc)
import Glibc
#endif

/// `pidbounds study`: the paper's synthetic experiment. Random Dirichlet(1)
/// joint tables; for each, the true S and every bound from the pairwise
/// marginals; the mean gap of each bound to S and how often it is violated.
struct StudyCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "study",
    abstract: "Mean gap of every synergy bound to the true S on random Dirichlet(1) tables.")

  @Option(help: "Table shape n1xn2xk.")
  var shape: String = "2x2x2"

  @Option(help: "Number of random tables.")
  var tables: Int = 1000

  @Option(help: "Random seed.")
  var seed: UInt64 = 0

  @OptionGroup var bounds: BoundArguments
  @OptionGroup var common: CommonOptions

  var dimensions: (Int, Int, Int)? {
    let parts = shape.split(separator: "x").compactMap { Int($0) }
    guard parts.count == 3, parts.allSatisfy({ $0 >= 1 }) else { return nil }
    return (parts[0], parts[1], parts[2])
  }

  func validate() throws {
    guard dimensions != nil else { throw ValidationError("--shape must look like 2x2x2") }
    guard tables >= 1 else { throw ValidationError("--tables must be >= 1") }
  }

  func run() throws {
    Job.run(quiet: common.quiet) { communicator in
      guard communicator.isRoot else { return }
      let (n1, n2, k) = dimensions!
      var generator = SplitMix64(seed: seed)
      let lowerKeys = ["S_R_simple", "S_R_relaxed", "S_R_sharp", "S_U_paper", "S_U_l2", "S_U_bc", "S_lower"]
      let upperKeys = ["S_upper_paper", "S_upper", "S_upper_sharp", "S_upper_inner"]
      var sums: [String: Double] = [:], counts: [String: Int] = [:], violations: [String: Int] = [:]
      let start = now()
      for index in 0..<tables {
        let joint = JointDistribution.dirichlet(n1: n1, n2: n2, k: k, generator: &generator)
        let s = PartialInformationDecomposition(joint: joint, options: bounds.options.solver).synergy!
        let report = Report.bounds(Analysis(witness: joint, arguments: bounds).bounds)
        for key in lowerKeys + upperKeys {
          guard let value = report[key]?.doubleValue else { continue }
          let isUpper = upperKeys.contains(key)
          let gap = isUpper ? value - s : s - value
          sums[key, default: 0] += gap
          counts[key, default: 0] += 1
          if gap < -1e-7 { violations[key, default: 0] += 1 }
        }
        if !common.quiet && isatty(2) == 1 && (index + 1) % 50 == 0 {
          writeStandardError("\rstudy: \(index + 1)/\(tables) tables")
        }
      }
      if !common.quiet && isatty(2) == 1 { writeStandardError("\n") }
      var rows: [(String, JSON)] = []
      for key in lowerKeys + upperKeys {
        guard let n = counts[key] else { continue }
        rows.append((key, .object([
          ("mean_gap_bits", .number(sums[key]! / Double(n))),
          ("tables", .integer(n)),
          ("violations", .integer(violations[key] ?? 0)),
        ])))
      }
      let report: [(String, JSON)] = [
        ("version", .string(Report.version)), ("command", .string("study")), ("ranks", .integer(communicator.size)),
        ("units", .string("bits")), ("shape", .string(shape)), ("tables", .integer(tables)), ("seed", .integer(Int(seed))),
        ("gaps", .object(rows)), ("timing", .object([("seconds", .number(now() - start))])),
      ]
      try common.emit(.object(report), table: Report.studyTable)
    }
  }
}

extension Report {
  static func studyTable(_ report: JSON) -> String {
    var out = "Mean gap to the true S over \(formatted(report["tables"], decimals: 0)) random "
    if case .string(let shape)? = report["shape"] { out += shape }
    out += " Dirichlet(1) tables (bits; a violation is a bound on the wrong side of S)\n\n"
    out += "  " + padded("bound", 18) + leftPadded("mean gap", 10) + leftPadded("violations", 12) + "\n"
    if case .object(let rows)? = report["gaps"] {
      for (key, value) in rows {
        out += "  " + padded(key, 18) + leftPadded(formatted(value["mean_gap_bits"]), 10)
          + leftPadded(formatted(value["violations"], decimals: 0), 12) + "\n"
      }
    }
    return out
  }
}
