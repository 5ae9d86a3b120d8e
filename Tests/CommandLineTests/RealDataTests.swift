import Foundation
import PIDData
import PIDMath
import Testing

/// The repository's path, for the bundled test data.
let packageRoot: String = {
  var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
  parts.removeLast(3)
  return parts.joined(separator: "/")
}()

/// End to end on real data (Tests/Fixtures/real: scikit-learn's copies of
/// the UCI wine and breast-cancer datasets, split into two modalities and
/// disjoint samples): empirical tables that no joint has exactly.
@Suite("Real data")
struct RealDataTests {
  @Test("Every bound of every replicate in range, S_R_sharp a number, the bracket with sampling error around the point bracket, the fit certified",
        arguments: [("wine", ["--clusters", "4"]), ("breast-cancer", ["--clusters", "6"])])
  func realData(name: String, options: [String]) throws {
    let dir = packageRoot + "/Tests/Fixtures/real/" + name
    var arguments = ["estimate", "--x1y", dir + "/d1.csv", "--x2y", dir + "/d2.csv", "--x1x2", dir + "/dm.csv"]
    if FileManager.default.fileExists(atPath: dir + "/dl.csv") { arguments += ["--x1x2y", dir + "/dl.csv"] }
    // A bound outside its range in any replicate ends the run with 70.
    let run = try Run.pidbounds(arguments + options + ["--pca", "0", "--bootstrap", "40", "--seed", "3", "--format", "json"], timeout: 600)
    #expect(run.status == 0, "\(run.stderr)")
    let report = try #require(run.json)
    let b = try #require(report["bounds"])
    #expect(b["S_R_sharp"]?.doubleValue != nil)
    let fit = try #require(report["fit"])
    #expect(fit["converged"] == .bool(true))
    #expect((fit["certificate_gap"]?.doubleValue ?? 1) <= 1e-9)
    let bootstrap = try #require(report["bootstrap"])
    #expect(bootstrap["unusable_replicates"] == .integer(0))
    let lower = try #require(b["S_lower_clipped"]?.doubleValue), upper = try #require(b["S_upper"]?.doubleValue)
    let bracketLo = try #require(bootstrap["S_bracket"]?["lo"]?.doubleValue)
    let bracketHi = try #require(bootstrap["S_bracket"]?["hi"]?.doubleValue)
    #expect(bracketLo <= lower && upper <= bracketHi, "[\(bracketLo), \(bracketHi)] vs point [\(lower), \(upper)]")
    #expect(0 <= bracketLo && bracketHi <= 2)
    // Replicates' ranges: lower ends of nonnegative quantities are not
    // below 0, accuracies within [0, 1].
    for key in ["S_lower_clipped", "S_upper", "S_upper_cap"] {
      #expect((bootstrap["bounds"]?[key]?["lo"]?.doubleValue ?? -1) >= 0, "\(key)")
    }
    for key in ["acc_lower", "acc_upper"] {
      let lo = bootstrap["performance"]?[key]?["lo"]?.doubleValue ?? -1, hi = bootstrap["performance"]?[key]?["hi"]?.doubleValue ?? 2
      #expect(lo >= 0 && hi <= 1, "\(key)")
    }
  }
}

/// The cases where the bounds once took impossible values or a decision
/// said "certain" on nothing.
@Suite("Decisions on small samples")
struct SmallSampleDecisionTests {
  /// Y uniform over `k` classes; each modality an independent 95%-accurate
  /// copy of Y spread over 10 codes (`10 / k` codes per class); `rows` rows
  /// per sample. No multimodal model gains anything over the better copy.
  func copies(seed: UInt64, k: Int, rows: Int) throws -> String {
    var g = SplitMix64(seed: seed)
    func copy(_ y: Int) -> Int {
      var observed = y
      if g.unit() > 0.95 { observed = (y + 1 + Int(g.next() % UInt64(k - 1))) % k }
      return observed * (10 / k) + Int(g.next() % UInt64(10 / k))
    }
    func labeled(_ name: String) -> String {
      csv([name, "y"], rows) { _ in let y = Int(g.next() % UInt64(k)); return [String(copy(y)), String(y)] }
    }
    let d1 = labeled("x1"), d2 = labeled("x2")
    let dm = csv(["x1", "x2"], rows) { _ in let y = Int(g.next() % UInt64(k)); return [String(copy(y)), String(copy(y))] }
    return try scratch(["d1.csv": d1, "d2.csv": d2, "dm.csv": dm])
  }

  @Test("95%-accurate copies of a 10-class label, 200 rows per sample: never a certain gain, in 6 seeds (plug-in) and 1 (bootstrap)")
  func copiesDecision() throws {
    for seed in 1...6 {
      let dir = try copies(seed: UInt64(seed), k: 10, rows: 200)
      let base = ["estimate", "--x1y", dir + "/d1.csv", "--x2y", dir + "/d2.csv", "--x1x2", dir + "/dm.csv", "--codes", "--format", "json"]
      let run = try Run.pidbounds(base, timeout: 300)
      #expect(run.status == 0, "seed \(seed): \(run.stderr)")
      #expect(run.json?["decision"]?["collect_multimodal"] != .string("yes"), "seed \(seed)")
      if seed == 1 {
        let bootstrapped = try Run.pidbounds(base + ["--bootstrap", "10"], timeout: 600)
        #expect(bootstrapped.status == 0, "seed \(seed): \(bootstrapped.stderr)")
        #expect(bootstrapped.json?["decision"]?["collect_multimodal"] != .string("yes"), "seed \(seed), bootstrap")
        #expect(bootstrapped.json?["data_size"]?["adequate"] == .bool(false))
      }
    }
  }

  @Test("Independent 10%-noisy copies of a binary label (U1 = U2 = 0), N = 2000: the global test finds the dependence, no term gets a verdict, in 40 seeds")
  func noisyCopies() throws {
    for seed in 0..<40 {
      var g = SplitMix64(seed: UInt64(1000 + seed))
      func copy(_ y: Int) -> Int { g.unit() > 0.9 ? 1 - y : y }
      let rows = 2000
      let d1 = csv(["x1", "y"], rows) { _ in let y = Int(g.next() % 2); return [String(copy(y)), String(y)] }
      let d2 = csv(["x2", "y"], rows) { _ in let y = Int(g.next() % 2); return [String(copy(y)), String(y)] }
      let dm = csv(["x1", "x2"], rows) { _ in let y = Int(g.next() % 2); return [String(copy(y)), String(copy(y))] }
      let dir = try scratch(["d1.csv": d1, "d2.csv": d2, "dm.csv": dm])
      let run = try Run.pidbounds([
        "estimate", "--x1y", dir + "/d1.csv", "--x2y", dir + "/d2.csv", "--x1x2", dir + "/dm.csv", "--codes",
        "--permutations", "19", "--seed", String(seed), "--format", "json",
      ], timeout: 300)
      #expect(run.status == 0, "seed \(seed): \(run.stderr)")
      let significance = try #require(run.json?["significance"])
      #expect(significance["global"]?["rejected"] == .bool(true), "seed \(seed): \(significance["global"] ?? .null), \(run.json?["permutation"]?["unusable_permutations"] ?? .null) unusable")
      for key in ["pid.U1", "pid.U2", "pid.R"] {
        #expect(significance[key]?["significant"] == nil, "seed \(seed) \(key): a verdict without a test of that term")
      }
    }
  }
}
