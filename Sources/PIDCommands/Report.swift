import PIDData
import PIDMath

/// Builds the JSON reports of CLI.md and their tables for a person.
enum Report {
  static let version = "0.1.0"

  static func header(command: String, ranks: Int, n1: Int, n2: Int, k: Int) -> [(String, JSON)] {
    [
      ("version", .string(version)),
      ("command", .string(command)),
      ("ranks", .integer(ranks)),
      ("units", .string("bits")),
      ("alphabet", .object([("x1", .integer(n1)), ("x2", .integer(n2)), ("y", .integer(k))])),
    ]
  }

  /// The `pid` block.
  static func pid(_ pid: PartialInformationDecomposition, joint: JointDistribution?) -> JSON {
    var members: [(String, JSON)] = [
      ("R", .number(pid.redundancy)),
      ("U1", .number(pid.uniqueness1)),
      ("U2", .number(pid.uniqueness2)),
    ]
    if let s = pid.synergy { members.append(("S", .number(s))) }
    members += [
      ("I_min", .number(pid.minimumInformation)),
      ("gap_bits", .number(pid.gap)),
      ("I_x1y", .number(pid.informationX1Y)),
      ("I_x2y", .number(pid.informationX2Y)),
    ]
    if let total = pid.informationX1X2Y { members.append(("I_x1x2y", .number(total))) }
    if let joint { members.append(("I_x1x2", .number(mutualInformation(joint.x1x2)))) }
    return .object(members)
  }

  /// The certificate of a solve.
  static func certificate(_ solution: CouplingSolution) -> JSON {
    .object([
      ("I_min_lower", .number(solution.lowerBound)),
      ("I_min_upper", .number(solution.information)),
      ("gap_bits", .number(solution.gap)),
      ("marginal_residual", .number(solution.marginalResidual)),
      ("newton_steps", .integer(solution.newtonSteps)),
    ])
  }

  /// The table a person reads for `pid`.
  static func pidTable(_ report: JSON) -> String {
    var out = ""
    if let a = report["alphabet"] {
      out += "PID of a joint table (\(formatted(a["x1"], decimals: 0)) x \(formatted(a["x2"], decimals: 0)) x \(formatted(a["y"], decimals: 0)) symbols), bits\n\n"
    }
    let pid = report["pid"]
    let rows: [(String, String)] = [
      ("redundancy        R", "R"), ("uniqueness X1    U1", "U1"), ("uniqueness X2    U2", "U2"),
      ("synergy           S", "S"), ("I(X1;Y)", "I_x1y"), ("I(X2;Y)", "I_x2y"),
      ("I(X1,X2;Y)", "I_x1x2y"), ("I(X1;X2)", "I_x1x2"),
    ]
    for (label, key) in rows where pid?[key] != nil {
      out += "  " + padded(label, 22) + leftPadded(formatted(pid?[key]), 10) + "\n"
    }
    out += "\n  certified gap of I_min: " + formatted(pid?["gap_bits"]) + " bits\n"
    return out
  }
}
