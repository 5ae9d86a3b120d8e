import PIDData

// The text tables of `estimate` (`--format table`): the report of one pair
// of modalities and the summary of several.

extension Report {
  /// The summary table of a run with more than two modalities.
  static func modalitiesTable(_ report: JSON) -> String {
    var out = "Every pair of modalities (bits)\n\n"
    out += "  " + padded("x1", 10) + padded("x2", 10) + leftPadded("R", 8) + leftPadded("U1", 8) + leftPadded("U2", 8)
      + leftPadded("S in", 18) + "  collect  fusion\n"
    if case .array(let rows)? = report["summary"] {
      for row in rows {
        guard case .string(let a)? = row["x1"], case .string(let b)? = row["x2"],
          case .string(let collect)? = row["collect_multimodal"], case .string(let fusion)? = row["fusion"]
        else { continue }
        out += "  " + padded(String(a.prefix(9)), 10) + padded(String(b.prefix(9)), 10)
          + leftPadded(formatted(row["R"]), 8) + leftPadded(formatted(row["U1"]), 8) + leftPadded(formatted(row["U2"]), 8)
          + leftPadded("[\(formatted(row["S_lower"])), \(formatted(row["S_upper"]))]", 18) + "  " + padded(collect, 7) + "  " + fusion + "\n"
      }
    }
    return out
  }

  /// The table a person reads for `estimate`.
  static func estimateTable(_ report: JSON) -> String {
    var out = ""
    if let d = report["discretization"], let a = report["alphabet"] {
      out += "Discretized: x1 into \(formatted(d["x1"]?["occupied"], decimals: 0)) occupied clusters, "
      out += "x2 into \(formatted(d["x2"]?["occupied"], decimals: 0)); \(formatted(a["y"], decimals: 0)) labels.\n"
    }
    if let f = report["fit"] {
      out += "One joint fitted to D1, D2 and DM (maximum likelihood): the tables moved by TV \(formatted(f["tv_x1y"])), "
      out += "\(formatted(f["tv_x2y"])), \(formatted(f["tv_x1x2"])); certificate \(scientific0(f["certificate_gap"])) nats.\n"
      if case .string(let words)? = f["assessment"] {
        out += wrapped(words.prefix(1).uppercased() + words.dropFirst() + ".", width: 78, indent: "") + "\n"
      }
      out += "\n"
    }
    out += boundsTable(report)
    if case .string(let basis)? = report["decision"]?["basis"] {
      out += wrapped("(decision from \(basis); the plug-in decision is under decision_plugin)", width: 76, indent: "  ") + "\n"
    }
    if let b = report["bootstrap"] {
      let kind = b["interval"] == .string("bca") ? "BCa" : "percentile"
      out += "\nUncertainty: \(formatted(b["replicates"], decimals: 0)) bootstrap replicates, "
      out += "\(formatted(.number(100 * (b["confidence"]?.doubleValue ?? 0)), decimals: 0))% \(kind) intervals (bits)\n\n"
      out += "    " + padded("", 22) + leftPadded("plug-in", 9) + leftPadded("corrected", 11) + "   interval\n"
      let rows: [(String, String, String)] = [
        ("redundancy R", "pid", "R"), ("uniqueness U1", "pid", "U1"), ("uniqueness U2", "pid", "U2"),
        ("synergy lower bound", "bounds", "S_lower_clipped"), ("synergy upper bound", "bounds", "S_upper"),
        ("synergy in DL", "validation", "S"),
      ]
      for (label, block, key) in rows {
        guard let s = b[block]?[key] else { continue }
        let (lo, hi) = kind == "BCa" ? (s["bca_lo"], s["bca_hi"]) : (s["lo"], s["hi"])
        let interval = lo == .null || hi == .null ? "undefined" : "[\(formatted(lo)), \(formatted(hi))]"
        out += "    " + padded(label, 22) + leftPadded(formatted(s["estimate"]), 9)
        out += leftPadded(formatted(report["corrected"]?[block]?[key]), 11) + "   " + interval + "\n"
      }
      if let bracket = b["S_bracket"] {
        out += "    synergy bracket with sampling error: [\(formatted(bracket["lo"])), \(formatted(bracket["hi"]))]\n"
      }
    }
    if let significance = report["significance"], case .object(let members)? = Optional(significance) {
      out += "\nAt level \(formatted(significance["level"], decimals: 3)):\n"
      if let global = significance["global"], global != .null {
        let rejected = global["rejected"] == .bool(true)
        out += wrapped((rejected ? "the label depends on the modalities" : "no evidence that the label depends on the modalities")
          + " (permutation test, p = \(formatted(global["p_value"], decimals: 3)))", width: 78, indent: "  ") + "\n"
      } else {
        out += "  no test of dependence: give --permutations P\n"
      }
      for (key, term) in members where term["plug_in"] != nil {
        let name = Significance.reported.first { $0.1.rawValue == key }?.0 ?? key
        var details = ["plug-in \(formatted(term["plug_in"]))"]
        if let c = term["corrected"], c != .null { details.append("corrected \(formatted(c))") }
        if case .array(let ends)? = term["interval"], ends.count == 2 {
          details.append("basic interval [\(formatted(ends[0])), \(formatted(ends[1]))]")
        }
        out += "  " + wrapped("\(name): " + details.joined(separator: ", "), width: 78, indent: "    ").dropFirst(4) + "\n"
      }
      out += "  (terms get intervals, not verdicts: the permutation test concerns the label\n"
      out += "  as a whole; a label tied to the modalities only jointly shows in DL alone)\n"
    } else {
      out += "\n  No significance test: give --permutations P (and --bootstrap B for intervals and corrected values).\n"
    }
    if case .array(let advice)? = report["data_size"]?["advice"], !advice.isEmpty {
      out += "\nData size:\n"
      for line in advice {
        guard case .string(let text) = line else { continue }
        // A bullet, continuation lines under its text.
        out += "  - " + wrapped(text, width: 76, indent: "    ").dropFirst(4) + "\n"
      }
    }
    if let v = report["validation"] {
      let inside = v["S_inside_bracket"] == .bool(true)
      out += "\n  validation on \(formatted(v["rows"], decimals: 0)) labeled pairs: plug-in S = \(formatted(v["S"])), "
      out += inside ? "inside the bracket\n" : "OUTSIDE the bracket\n"
    }
    return out
  }
}
