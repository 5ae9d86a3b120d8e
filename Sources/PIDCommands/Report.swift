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

  static func optional(_ x: Double?) -> JSON { x.map { .number($0) } ?? .null }

  /// The `bounds` block (CLI.md keys first, then ours).
  static func bounds(_ b: SynergyBounds) -> JSON {
    var members: [(String, JSON)] = [
      ("S_R_simple", .number(b.redundancySimple)),
      ("S_R_relaxed", .number(b.redundancyRelaxed)),
      ("S_R_sharp", .number(b.redundancySharp)),
      ("S_U_paper", .number(b.paperDisagreement)),
      ("S_U_l2", .number(b.disagreementL2)),
      ("S_U_bc", .number(b.disagreementBhattacharyya)),
      ("S_lower", .number(b.lower)),
      ("S_upper_paper", .number(b.upperPaper)),
      ("S_upper", .number(b.upper)),
      ("S_upper_sharp", optional(b.upperSharp)),
      ("I_x1x2", .number(b.informationX1X2)),
      ("alpha", .number(b.alpha)),
      ("S_lower_clipped", .number(b.lowerClipped)),
      ("bracket_consistent", .bool(b.consistent)),
      ("S_upper_meet", .number(b.upperMeet)),
      ("S_upper_cap", .number(b.upperCap)),
      ("S_upper_sharp_gap", optional(b.upperSharpGap)),
      ("S_upper_inner", optional(b.upperInner)),
      ("S_upper_inner_is_bound", .bool(false)),
      ("S_upper_inner_is_achieved", .bool(b.upperInnerIsAchieved)),
      // Strings, never null: the bootstrap counts null as a number (NaN)
      // and strings as none, and its replicates must give the same count
      // whichever way their sharp bound went.
      ("sharp_method", .string(b.sharpMethod ?? "not computed")),
      ("sharp_nodes", b.sharpSearch.map { .integer($0.nodes) } ?? .null),
      ("sharp_stop", .string(b.sharpSearch?.stop.rawValue ?? (b.upperSharp != nil ? "closed" : "not run"))),
      ("sharp_time_limited", .bool(b.sharpSearch?.stop == .timeBudget)),
      ("polytope_dimension", .integer(b.polytopeDimension)),
      ("S_R_sharp_gap_bits", .number(b.redundancySharpGap)),
      ("ipf_residual", .number(b.maximumEntropyResidual)),
      ("renamed_gap_bits", .array([.number(b.renamedGaps.0), .number(b.renamedGaps.1)])),
    ]
    if !b.notes.isEmpty { members.append(("notes", .array(b.notes.map { .string($0) }))) }
    return .object(members)
  }

  /// Level below which the fit's deviance says the samples do not look
  /// like one population.
  static let populationLevel = 0.01
  /// Draws of the parametric bootstrap of `G²`.
  static let populationDraws = 99

  /// The parametric-bootstrap p-value of the fit's `G²` with the report's
  /// number of draws (nil for probabilities without counts).
  static func populationPValue(_ f: MaximumLikelihoodJoint) -> Double? {
    f.deviancePValue(draws: populationDraws, seed: 0)
  }

  /// `populationPValue` draw by draw (the same p-value).
  static func populationTest(_ f: MaximumLikelihoodJoint) -> MaximumLikelihoodJoint.DevianceTest? {
    MaximumLikelihoodJoint.DevianceTest(f, draws: populationDraws, seed: 0)
  }

  /// The `fit` block: the maximum-likelihood joint of MATH.md section 7,
  /// with `populationPValue` of `G²`.
  static func fit(_ f: MaximumLikelihoodJoint, populationPValue: Double?) -> JSON {
    var members: [(String, JSON)] = [
      ("method", .string("maximum-likelihood joint of the three tables (EM, SQUAREM-accelerated)")),
      ("weights", .string(f.weights.rawValue)),
      ("log_likelihood", .number(f.logLikelihood)),
      ("certificate_gap", .number(f.certificate)),
      ("converged", .bool(f.converged)),
      ("iterations", .integer(f.iterations)),
      ("G2", .number(f.deviance)),
      ("tv_x1y", .number(f.shifts.x1y)), ("tv_x2y", .number(f.shifts.x2y)), ("tv_x1x2", .number(f.shifts.x1x2)),
    ]
    let words: String
    switch f.weights {
    case .counts:
      // The chi-square reference is shown for orientation; the words rest
      // on the parametric bootstrap.
      let chiSquare = chiSquareSurvival(f.deviance, degreesOfFreedom: f.degreesOfFreedom)
      let p = populationPValue ?? chiSquare
      members += [
        ("degrees_of_freedom", .integer(f.degreesOfFreedom)), ("p_value_chi_square", .number(chiSquare)),
        ("p_value", .number(p)), ("p_value_method", .string("parametric bootstrap, \(populationDraws) draws from the fit")),
      ]
      let statistic = "G² = \(formatted(.number(f.deviance), decimals: 2)), parametric-bootstrap p = \(formatted(.number(p), decimals: 3))"
      words = p >= populationLevel
        ? "the three samples are consistent with one population (\(statistic))"
        : "the samples do not look like one population (\(statistic)): check that D1, D2 and DM were preprocessed alike and drawn from the same population; a shift between them makes every bound unreliable"
    case .equalPerTable:
      members += [("degrees_of_freedom", .null), ("p_value", .null)]
      words = "probabilities without sample sizes: each table weighs the same, and G² has no reference distribution"
    }
    members.append(("assessment", .string(words)))
    return .object(members)
  }

  /// The `reconciliation` block of CLI.md (how far each table moved) and
  /// the `fit` block.
  static func fitBlocks(_ f: MaximumLikelihoodJoint, populationPValue: Double?) -> [(String, JSON)] {
    [
      ("reconciliation", .object([
        ("method", .string("maximum-likelihood joint of D1, D2 and DM (see fit)")),
        ("tv_x1y", .number(f.shifts.x1y)), ("tv_x2y", .number(f.shifts.x2y)), ("tv_x1x2", .number(f.shifts.x1x2)),
      ])),
      ("fit", fit(f, populationPValue: populationPValue)),
    ]
  }

  static func performance(_ p: PerformanceBounds) -> JSON {
    .object([
      ("acc_unimodal_1", .number(p.unimodal1)),
      ("acc_unimodal_2", .number(p.unimodal2)),
      ("acc_lower", .number(p.lower)),
      ("acc_upper", .number(p.upper)),
      ("acc_upper_paper", optional(p.upperPaper)),
      ("acc_estimate", .number(p.estimate)),
      ("acc_lower_unclipped", .number(p.lowerUnclipped)),
      ("acc_upper_unclipped", .number(p.upperUnclipped)),
    ])
  }

  static func decision(_ d: Decision) -> JSON {
    .object([
      ("collect_multimodal", .string(d.collectMultimodal)),
      ("fusion", .string(d.fusion)),
      ("reason", .string(d.reason)),
    ])
  }

  /// The table a person reads for `bounds`.
  static func boundsTable(_ report: JSON) -> String {
    var out = ""
    if let a = report["alphabet"] {
      out += "From pairwise tables (\(formatted(a["x1"], decimals: 0)) x \(formatted(a["x2"], decimals: 0)) x \(formatted(a["y"], decimals: 0)) symbols), bits\n\n"
    }
    let pid = report["pid"], b = report["bounds"], p = report["performance"], d = report["decision"]
    if pid?["R"] != nil {
      out += "  redundancy R  \(leftPadded(formatted(pid?["R"]), 8))    uniqueness U1 \(leftPadded(formatted(pid?["U1"]), 8))\n"
      out += "  uniqueness U2 \(leftPadded(formatted(pid?["U2"]), 8))    certified gap \(leftPadded(scientific0(pid?["gap_bits"]), 8))\n\n"
    }
    out += "  synergy S in [\(formatted(b?["S_lower_clipped"])), \(formatted(b?["S_upper"]))]"
    if let sharp = b?["S_upper_sharp"], sharp != .null { out += "   (sharp upper \(formatted(sharp)))" }
    out += "\n"
    if let nodes = b?["sharp_nodes"], nodes != .null, case .string(let stop)? = b?["sharp_stop"] {
      out += "    sharp bound: branch and bound, \(formatted(nodes, decimals: 0)) node LPs, stopped: \(stop), gap \(scientific0(b?["S_upper_sharp_gap"])) bits\n"
    }
    if case .array(let notes)? = b?["notes"] {
      for case .string(let note) in notes { out += wrapped("note: " + note, width: 76, indent: "    ") + "\n" }
    }
    let rows: [(String, String)] = [
      ("S_R_simple", "S_R_simple"), ("S_R_relaxed", "S_R_relaxed"), ("S_R_sharp", "S_R_sharp"),
      ("S_U_l2", "S_U_l2"), ("S_U_bc", "S_U_bc"), ("S_U_paper (not a bound)", "S_U_paper"),
      ("S_upper_paper", "S_upper_paper"), ("S_upper (ours)", "S_upper"),
      (b?["S_upper_inner_is_achieved"] == .bool(true) ? "S_upper_inner (found)" : "S_upper_inner (estimate)", "S_upper_inner"),
    ]
    for (label, key) in rows where b?[key] != nil && b?[key] != .null {
      out += "    " + padded(label, 26) + leftPadded(formatted(b?[key]), 9) + "\n"
    }
    if let s = report["pid"]?["S"] { out += "    " + padded("true S (from the joint)", 26) + leftPadded(formatted(s), 9) + "\n" }
    if let p {
      out += "\n  accuracy of the best multimodal model in [\(formatted(p["acc_lower"], decimals: 3)), \(formatted(p["acc_upper"], decimals: 3))]\n"
      out += "    unimodal: X1 \(formatted(p["acc_unimodal_1"], decimals: 3)), X2 \(formatted(p["acc_unimodal_2"], decimals: 3))\n"
    }
    if let d, case .string(let collect)? = d["collect_multimodal"], case .string(let fusion)? = d["fusion"],
      case .string(let reason)? = d["reason"]
    {
      out += "\n  collect multimodal data: \(collect)    fusion: \(fusion)\n"
      out += wrapped(reason, width: 76, indent: "  ") + "\n"
    }
    return out
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
    out += "\n  certified gap of I_min: " + scientific0(pid?["gap_bits"]) + " bits\n"
    if let bounds = report["bounds"] {
      out += "\nFrom the pairwise marginals alone:\n"
      out += boundsTable(.object([("bounds", bounds), ("pid", .object([("S", pid?["S"] ?? .null)]))]))
    }
    return out
  }
}
