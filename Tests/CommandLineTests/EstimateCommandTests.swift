import Foundation
import PIDData
import PIDMath
import Testing

/// CSV text of `rows` rows with the given columns, from a row generator.
func csv(_ header: [String], _ rows: Int, _ row: (Int) -> [String]) -> String {
  ([header.joined(separator: ",")] + (0..<rows).map { row($0).joined(separator: ",") }).joined(separator: "\n") + "\n"
}

@Suite("pidbounds estimate")
struct EstimateCommandTests {
  func estimate(_ arguments: [String]) throws -> (Run, JSON?) {
    let run = try Run.pidbounds(["estimate"] + arguments + ["--format", "json"])
    return (run, run.json)
  }

  @Test("Synergy example: the bracket holds the known S = 1 (within 0.01 bits of sampling error) and the validation S")
  func synergy() throws {
    let (run, report) = try estimate(["--example", "synergy"])
    #expect(run.status == 0, "\(run.stderr)")
    let b = try #require(report?["bounds"])
    let lower = try #require(b["S_lower_clipped"]?.doubleValue), upper = try #require(b["S_upper"]?.doubleValue)
    #expect(lower <= 1 && 1 <= upper + 0.01, "[\(lower), \(upper)]")
    #expect(report?["validation"]?["S_inside_bracket"] == .bool(true))
    #expect(abs((report?["pid"]?["R"]?.doubleValue ?? 1)) < 0.05)
  }

  @Test("Redundancy example: high R, small S; validation agrees with the bracket")
  func redundancy() throws {
    let (run, report) = try estimate(["--example", "redundancy"])
    #expect(run.status == 0, "\(run.stderr)")
    #expect((report?["pid"]?["R"]?.doubleValue ?? 0) > 1.9)
    #expect((report?["bounds"]?["S_upper"]?.doubleValue ?? 1) < 0.05)
    #expect(report?["validation"]?["S_inside_bracket"] == .bool(true))
    #expect(report?["decision"]?["fusion"] == .string("simple"))
  }

  @Test("Continuous example: discretization with PCA reported; validation inside the bracket")
  func continuous() throws {
    let (run, report) = try estimate(["--example", "continuous"])
    #expect(run.status == 0, "\(run.stderr)")
    let kept = try #require(report?["discretization"]?["x1"]?["variance_kept"]?.doubleValue)
    #expect(kept > 0 && kept < 1)
    #expect(report?["discretization"]?["x1"]?["pca_components"] == .integer(5))
    #expect(report?["validation"]?["S_inside_bracket"] == .bool(true))
    for key in ["tv_x1y", "tv_x2y", "tv_x1x2"] { #expect(report?["reconciliation"]?[key]?.doubleValue != nil) }
  }

  @Test("The same seed gives byte-identical JSON twice")
  func deterministic() throws {
    let first = try Run.pidbounds(["estimate", "--example", "continuous", "--seed", "7", "--format", "json"])
    let second = try Run.pidbounds(["estimate", "--example", "continuous", "--seed", "7", "--format", "json"])
    #expect(first.status == 0)
    #expect(first.stdout == second.stdout)
    #expect(!first.stdout.isEmpty)
  }

  @Test("--codes on pre-discretized data gives the same numbers as bounds on the tables of the same rows")
  func codesMatchBounds() throws {
    var g = SplitMix64(seed: 11)
    func draw(_ n: Int) -> Int { Int(g.next() % UInt64(n)) }
    var t1 = [[Double]](repeating: [0, 0, 0], count: 4), t2 = [[Double]](repeating: [0, 0, 0], count: 3)
    var t12 = [[Double]](repeating: [0, 0, 0], count: 4)
    let d1 = csv(["x1", "y"], 400) { _ in
      let a = draw(4), y = (a + draw(2)) % 3
      t1[a][y] += 1
      return [String(a), "c\(y)"]
    }
    let d2 = csv(["x2", "y"], 300) { _ in
      let b = draw(3), y = (b * 2 + draw(2)) % 3
      t2[b][y] += 1
      return [String(b), "c\(y)"]
    }
    let dm = csv(["x1", "x2"], 500) { _ in
      let a = draw(4), b = (a + draw(2)) % 3
      t12[a][b] += 1
      return [String(a), String(b)]
    }
    func matrix(_ m: [[Double]]) -> String { "[" + m.map { "[" + $0.map { String(Int($0)) }.joined(separator: ",") + "]" }.joined(separator: ",") + "]" }
    let tables = "{\"p_x1y\": \(matrix(t1)), \"p_x2y\": \(matrix(t2)), \"p_x1x2\": \(matrix(t12))}"
    let dir = try scratch(["d1.csv": d1, "d2.csv": d2, "dm.csv": dm, "tables.json": tables])
    let (run, report) = try estimate(["--x1y", dir + "/d1.csv", "--x2y", dir + "/d2.csv", "--x1x2", dir + "/dm.csv", "--codes"])
    #expect(run.status == 0, "\(run.stderr)")
    let direct = try Run.pidbounds(["bounds", "--marginals", dir + "/tables.json", "--reconcile", "--format", "json"])
    #expect(direct.status == 0, "\(direct.stderr)")
    for block in ["pid", "bounds", "performance", "decision", "reconciliation"] {
      if block == "reconciliation" {
        for key in ["tv_x1y", "tv_x2y", "tv_x1x2"] { #expect(report?[block]?[key] == direct.json?[block]?[key]) }
      } else if block == "decision" {
        // Without the bootstrap estimate states no certain gain; its
        // plug-in reading is the decision of bounds.
        #expect((report?["decision_plugin"] ?? report?[block]) == direct.json?[block], "decision differs")
      } else {
        #expect(report?[block] == direct.json?[block], "\(block) differs")
      }
    }
  }

  @Test("Bad input: one line naming the file (and line), the exit code of CLI.md", arguments: [
    ("missing", "", 66, "no such file"),
    ("empty", "", 65, "empty"),
    ("nolabel", "x1_0,x1_1\n1,2\n3,4\n", 65, "no label column \"y\""),
    ("ragged", "x1_0,y\n1,a\n2\n", 65, ":3: row has 1 fields"),
    ("text", "x1_0,y\n1,a\nabc,b\n", 65, ":3: column x1_0: \"abc\" is not a number"),
    ("nan", "x1_0,y\n1,a\nnan,b\n", 65, "non-finite"),
    ("inf", "x1_0,y\n1,a\ninf,b\n", 65, "non-finite"),
    ("oneclass", "x1_0,y\n1,a\n2,a\n3,a\n", 65, "only one class"),
    ("disjoint", "x1_0,y\n1,p\n2,q\n3,p\n", 65, "disjoint label sets"),
  ] as [(String, String, Int32, String)])
  func badInput(name: String, d1: String, status: Int32, message: String) throws {
    var g = SplitMix64(seed: 3)
    let d2 = csv(["x2_0", "y"], 40) { i in [String(Double(g.next() % 100) / 10), i % 2 == 0 ? "a" : "b"] }
    let dm = csv(["x1_0", "x2_0"], 40) { _ in [String(Double(g.next() % 100) / 10), String(Double(g.next() % 100) / 10)] }
    var files = ["d2.csv": d2, "dm.csv": dm]
    if name != "missing" { files[name + ".csv"] = d1 }
    let dir = try scratch(files)
    let out = dir + "/report.json"
    let run = try Run.pidbounds(["estimate", "--x1y", dir + "/\(name).csv", "--x2y", dir + "/d2.csv", "--x1x2", dir + "/dm.csv",
                                 "--clusters", "3", "--output", out])
    #expect(run.status == status, "\(name): \(run.stderr)")
    #expect(run.stderr.contains(message), "\(name): \(run.stderr)")
    #expect(run.stderr.split(separator: "\n").count == 1, "\(name): \(run.stderr)")
    #expect(!FileManager.default.fileExists(atPath: out), "\(name): partial output written")
  }

  @Test("More clusters than rows is refused")
  func tooManyClusters() throws {
    let d1 = csv(["x1", "y"], 5) { i in [String(i), i % 2 == 0 ? "a" : "b"] }
    let d2 = csv(["x2", "y"], 5) { i in [String(i), i % 2 == 0 ? "a" : "b"] }
    let dm = csv(["x1", "x2"], 5) { i in [String(i), String(i)] }
    let dir = try scratch(["d1.csv": d1, "d2.csv": d2, "dm.csv": dm])
    let run = try Run.pidbounds(["estimate", "--x1y", dir + "/d1.csv", "--x2y", dir + "/d2.csv", "--x1x2", dir + "/dm.csv",
                                 "--clusters", "20", "--format", "json"])
    #expect(run.status == 65)
    #expect(run.stderr.contains("--clusters 20 is more than the 10 rows of modality x1"), "\(run.stderr)")
  }

  @Test("Labels are checked before clusters: one class and too few rows reports the one class, plainly and on 2 ranks")
  func labelsBeforeClusters() throws {
    let d1 = csv(["x1", "y"], 5) { i in [String(i), "a"] }
    let d2 = csv(["x2", "y"], 5) { i in [String(i), i % 2 == 0 ? "a" : "b"] }
    let dm = csv(["x1", "x2"], 5) { i in [String(i), String(i)] }
    let dir = try scratch(["d1.csv": d1, "d2.csv": d2, "dm.csv": dm])
    let arguments = ["estimate", "--x1y", dir + "/d1.csv", "--x2y", dir + "/d2.csv", "--x1x2", dir + "/dm.csv", "--format", "json"]
    var runs = [try Run.pidbounds(arguments)]
    if MPITests.mpirunAvailable { runs.append(try Run.pidbounds(arguments, mpiRanks: 2)) }
    for run in runs {
      #expect(run.status == 65)
      #expect(run.stderr.contains("only one class (a)"), "\(run.stderr)")
      #expect(run.stderr.split(separator: "\n").filter { $0.contains("pidbounds: error") }.count == 1, "\(run.stderr)")
    }
  }
}

/// The bytes of a version-1 `.npy` file of `<f8` values (or another dtype
/// text with raw `payload`).
func npy(rows: Int, columns: Int, values: [Double], dtype: String = "<f8", payload: [UInt8]? = nil) -> [UInt8] {
  var header = "{'descr': '\(dtype)', 'fortran_order': False, 'shape': (\(rows), \(columns)), }"
  while (10 + header.count + 1) % 64 != 0 { header += " " }
  header += "\n"
  var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)]
  bytes += Array(header.utf8)
  if let payload { return bytes + payload }
  for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes += $0 } }
  return bytes
}

@Suite("pidbounds estimate with .npy files")
struct NumpyTests {
  func files(_ extra: [String: [UInt8]] = [:]) throws -> String {
    var g = SplitMix64(seed: 5)
    func value() -> Double { Double(g.next() % 1000) / 100 }
    var d1: [Double] = [], d2: [Double] = [], dm: [Double] = []
    for i in 0..<60 { d1 += [value(), value(), Double(i % 2)] }
    for i in 0..<60 { d2 += [value(), Double(i % 2)] }
    for _ in 0..<60 { dm += [value(), value(), value()] }
    let dir = try scratch([:])
    var all: [String: [UInt8]] = [
      "d1.npy": npy(rows: 60, columns: 3, values: d1), "d2.npy": npy(rows: 60, columns: 2, values: d2),
      "dm.npy": npy(rows: 60, columns: 3, values: dm),
    ]
    for (k, v) in extra { all[k] = v }
    for (name, bytes) in all { try Data(bytes).write(to: URL(fileURLWithPath: dir + "/" + name)) }
    return dir
  }

  @Test("D1, D2 (features then label) and DM (x1 then x2 features) as .npy")
  func reads() throws {
    let dir = try files()
    let run = try Run.pidbounds(["estimate", "--x1y", dir + "/d1.npy", "--x2y", dir + "/d2.npy", "--x1x2", dir + "/dm.npy",
                                 "--clusters", "4", "--format", "json"])
    #expect(run.status == 0, "\(run.stderr)")
    #expect(run.json?["labels"] == .array([.string("0"), .string("1")]))
    #expect(run.json?["datasets"]?["rows_x1x2"] == .integer(60))
  }

  @Test("Unsupported dtype and truncated data are refused naming the file", arguments: [
    ("complex.npy", "unsupported .npy dtype <c16"), ("short.npy", "truncated .npy data"),
  ])
  func bad(name: String, message: String) throws {
    let dir = try files([
      "complex.npy": npy(rows: 2, columns: 2, values: [], dtype: "<c16", payload: [UInt8](repeating: 0, count: 64)),
      "short.npy": npy(rows: 60, columns: 3, values: [], payload: [UInt8](repeating: 0, count: 100)),
    ])
    let run = try Run.pidbounds(["estimate", "--x1y", dir + "/d1.npy", "--x2y", dir + "/d2.npy", "--x1x2", dir + "/" + name,
                                 "--clusters", "4", "--format", "json"])
    #expect(run.status == 65, "\(run.stderr)")
    #expect(run.stderr.contains(message) && run.stderr.contains(name), "\(run.stderr)")
  }
}

@Suite("pidbounds estimate with more than two modalities")
struct ModalitiesTests {
  @Test("Three modalities: every pair analysed, with a summary")
  func threeModalities() throws {
    var g = SplitMix64(seed: 9)
    func v() -> String { String(Double(g.next() % 1000) / 100) }
    let a = csv(["a_0", "a_1", "y"], 80) { i in [v(), v(), String(i % 2)] }
    let b = csv(["b", "y"], 80) { i in [v(), String(i % 2)] }
    let c = csv(["c_0", "y"], 80) { i in [v(), String(i % 2)] }
    let u = csv(["a_0", "a_1", "b", "c_0"], 80) { _ in [v(), v(), v(), v()] }
    let dir = try scratch(["a.csv": a, "b.csv": b, "c.csv": c, "u.csv": u])
    let run = try Run.pidbounds([
      "estimate", "--modality", "A=a", "--modality", "B=b", "--modality", "C=c",
      "--labeled", "A=\(dir)/a.csv", "--labeled", "B=\(dir)/b.csv", "--labeled", "C=\(dir)/c.csv",
      "--unlabeled", dir + "/u.csv", "--clusters", "3", "--format", "json",
    ])
    #expect(run.status == 0, "\(run.stderr)")
    guard case .array(let summary)? = run.json?["summary"], case .array(let pairs)? = run.json?["pairs"] else {
      Issue.record("no summary/pairs")
      return
    }
    #expect(summary.count == 3 && pairs.count == 3)
    #expect(pairs[2]["x1"] == .string("B") && pairs[2]["x2"] == .string("C"))
    for pair in pairs { #expect(pair["bounds"]?["S_upper"]?.doubleValue != nil) }
  }

  @Test("--modality under mpirun: pairs spread over 2, 3 and 4 ranks give one process's report, and its first error",
        .enabled(if: MPITests.mpirunAvailable))
  func modalitiesOverRanks() throws {
    var g = SplitMix64(seed: 11)
    func v() -> String { String(Double(g.next() % 1000) / 100) }
    let a = csv(["a_0", "a_1", "y"], 80) { i in [v(), v(), String(i % 2)] }
    let b = csv(["b", "y"], 90) { i in [v(), String(i % 3)] }
    let c = csv(["c_0", "y"], 70) { i in [v(), String(i % 2)] }
    let d = csv(["d", "y"], 60) { i in [v(), String(i % 2)] }
    let u = csv(["a_0", "a_1", "b", "c_0", "d"], 50) { _ in [v(), v(), v(), v(), v()] }
    // Few rows for C and D: with --clusters 4 pairs 1 (A, C) and 2 (A, D)
    // fail, each naming its own file.
    let shortC = csv(["c_0", "y"], 2) { i in [v(), String(i % 2)] }
    let shortD = csv(["d", "y"], 2) { i in [v(), String(i % 2)] }
    let shortU = csv(["a_0", "a_1", "b", "c_0", "d"], 1) { _ in [v(), v(), v(), v(), v()] }
    let dir = try scratch(["a.csv": a, "b.csv": b, "c.csv": c, "d.csv": d, "u.csv": u,
                           "c2.csv": shortC, "d2.csv": shortD, "u1.csv": shortU])
    func arguments(c: String, d: String, u: String, clusters: Int) -> [String] {
      ["estimate", "--modality", "A=a", "--modality", "B=b", "--modality", "C=c", "--modality", "D=d",
       "--labeled", "A=\(dir)/a.csv", "--labeled", "B=\(dir)/b.csv", "--labeled", "C=\(dir)/\(c)",
       "--labeled", "D=\(dir)/\(d)", "--unlabeled", "\(dir)/\(u)", "--clusters", String(clusters), "--format", "json"]
    }
    // The report's text without its rank count.
    func withoutRanks(_ run: Run) -> [Substring] {
      run.stdout.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.hasPrefix("  \"ranks\": ") }
    }
    let good = arguments(c: "c.csv", d: "d.csv", u: "u.csv", clusters: 3)
    let one = try Run.pidbounds(good)
    #expect(one.status == 0, "\(one.stderr)")
    guard case .array(let pairs)? = one.json?["pairs"] else {
      Issue.record("no pairs: \(one.stdout)")
      return
    }
    #expect(pairs.count == 6)
    for ranks in [2, 3, 4] {
      let run = try Run.pidbounds(good, mpiRanks: ranks)
      #expect(run.status == 0, "\(ranks) ranks: \(run.stderr)")
      #expect(run.json?["ranks"] == .integer(ranks))
      #expect(withoutRanks(run) == withoutRanks(one), "\(ranks) ranks: another report")
    }
    // Pair 1's error is one process's. Two ranks: rank 0 fails on pair 2
    // (d2.csv), rank 1 on pair 1; four ranks: rank 0 on pair 4 (B, D:
    // d2.csv), ranks 1 to 3 on pairs 1 to 3. (On three ranks rank 0's
    // pair 3, B and C, fails with pair 1's line.)
    let failing = arguments(c: "c2.csv", d: "d2.csv", u: "u1.csv", clusters: 4)
    let expected = "\(dir)/c2.csv: --clusters 4 is more than the 3 rows of modality x2"
    for ranks in [nil, 2, 3, 4] {
      let run = try Run.pidbounds(failing, mpiRanks: ranks)
      #expect(run.status == 65, "\(String(describing: ranks)) ranks: \(run.stderr)")
      let errors = run.stderr.split(separator: "\n").filter { $0.contains("pidbounds: error") }
      #expect(errors == ["pidbounds: error: \(expected)"], "\(String(describing: ranks)) ranks: \(run.stderr)")
      #expect(run.stdout.isEmpty)
    }
  }

  @Test("A missing --labeled file for a modality is a usage error")
  func missingLabeled() throws {
    let run = try Run.pidbounds(["estimate", "--modality", "A=a", "--modality", "B=b", "--labeled", "A=x.csv", "--unlabeled", "u.csv"])
    #expect(run.status == 64)
    #expect(run.stderr.contains("--labeled"))
  }
}

@Suite("Bootstrap over MPI ranks")
struct BootstrapTests {
  /// Small coded datasets (fast in a debug build).
  func data() throws -> String {
    var g = SplitMix64(seed: 21)
    func draw(_ n: Int) -> Int { Int(g.next() % UInt64(n)) }
    let d1 = csv(["x1", "y"], 200) { _ in let a = draw(3); return [String(a), "c\((a + draw(2)) % 2)"] }
    let d2 = csv(["x2", "y"], 200) { _ in let b = draw(3); return [String(b), "c\((b + draw(3)) % 2)"] }
    let dm = csv(["x1", "x2"], 200) { _ in let a = draw(3); return [String(a), String((a + draw(2)) % 3)] }
    return try scratch(["d1.csv": d1, "d2.csv": d2, "dm.csv": dm])
  }

  func arguments(_ dir: String, replicates: Int = 16) -> [String] {
    ["estimate", "--x1y", dir + "/d1.csv", "--x2y", dir + "/d2.csv", "--x1x2", dir + "/dm.csv", "--codes",
     "--bootstrap", String(replicates), "--seed", "3", "--format", "json"]
  }

  @Test("Bootstrap keys of CLI.md: intervals, standard errors, corrected values, the S bracket")
  func keys() throws {
    let dir = try data()
    let run = try Run.pidbounds(arguments(dir))
    #expect(run.status == 0, "\(run.stderr)")
    let report = try #require(run.json)
    #expect(report["bootstrap"]?["replicates"] == .integer(16))
    #expect(report["bootstrap"]?["seed"] == .integer(3))
    for key in ["estimate", "lo", "hi", "se"] {
      #expect(report["bootstrap"]?["bounds"]?["S_lower"]?[key] != nil, "bootstrap.bounds.S_lower.\(key)")
      #expect(report["bootstrap"]?["pid"]?["R"]?[key]?.doubleValue != nil, "bootstrap.pid.R.\(key)")
    }
    let lo = try #require(report["bootstrap"]?["pid"]?["R"]?["lo"]?.doubleValue)
    let hi = try #require(report["bootstrap"]?["pid"]?["R"]?["hi"]?.doubleValue)
    #expect(lo <= hi)
    #expect(report["corrected"]?["bounds"]?["S_lower"]?.doubleValue != nil)
    #expect(report["corrected"]?["method"] != nil)
    #expect(report["bootstrap"]?["S_bracket"]?["hi"]?.doubleValue != nil)
  }

  @Test("--bootstrap 200: identical JSON (except ranks) plainly and with 1, 2, 3 and 4 ranks", .enabled(if: MPITests.mpirunAvailable))
  func rankIndependent() throws {
    let dir = try data()
    let plain = try Run.pidbounds(arguments(dir, replicates: 200))
    #expect(plain.status == 0, "\(plain.stderr)")
    #expect(plain.json?["bootstrap"]?["replicates"] == .integer(200))
    func strip(_ json: JSON?) -> JSON? {
      guard case .object(let members)? = json else { return nil }
      return .object(members.filter { $0.0 != "ranks" })
    }
    for ranks in [1, 2, 3, 4] {
      let run = try Run.pidbounds(arguments(dir, replicates: 200), mpiRanks: ranks, timeout: 300)
      #expect(run.status == 0, "\(ranks) ranks: \(run.stderr)")
      #expect(run.json?["ranks"] == .integer(ranks))
      #expect(strip(run.json) == strip(plain.json), "\(ranks) ranks differ")
    }
  }

  @Test("Clustered features: the k-means restarts shared by 2 and 3 ranks give the JSON of one process",
        .enabled(if: MPITests.mpirunAvailable))
  func clusteringOverRanks() throws {
    // 5 restarts per modality: 10 restarts, uneven over 3 ranks. (On this
    // example with 5 clusters the restarts end in different codebooks, so
    // running a wrong restart changes the cluster sizes.)
    let arguments = ["estimate", "--example", "synergy", "--clusters", "5", "--restarts", "5", "--seed", "7",
                     "--sharp-nodes", "20", "--bootstrap", "6", "--format", "json"]
    let plain = try Run.pidbounds(arguments)
    #expect(plain.status == 0, "\(plain.stderr)")
    func strip(_ json: JSON?) -> JSON? {
      guard case .object(let members)? = json else { return nil }
      return .object(members.filter { $0.0 != "ranks" && $0.0 != "timing" })
    }
    // Clustered (not given codes): the cluster sizes are part of the comparison.
    #expect(plain.json?["discretization"]?["x1"]?["sizes"] != nil)
    #expect(plain.json?["discretization"]?["x1"]?["method"] == nil)
    for ranks in [2, 3] {
      let run = try Run.pidbounds(arguments, mpiRanks: ranks, timeout: 300)
      #expect(run.status == 0, "\(ranks) ranks: \(run.stderr)")
      let same = strip(run.json) == strip(plain.json)
      #expect(same, "\(ranks) ranks differ; cluster sizes \(String(describing: run.json?["discretization"])) against \(String(describing: plain.json?["discretization"]))")
    }
  }

  @Test("CSV files parsed in parts by 3 ranks: the JSON, and the first error, of one reader; a pipe is read by rank 0 alone",
        .enabled(if: MPITests.mpirunAvailable))
  func readingOverRanks() throws {
    let real = packageRoot + "/Tests/Fixtures/real/wine"
    let dir = try scratch([:])
    for name in ["d1.csv", "d2.csv", "dm.csv"] { try FileManager.default.copyItem(atPath: real + "/" + name, toPath: dir + "/" + name) }
    // D1 with a bad value near its end (in the last rank's part), and a
    // second one further on (not reported: the first one is).
    var lines = try String(contentsOfFile: dir + "/d1.csv", encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
    let bad = lines.count - 6
    lines[bad] = "oops," + lines[bad].split(separator: ",", maxSplits: 1)[1]
    lines[bad + 2] = "1e999," + lines[bad + 2].split(separator: ",", maxSplits: 1)[1]
    try lines.joined(separator: "\n").write(toFile: dir + "/bad.csv", atomically: true, encoding: .utf8)
    func arguments(_ d1: String) -> [String] {
      ["estimate", "--x1y", d1, "--x2y", dir + "/d2.csv", "--x1x2", dir + "/dm.csv", "--clusters", "4", "--seed", "5",
       "--sharp-nodes", "20", "--format", "json", "--timing"]
    }
    func strip(_ json: JSON?) -> JSON? {
      guard case .object(let members)? = json else { return nil }
      return .object(members.filter { $0.0 != "ranks" && $0.0 != "timing" })
    }
    let plain = try Run.pidbounds(arguments(dir + "/d1.csv"))
    #expect(plain.status == 0, "\(plain.stderr)")
    let parts = try Run.pidbounds(arguments(dir + "/d1.csv"), mpiRanks: 3, timeout: 300)
    #expect(parts.status == 0, "\(parts.stderr)")
    #expect(strip(parts.json) == strip(plain.json))
    #expect(parts.json?["timing"]?["reading"]?["ranks"] == .integer(3))
    #expect(parts.json?["timing"]?["reading"]?["alone_because"] == nil)
    // No jobs: the ranks shared the G² p-value's draws (fit.p_value is
    // compared above).
    #expect(parts.json?["timing"]?["fit_p_value_seconds"]?.doubleValue != nil)
    #expect(plain.json?["timing"]?["fit_p_value_seconds"] == nil)

    let wrong = try Run.pidbounds(arguments(dir + "/bad.csv"))
    #expect(wrong.status == 65)
    #expect(wrong.stderr.contains("bad.csv:\(bad + 1): column x1_0: \"oops\" is not a number"), "\(wrong.stderr)")
    let wrongParts = try Run.pidbounds(arguments(dir + "/bad.csv"), mpiRanks: 3, timeout: 300)
    #expect(wrongParts.status == 65)
    let errors = { (run: Run) in run.stderr.split(separator: "\n").filter { $0.hasPrefix("pidbounds: error") } }
    #expect(errors(wrongParts) == errors(wrong), "\(wrongParts.stderr)")

    // A named pipe: rank 0 reads it alone (the other ranks do not open it).
    let fifo = dir + "/d1.fifo"
    #expect(mkfifo(fifo, 0o600) == 0)
    let writer = Process()
    writer.executableURL = URL(fileURLWithPath: "/bin/sh")
    writer.arguments = ["-c", "cat '\(dir)/d1.csv' > '\(fifo)'"]
    try writer.run()
    let piped = try Run.pidbounds(arguments(fifo), mpiRanks: 2, timeout: 300)
    writer.waitUntilExit()
    #expect(piped.status == 0, "\(piped.stderr)")
    #expect(strip(piped.json) == strip(plain.json))
    #expect(piped.json?["timing"]?["reading"]?["ranks"] == .integer(1))
    #expect(piped.json?["timing"]?["reading"]?["alone_because"] == .string("\(fifo) is not a regular file"))
  }

  @Test("A data error under mpirun -np 2 ends every rank with one message", .enabled(if: MPITests.mpirunAvailable))
  func errorUnderMPI() throws {
    let dir = try data()
    let run = try Run.pidbounds(["estimate", "--x1y", dir + "/missing.csv", "--x2y", dir + "/d2.csv", "--x1x2", dir + "/dm.csv",
                                 "--codes", "--bootstrap", "8"], mpiRanks: 2)
    #expect(run.status == 66, "\(run.stderr)")
    #expect(run.stderr.split(separator: "\n").filter { $0.contains("pidbounds: error") }.count == 1, "\(run.stderr)")
  }
}

@Suite("Checkpoints and termination", .serialized)
struct CheckpointTests {
  /// Starts `pidbounds` (optionally under mpirun) without waiting.
  func launch(_ arguments: [String], ranks: Int?) throws -> Process {
    let process = Process()
    var environment = ProcessInfo.processInfo.environment
    if let ranks {
      process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
      process.arguments = ["mpirun", "--timeout", "300", "-np", String(ranks), Run.binary] + arguments
      for (k, v) in [("OMPI_ALLOW_RUN_AS_ROOT", "1"), ("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1"),
                     ("OMPI_MCA_rmaps_base_oversubscribe", "1"), ("OMPI_MCA_btl", "self,vader")] { environment[k] = v }
    } else {
      process.executableURL = URL(fileURLWithPath: Run.binary)
      process.arguments = arguments
    }
    process.environment = environment
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    return process
  }

  /// The process ids of `process`'s children (mpirun's ranks).
  func childProcesses(of process: Process) throws -> [Int32] {
    let finder = Process()
    finder.executableURL = URL(fileURLWithPath: "/usr/bin/pgrep")
    finder.arguments = ["-P", String(process.processIdentifier)]
    let pipe = Pipe()
    finder.standardOutput = pipe
    try finder.run()
    finder.waitUntilExit()
    return String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
      .split(separator: "\n").compactMap { Int32($0) }
  }

  /// Waits until the checkpoint holds at least `records` replicates.
  func waitForRecords(_ path: String, _ records: Int) -> Int {
    for _ in 0..<1200 {
      let lines = (try? String(contentsOfFile: path, encoding: .utf8))?.split(separator: "\n").count ?? 0
      if lines - 1 >= records { return lines - 1 }
      usleep(100_000)
    }
    return -1
  }

  func arguments(_ checkpoint: String, _ count: Int) -> [String] {
    // (A small sharp-bound budget: the node LPs of every replicate are not
    // what these tests are about.)
    ["estimate", "--example", "synergy", "--clusters", "6", "--sharp-nodes", "50", "--bootstrap", String(count),
     "--checkpoint", checkpoint, "--format", "json"]
  }

  @Test("SIGKILL to mpirun mid-bootstrap, then the same command resumes to the identical result",
        .enabled(if: MPITests.mpirunAvailable))
  func killAndResume() throws {
    let dir = try scratch([:])
    let checkpoint = dir + "/ck"
    let reference = try Run.pidbounds(["estimate", "--example", "synergy", "--clusters", "6", "--sharp-nodes", "50",
                                       "--bootstrap", "60", "--format", "json"])
    #expect(reference.status == 0)
    let process = try launch(arguments(checkpoint, 60), ranks: 2)
    let seen = waitForRecords(checkpoint, 8)
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
    usleep(500_000)
    #expect(seen >= 8 && seen < 60, "checkpoint had \(seen) records when killed")
    // mpirun's timeout only guards against a hang: the debug binary on a
    // loaded CI machine needs well over a minute for the remaining replicates.
    let resumed = try Run.pidbounds(arguments(checkpoint, 60), mpiRanks: 2, timeout: 300)
    #expect(resumed.status == 0, "\(resumed.stderr)")
    guard case .object(let a)? = reference.json, case .object(let b)? = resumed.json else {
      Issue.record("no JSON")
      return
    }
    #expect(JSON.object(a.filter { $0.0 != "ranks" }) == JSON.object(b.filter { $0.0 != "ranks" }))
  }

  @Test("SIGTERM ends a plain run with 75 after flushing the checkpoint")
  func terminatePlain() throws {
    let dir = try scratch([:])
    let checkpoint = dir + "/ck"
    let process = try launch(arguments(checkpoint, 400), ranks: nil)
    #expect(waitForRecords(checkpoint, 4) >= 4)
    process.terminate()  // SIGTERM
    process.waitUntilExit()
    #expect(process.terminationStatus == 75)
    let lines = try String(contentsOfFile: checkpoint, encoding: .utf8).split(separator: "\n").count
    #expect(lines > 4 && lines < 401)
  }

  @Test("A rank killed mid-bootstrap ends the whole job, well within mpirun's timeout", .enabled(if: MPITests.mpirunAvailable))
  func rankKilled() throws {
    let dir = try scratch([:])
    let checkpoint = dir + "/ck"
    let started = Date()
    let process = try launch(arguments(checkpoint, 400), ranks: 2)
    #expect(waitForRecords(checkpoint, 4) >= 4)
    let children = try childProcesses(of: process)
    #expect(children.count == 2)
    if let victim = children.last { kill(victim, SIGKILL) }
    process.waitUntilExit()
    #expect(process.terminationStatus != 0)
    #expect(Date().timeIntervalSince(started) < 250, "the job should end long before the 300 s timeout")
  }

  @Test("SIGTERM to the ranks under mpirun: every rank stops, exit 75", .enabled(if: MPITests.mpirunAvailable))
  func terminateRanks() throws {
    let dir = try scratch([:])
    let checkpoint = dir + "/ck"
    let process = try launch(arguments(checkpoint, 400), ranks: 2)
    #expect(waitForRecords(checkpoint, 4) >= 4)
    // The ranks are mpirun's children (what a batch scheduler signals).
    let children = try childProcesses(of: process)
    #expect(children.count == 2, "children: \(children)")
    for child in children { kill(child, SIGTERM) }
    process.waitUntilExit()
    #expect(process.terminationStatus == 75)
  }
}

@Suite("Permutation null")
struct PermutationTests {
  @Test("p-values for every PID term and bound; --bootstrap, --permutations and --interval bca together give the same JSON with 1 and 3 ranks")
  func permutations() throws {
    let dir = try BootstrapTests().data()
    let arguments = ["estimate", "--x1y", dir + "/d1.csv", "--x2y", dir + "/d2.csv", "--x1x2", dir + "/dm.csv", "--codes",
                     "--bootstrap", "12", "--permutations", "19", "--interval", "bca", "--seed", "4", "--format", "json"]
    let plain = try Run.pidbounds(arguments)
    #expect(plain.status == 0, "\(plain.stderr)")
    let block = try #require(plain.json?["permutation"])
    #expect(block["permutations"] == .integer(19))
    for key in ["R", "U1", "U2"] {
      let p = try #require(block["p_values"]?["pid"]?[key]?.doubleValue)
      #expect(p >= 1.0 / 20 && p <= 1)
    }
    #expect(block["p_values"]?["bounds"]?["S_lower"] != nil)
    guard MPITests.mpirunAvailable else { return }
    func strip(_ json: JSON?) -> JSON? {
      guard case .object(let members)? = json else { return nil }
      return .object(members.filter { $0.0 != "ranks" })
    }
    for ranks in [1, 3] {
      let run = try Run.pidbounds(arguments, mpiRanks: ranks, timeout: 300)
      #expect(run.status == 0, "\(run.stderr)")
      #expect(strip(run.json) == strip(plain.json), "\(ranks) ranks differ")
    }
  }

  @Test("A strong dependence is significant: redundancy example, R has the smallest possible p-value")
  func significant() throws {
    let run = try Run.pidbounds(["estimate", "--example", "redundancy", "--clusters", "4", "--permutations", "19", "--format", "json"])
    #expect(run.status == 0, "\(run.stderr)")
    #expect(run.json?["permutation"]?["p_values"]?["pid"]?["R"] == .number(1.0 / 20))
  }
}

@Suite("Finite-sample bias and significance")
struct BiasTests {
  /// 20x20x2 codes with the label independent of both modalities (and the
  /// modalities independent): D1, D2, DM and DL of `rows` rows each.
  func nullData(rows: Int, seed: UInt64) throws -> String {
    var g = SplitMix64(seed: seed)
    func draw(_ n: Int) -> String { String(g.next() % UInt64(n)) }
    return try scratch([
      "d1.csv": csv(["x1", "y"], rows) { _ in [draw(20), draw(2)] },
      "d2.csv": csv(["x2", "y"], rows) { _ in [draw(20), draw(2)] },
      "dm.csv": csv(["x1", "x2"], rows) { _ in [draw(20), draw(20)] },
      "dl.csv": csv(["x1", "x2", "y"], rows) { _ in [draw(20), draw(20), draw(2)] },
    ])
  }

  @Test("Label independent of both modalities (20x20x2 codes): plug-in synergy biased as predicted, corrected values near zero, p-values not small",
        arguments: [500, 2000])
  func independentLabel(rows: Int) throws {
    let dir = try nullData(rows: rows, seed: UInt64(rows))
    let run = try Run.pidbounds([
      "estimate", "--x1y", dir + "/d1.csv", "--x2y", dir + "/d2.csv", "--x1x2", dir + "/dm.csv", "--x1x2y", dir + "/dl.csv",
      "--codes", "--bootstrap", "30", "--permutations", "39", "--seed", "5", "--format", "json",
    ], mpiRanks: MPITests.mpirunAvailable ? 2 : nil, timeout: 1200)  // 65 s idle (debug), a hang guard
    #expect(run.status == 0, "\(run.stderr)")
    let report = try #require(run.json)
    // The plug-in synergy of DL is about (n1 n2 - 1)(k - 1) / (2 N ln 2).
    let predicted = 399 / (2 * Double(rows) * 0.6931471805599453)
    let plugIn = try #require(report["validation"]?["S"]?.doubleValue)
    #expect(plugIn > 0.6 * predicted && plugIn < 1.5 * predicted, "plug-in S \(plugIn), predicted bias \(predicted)")
    // The bootstrap correction removes much of that bias but not all of it
    // with 1 to 2.5 rows per cell of DL (it estimates the bias at the
    // empirical table, which has fewer occupied cells than the truth).
    let correctedS = try #require(report["corrected"]?["validation"]?["S"]?.doubleValue)
    #expect(correctedS < (rows >= 2000 ? 0.5 : 0.9) * plugIn, "corrected S \(correctedS), plug-in \(plugIn)")
    // The synergy bounds and R: corrected below the plug-in value, and the
    // interval of the corrected value holds 0.
    for (block, key) in [("bounds", "S_lower_clipped"), ("bounds", "S_R_relaxed"), ("pid", "R")] {
      let statistic = try #require(report["bootstrap"]?[block]?[key])
      let estimate = try #require(statistic["estimate"]?.doubleValue)
      let corrected = try #require(report["corrected"]?[block]?[key]?.doubleValue)
      let lo = try #require(statistic["basic_lo"]?.doubleValue), hi = try #require(statistic["basic_hi"]?.doubleValue)
      #expect(corrected < estimate, "\(block).\(key): corrected \(corrected) vs plug-in \(estimate)")
      #expect(lo <= 0 && 0 <= hi, "\(block).\(key): interval of the corrected value [\(lo), \(hi)]")
      #expect(lo <= corrected && corrected <= hi)
    }
    // Under the null the global test's p-value is uniform (fixed seeds:
    // this draw is not small), and no term gets a verdict of its own.
    let global = try #require(report["significance"]?["global"])
    let p = try #require(global["p_value"]?.doubleValue)
    #expect(p > 0.05 && global["rejected"] == .bool(false), "\(global)")
    for key in ["pid.R", "pid.U1", "pid.U2", "bounds.S_lower_clipped", "validation.S"] {
      let term = try #require(report["significance"]?[key])
      #expect(term["significant"] == nil && term["interval"] != nil, "\(key): \(term)")
    }
    // Too many clusters for the rows: the report says so.
    #expect(report["data_size"]?["adequate"] == .bool(false))
    #expect((report["data_size"]?["supported_clusters"]?.doubleValue ?? 99) < 20)
  }

  @Test("Bundled synergy example with 1,000 rows: the global test sees the dependence through DL (p < 0.01), and the table says so")
  func synergySignificant() throws {
    let arguments = ["estimate", "--example", "synergy", "--rows", "1000", "--clusters", "4", "--permutations", "199", "--seed", "1"]
    let run = try Run.pidbounds(arguments + ["--format", "json"], mpiRanks: MPITests.mpirunAvailable ? 2 : nil, timeout: 600)
    #expect(run.status == 0, "\(run.stderr)")
    let p = try #require(run.json?["permutation"]?["p_values"]?["validation"]?["S"]?.doubleValue)
    #expect(p < 0.01)
    let global = try #require(run.json?["significance"]?["global"])
    #expect((global["p_value"]?.doubleValue ?? 1) < 0.01 && global["rejected"] == .bool(true), "\(global)")
    // XOR synergy leaves every pairwise table independent: only DL shows
    // it, and no term is given a verdict.
    #expect(run.json?["significance"]?["bounds.S_lower_clipped"]?["significant"] == nil)
    let table = try Run.pidbounds(arguments + ["--format", "table"], mpiRanks: MPITests.mpirunAvailable ? 2 : nil, timeout: 600)
    #expect(table.stdout.contains("the label depends on the modalities (permutation test, p = 0.005)"), "\(table.stdout)")
    #expect(table.stdout.contains("terms get intervals, not verdicts"), "\(table.stdout)")
  }

  @Test("--interval bca: BCa intervals next to the percentile ones, in the table and the S bracket")
  func bca() throws {
    let dir = try BootstrapTests().data()
    let base = ["estimate", "--x1y", dir + "/d1.csv", "--x2y", dir + "/d2.csv", "--x1x2", dir + "/dm.csv", "--codes",
                "--bootstrap", "40", "--seed", "2"]
    let run = try Run.pidbounds(base + ["--interval", "bca", "--format", "json"])
    #expect(run.status == 0, "\(run.stderr)")
    let report = try #require(run.json)
    #expect(report["bootstrap"]?["interval"] == .string("bca"))
    #expect((report["bootstrap"]?["jackknife_evaluations"]?.doubleValue ?? 0) > 0)
    let r = try #require(report["bootstrap"]?["pid"]?["R"])
    let lo = try #require(r["bca_lo"]?.doubleValue), hi = try #require(r["bca_hi"]?.doubleValue)
    #expect(lo <= hi)
    #expect(report["bootstrap"]?["S_bracket"] == report["bootstrap"]?["S_bracket_bca"])
    let table = try Run.pidbounds(base + ["--interval", "bca", "--format", "table"])
    #expect(table.stdout.contains("BCa intervals"), "\(table.stdout)")
    // Without --interval bca there is no jackknife and no BCa key.
    let plain = try Run.pidbounds(base + ["--format", "json"])
    #expect(plain.json?["bootstrap"]?["pid"]?["R"]?["bca_lo"] == nil)
    #expect(plain.json?["bootstrap"]?["jackknife_evaluations"] == .integer(0))
    let refused = try Run.pidbounds(["estimate", "--example", "synergy", "--interval", "bca"])
    #expect(refused.status == 64, "\(refused.stderr)")
  }

  @Test("Miller–Madow block: below the plug-in information of the same counts")
  func millerMadow() throws {
    let dir = try nullData(rows: 300, seed: 9)
    let run = try Run.pidbounds(["estimate", "--x1y", dir + "/d1.csv", "--x2y", dir + "/d2.csv", "--x1x2", dir + "/dm.csv",
                                 "--codes", "--format", "json"])
    #expect(run.status == 0, "\(run.stderr)")
    let block = try #require(run.json?["miller_madow"])
    let corrected = try #require(block["I_x1x2"]?.doubleValue)
    let plugIn = try #require(run.json?["bounds"]?["I_x1x2"]?.doubleValue)
    #expect(corrected < plugIn)
  }
}
