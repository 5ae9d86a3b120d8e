import Foundation
import PIDData
import Testing

let andMarginals = #"{"p_x1y": [[0.5, 0.0], [0.25, 0.25]], "p_x2y": [[0.5, 0.0], [0.25, 0.25]], "p_x1x2": [[0.25, 0.25], [0.25, 0.25]]}"#

@Suite("pidbounds bounds")
struct BoundsCommandTests {
  @Test("JSON has the bounds, performance and decision keys of CLI.md; AND's bracket holds S = 0.5")
  func keys() throws {
    let dir = try scratch(["and.json": andMarginals])
    let run = try Run.pidbounds(["bounds", "--marginals", dir + "/and.json", "--format", "json"])
    #expect(run.status == 0, "\(run.stderr)")
    let report = try #require(run.json)
    let bounds = try #require(report["bounds"])
    for key in ["S_R_simple", "S_R_relaxed", "S_R_sharp", "S_U_paper", "S_U_l2", "S_U_bc", "S_lower",
                "S_upper_paper", "S_upper", "S_upper_sharp", "I_x1x2", "alpha"] {
      #expect(bounds[key] != nil, "missing bounds.\(key)")
    }
    for key in ["acc_unimodal_1", "acc_unimodal_2", "acc_lower", "acc_upper", "acc_upper_paper", "acc_estimate"] {
      #expect(report["performance"]?[key] != nil, "missing performance.\(key)")
    }
    for key in ["collect_multimodal", "fusion", "reason"] { #expect(report["decision"]?[key] != nil) }
    let lower = try #require(bounds["S_lower"]?.doubleValue), upper = try #require(bounds["S_upper"]?.doubleValue)
    #expect(lower <= 0.5 + 1e-7 && 0.5 <= upper + 1e-7)
    #expect(abs((bounds["S_R_simple"]?.doubleValue ?? 0) - 0.311278124457) < 1e-6)
    #expect(report["decision"]?["collect_multimodal"] == .string("yes"))
  }

  @Test("Table output fits 80 columns")
  func table() throws {
    let dir = try scratch(["and.json": andMarginals])
    let run = try Run.pidbounds(["bounds", "--marginals", dir + "/and.json", "--format", "table"])
    #expect(run.status == 0)
    #expect(run.stdout.contains("synergy S in ["))
    #expect(run.stdout.split(separator: "\n").allSatisfy { $0.count <= 80 })
  }

  @Test("Disagreeing marginals are refused naming the marginal, and reconciled with --reconcile")
  func reconcile() throws {
    let skewed = #"{"p_x1y": [[0.5, 0.0], [0.25, 0.25]], "p_x2y": [[0.4, 0.1], [0.25, 0.25]], "p_x1x2": [[0.25, 0.25], [0.25, 0.25]]}"#
    let dir = try scratch(["skewed.json": skewed])
    let refused = try Run.pidbounds(["bounds", "--marginals", dir + "/skewed.json", "--format", "json"])
    #expect(refused.status == 65)
    #expect(refused.stderr.contains("p(y) from p_x1y and from p_x2y"), "\(refused.stderr)")
    #expect(refused.stderr.contains("--reconcile"))
    let fixed = try Run.pidbounds(["bounds", "--marginals", dir + "/skewed.json", "--reconcile", "--format", "json"])
    #expect(fixed.status == 0, "\(fixed.stderr)")
    let shift = try #require(fixed.json?["reconciliation"]?["tv_x2y"]?.doubleValue)
    #expect(shift > 0 && shift < 0.2)
  }

  @Test("Bad pairwise input", arguments: [
    ("shape.json", #"{"p_x1y": [[1, 1]], "p_x2y": [[1, 1, 1]], "p_x1x2": [[1]]}"#, "labels"),
    ("rows.json", #"{"p_x1y": [[1, 1], [1, 1]], "p_x2y": [[1, 1]], "p_x1x2": [[1]]}"#, "p_x1x2 has 1 rows"),
    ("missing.json", #"{"p_x1y": [[1, 1]], "p_x2y": [[1, 1]]}"#, "missing key \"p_x1x2\""),
  ] as [(String, String, String)])
  func badInput(name: String, content: String, message: String) throws {
    let dir = try scratch([name: content])
    let run = try Run.pidbounds(["bounds", "--marginals", dir + "/" + name, "--format", "json"])
    #expect(run.status == 65, "\(name): \(run.stderr)")
    #expect(run.stderr.contains(message), "\(name): \(run.stderr)")
    #expect(run.stderr.split(separator: "\n").count == 1)
    #expect(run.stdout.isEmpty)
  }

  @Test("A label with no mass is accepted with a note, as pid does")
  func emptyLabel() throws {
    let dir = try scratch(["emptyclass.json": #"{"p_x1y": [[1, 0, 1], [2, 0, 1]], "p_x2y": [[1, 0, 2], [2, 0, 0]], "p_x1x2": [[1, 1], [2, 1]]}"#])
    let run = try Run.pidbounds(["bounds", "--marginals", dir + "/emptyclass.json", "--format", "json"])
    #expect(run.status == 0, "\(run.stderr)")
    guard case .array(let notes)? = run.json?["notes"], case .string(let note)? = notes.first else {
      Issue.record("no note: \(run.stdout)")
      return
    }
    #expect(note.contains("y=1"))
    #expect(run.json?["fit"]?["weights"] == .string("counts"))
  }

  @Test("Unrealizable tables with consistent single marginals: the fit moves them, every bound in range, no certain decision on them")
  func unrealizable() throws {
    // No joint has these three tables (their single marginals agree); on
    // the raw tables S_U_bc was 99.6 bits against H(Y) = 1.
    let dir = try scratch(["t.json": #"{"p_x1y": [[0.3,0],[0.2,0.5]], "p_x2y": [[0,0.4],[0.5,0.1]], "p_x1x2": [[0.1,0.2],[0.3,0.4]]}"#])
    let run = try Run.pidbounds(["bounds", "--marginals", dir + "/t.json", "--format", "json"])
    #expect(run.status == 0, "\(run.stderr)")
    let b = try #require(run.json?["bounds"])
    let lower = try #require(b["S_lower"]?.doubleValue), upper = try #require(b["S_upper"]?.doubleValue)
    let bc = try #require(b["S_U_bc"]?.doubleValue), cap = try #require(b["S_upper_cap"]?.doubleValue)
    #expect(lower <= upper + 1e-7 && bc <= upper + 1e-7 && upper <= cap + 1e-12 && cap <= 1)
    #expect(b["S_R_sharp"]?.doubleValue != nil)
    let f = try #require(run.json?["fit"])
    #expect(f["weights"] == .string("equal per table"))
    #expect((f["tv_x1x2"]?.doubleValue ?? 0) > 0.01)
    let accuracy = try #require(run.json?["performance"]?["acc_lower"]?.doubleValue)
    #expect(accuracy < 1)
  }

  @Test("pid reports the pairwise bounds next to the true S, and they bracket it")
  func pidBounds() throws {
    let dir = try scratch(["and.json": andTable])
    let run = try Run.pidbounds(["pid", "--joint", dir + "/and.json", "--format", "json"])
    let report = try #require(run.json)
    let s = try #require(report["pid"]?["S"]?.doubleValue)
    let lower = try #require(report["bounds"]?["S_lower"]?.doubleValue)
    let upper = try #require(report["bounds"]?["S_upper"]?.doubleValue)
    #expect(lower <= s + 1e-7 && s <= upper + 1e-7)
  }

  @Test("study reproduces the paper's 2x2x2 experiment: paper upper gap about 0.62, ours smaller")
  func study() throws {
    let run = try Run.pidbounds(["study", "--shape", "2x2x2", "--tables", "300", "--format", "json"])
    #expect(run.status == 0, "\(run.stderr)")
    let gaps = try #require(run.json?["gaps"])
    let paper = try #require(gaps["S_upper_paper"]?["mean_gap_bits"]?.doubleValue)
    let ours = try #require(gaps["S_upper"]?["mean_gap_bits"]?.doubleValue)
    #expect(abs(paper - 0.62) < 0.08, "paper gap \(paper)")
    #expect(ours < paper)
    for key in ["S_lower", "S_upper", "S_upper_sharp", "S_R_sharp"] {
      #expect(gaps[key]?["violations"] == .integer(0), "\(key) violated")
    }
  }
}
