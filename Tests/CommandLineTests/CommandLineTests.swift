import Foundation
import PIDData
import PIDMath
import Testing

/// Runs the built `pidbounds` binary (never MPI in this process).
struct Run {
  var status: Int32
  var stdout: String
  var stderr: String

  static let packageRoot: String = {
    var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)
    return parts.joined(separator: "/")
  }()

  static let binary: String = {
    if let path = ProcessInfo.processInfo.environment["PIDBOUNDS_BINARY"] { return path }
    return packageRoot + "/.build/debug/pidbounds"
  }()

  /// Runs the binary (`executable`, by default the built one), under
  /// `mpirun -np mpiRanks --timeout timeout` when `mpiRanks` is given, with
  /// `extraEnvironment` added to this process's environment (over the
  /// Open MPI settings used with `mpiRanks`).
  static func pidbounds(_ arguments: [String], mpiRanks: Int? = nil, timeout: Int = 60,
                        executable: String = Run.binary, extraEnvironment: [String: String] = [:]) throws -> Run {
    let process = Process()
    var environment = ProcessInfo.processInfo.environment
    if let ranks = mpiRanks {
      process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
      process.arguments = ["mpirun", "--timeout", String(timeout), "-np", String(ranks), executable] + arguments
      environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
      environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
      environment["OMPI_MCA_rmaps_base_oversubscribe"] = "1"
      environment["OMPI_MCA_btl"] = "self,vader"
    } else {
      process.executableURL = URL(fileURLWithPath: executable)
      process.arguments = arguments
    }
    environment.merge(extraEnvironment) { $1 }
    process.environment = environment
    // Files rather than pipes: a child filling one pipe while this process
    // waits on the other would deadlock (LD_DEBUG output under mpirun does).
    let directory = try scratch([:])
    defer { try? FileManager.default.removeItem(atPath: directory) }
    _ = FileManager.default.createFile(atPath: directory + "/out", contents: nil)
    _ = FileManager.default.createFile(atPath: directory + "/err", contents: nil)
    let out = try FileHandle(forWritingTo: URL(fileURLWithPath: directory + "/out"))
    let err = try FileHandle(forWritingTo: URL(fileURLWithPath: directory + "/err"))
    process.standardOutput = out
    process.standardError = err
    try process.run()
    process.waitUntilExit()
    try out.close()
    try err.close()
    return Run(status: process.terminationStatus,
               stdout: String(decoding: try Data(contentsOf: URL(fileURLWithPath: directory + "/out")), as: UTF8.self),
               stderr: String(decoding: try Data(contentsOf: URL(fileURLWithPath: directory + "/err")), as: UTF8.self))
  }

  var json: JSON? { try? JSON.parse(Array(stdout.utf8)) }
}

/// A fresh temporary directory with the given files.
func scratch(_ files: [String: String]) throws -> String {
  let directory = NSTemporaryDirectory() + "pidbounds-test-" + UUID().uuidString
  try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
  for (name, text) in files {
    try text.write(toFile: directory + "/" + name, atomically: true, encoding: .utf8)
  }
  return directory
}

let andTable = #"{"p": [[[0.25, 0.0], [0.25, 0.0]], [[0.25, 0.0], [0.0, 0.25]]]}"#

@Suite("pidbounds pid")
struct PIDCommandTests {
  @Test("JSON output has the keys of CLI.md and the AND values")
  func json() throws {
    let dir = try scratch(["and.json": andTable])
    let run = try Run.pidbounds(["pid", "--joint", dir + "/and.json", "--format", "json"])
    #expect(run.status == 0, "\(run.stderr)")
    let report = try #require(run.json)
    for key in ["version", "command", "ranks", "units", "alphabet", "pid"] { #expect(report[key] != nil, "missing \(key)") }
    let pid = try #require(report["pid"])
    for key in ["R", "U1", "U2", "S", "I_min", "gap_bits", "I_x1y", "I_x2y", "I_x1x2y"] {
      #expect(pid[key]?.doubleValue != nil, "missing pid.\(key)")
    }
    #expect(abs(pid["R"]!.doubleValue! - 0.311278124457) < 1e-6)
    #expect(abs(pid["S"]!.doubleValue! - 0.5) < 1e-6)
    #expect(pid["gap_bits"]!.doubleValue! <= 1e-9)
    #expect(report["units"] == .string("bits"))
    #expect(report["alphabet"]?["y"] == .integer(2))
  }

  @Test("Table and CSV formats, and --output written atomically")
  func formats() throws {
    let dir = try scratch(["and.json": andTable])
    let table = try Run.pidbounds(["pid", "--joint", dir + "/and.json", "--format", "table"])
    #expect(table.status == 0)
    #expect(table.stdout.contains("redundancy") && table.stdout.contains("0.3113"))
    #expect(table.stdout.split(separator: "\n").allSatisfy { $0.count <= 80 })
    let csv = try Run.pidbounds(["pid", "--joint", dir + "/and.json", "--format", "csv"])
    #expect(csv.stdout.hasPrefix("key,value\n"))
    #expect(csv.stdout.contains("\npid.R,0.3112781"))
    let out = dir + "/report.json"
    let written = try Run.pidbounds(["pid", "--joint", dir + "/and.json", "--output", out])
    #expect(written.status == 0 && written.stdout.isEmpty)
    let text = try String(contentsOfFile: out, encoding: .utf8)
    #expect((try? JSON.parse(Array(text.utf8)))?["pid"] != nil)
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.contains(".tmp-") }
    #expect(leftovers.isEmpty)
  }

  @Test("Bad input: one clear line on stderr and the exit code of CLI.md",
        arguments: [
          ("missing", nil, 66, "no such file"),
          ("notjson.json", "this is not json", 65, "not valid JSON"),
          ("ragged.json", #"{"p": [[[1, 2], [3]], [[1, 2], [3, 4]]]}"#, 65, "ragged"),
          ("negative.json", #"{"p": [[[1, -2], [3, 4]]]}"#, 65, "negative entry -2.0 at p[0][0][1]"),
          ("nan.json", #"{"p": [[[1, NaN], [3, 4]]]}"#, 65, "non-finite"),
          ("zero.json", #"{"p": [[[0, 0], [0, 0]]]}"#, 65, "no mass"),
          ("nokey.json", #"{"q": 1}"#, 65, "missing key \"p\""),
          ("empty.json", "", 65, "empty"),
        ] as [(String, String?, Int32, String)])
  func badInput(name: String, content: String?, status: Int32, message: String) throws {
    let dir = try scratch(content.map { [name: $0] } ?? [:])
    let run = try Run.pidbounds(["pid", "--joint", dir + "/" + name, "--format", "json"])
    #expect(run.status == status, "\(name): \(run.stderr)")
    let lines = run.stderr.split(separator: "\n")
    #expect(lines.count == 1, "\(name): \(run.stderr)")
    #expect(run.stderr.contains(message), "\(name): \(run.stderr)")
    #expect(run.stderr.contains(name), "\(name): message should name the file: \(run.stderr)")
    #expect(run.stdout.isEmpty)
  }

  @Test("Missing --joint is a usage error (64)")
  func usage() throws {
    let run = try Run.pidbounds(["pid"])
    #expect(run.status == 64)
    #expect(run.stderr.contains("--joint"))
  }

  @Test("Failed output write leaves no partial file and exits 74")
  func outputFailure() throws {
    let dir = try scratch(["and.json": andTable])
    let run = try Run.pidbounds(["pid", "--joint", dir + "/and.json", "--output", dir + "/missing-dir/out.json"])
    #expect(run.status == 74, "\(run.stderr)")
    #expect(!FileManager.default.fileExists(atPath: dir + "/missing-dir/out.json"))
  }
}

@Suite("pidbounds under mpirun")
struct MPITests {
  static var mpirunAvailable: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/mpirun") }

  @Test("mpirun -np 2 gives the same JSON as a plain run, except ranks and timing",
        .enabled(if: MPITests.mpirunAvailable))
  func sameAnswer() throws {
    let dir = try scratch(["and.json": andTable])
    let plain = try Run.pidbounds(["pid", "--joint", dir + "/and.json", "--format", "json"])
    let parallel = try Run.pidbounds(["pid", "--joint", dir + "/and.json", "--format", "json"], mpiRanks: 2)
    #expect(parallel.status == 0, "\(parallel.stderr)")
    func strip(_ json: JSON?) -> JSON? {
      guard case .object(let members)? = json else { return nil }
      return .object(members.filter { $0.0 != "ranks" && $0.0 != "timing" })
    }
    #expect(strip(plain.json) != nil)
    #expect(strip(plain.json) == strip(parallel.json))
    #expect(parallel.json?["ranks"] == .integer(2))
  }

  /// A seeded random joint table, as JSON.
  static func randomJoint(_ n1: Int, _ n2: Int, _ k: Int, seed: UInt64) -> String {
    var g = SplitMix64(seed: seed)
    let cells = (0..<(n1 * n2 * k)).map { _ in Double(g.next() % 1000 + 1) }
    let total = cells.reduce(0, +)
    var rows: [String] = []
    for a in 0..<n1 {
      var columns: [String] = []
      for b in 0..<n2 {
        let labels: [String] = (0..<k).map { y in String(cells[(a * n2 + b) * k + y] / total) }
        columns.append("[" + labels.joined(separator: ",") + "]")
      }
      rows.append("[" + columns.joined(separator: ",") + "]")
    }
    return "{\"p\": [" + rows.joined(separator: ",") + "]}"
  }

  /// 6x5x8 has at most 100 unknowns in its Newton systems and is solved
  /// with the augmented system throughout; 12x10x8 (176 multipliers) and
  /// 9x13x6 (roles swapped: the larger source is eliminated) form and
  /// factor the Schur complement, whose rows the ranks share out by label.
  @Test("Label slices split over 2 and 3 ranks (--label-split on): identical numbers to a plain run",
        .enabled(if: MPITests.mpirunAvailable),
        arguments: [(6, 5, 8), (12, 10, 8), (9, 13, 6)])
  func labelSplit(shape: (Int, Int, Int)) throws {
    let dir = try scratch(["joint.json": Self.randomJoint(shape.0, shape.1, shape.2, seed: 3)])
    let arguments = ["pid", "--joint", dir + "/joint.json", "--no-bounds", "--label-split", "on", "--format", "json"]
    let plain = try Run.pidbounds(arguments)
    #expect(plain.status == 0, "\(plain.stderr)")
    func strip(_ json: JSON?) -> JSON? {
      guard case .object(let members)? = json else { return nil }
      return .object(members.filter { $0.0 != "ranks" && $0.0 != "timing" })
    }
    for ranks in [2, 3] {
      let run = try Run.pidbounds(arguments, mpiRanks: ranks, timeout: 300)
      #expect(run.status == 0, "\(run.stderr)")
      #expect(strip(run.json) == strip(plain.json), "\(ranks) ranks differ")
    }
  }

  @Test("Sharp-bound search nodes over 3 ranks: the same S_upper_sharp as a plain run",
        .enabled(if: MPITests.mpirunAvailable))
  func sharpNodes() throws {
    // 3x3x2: polytope dimension 4, searched exactly.
    let dir = try scratch(["joint.json": Self.randomJoint(3, 3, 2, seed: 11)])
    let arguments = ["pid", "--joint", dir + "/joint.json", "--format", "json"]
    let plain = try Run.pidbounds(arguments)
    #expect(plain.status == 0, "\(plain.stderr)")
    let sharp = try #require(plain.json?["bounds"]?["S_upper_sharp"]?.doubleValue)
    #expect(plain.json?["bounds"]?["polytope_dimension"] == .integer(4))
    let run = try Run.pidbounds(arguments, mpiRanks: 3, timeout: 300)
    #expect(run.status == 0, "\(run.stderr)")
    #expect(run.json?["bounds"]?["S_upper_sharp"]?.doubleValue == sharp)
    #expect(run.json?["bounds"] == plain.json?["bounds"])
  }

  @Test("A bad file under mpirun -np 2: one line from rank 0, every rank exits 66",
        .enabled(if: MPITests.mpirunAvailable))
  func badFile() throws {
    let run = try Run.pidbounds(["pid", "--joint", "/nonexistent/table.json"], mpiRanks: 2)
    #expect(run.status == 66, "\(run.stderr)")
    let errors = run.stderr.split(separator: "\n").filter { $0.contains("pidbounds: error") }
    #expect(errors.count == 1, "\(run.stderr)")
  }
}
