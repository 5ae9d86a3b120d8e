import Foundation
import PIDData
import Testing

/// The sharp bound's branch and bound through the binary: options, JSON
/// keys, the same numbers on any number of ranks, and the fallback when the
/// LP library cannot be loaded.
@Suite("Sharp bound options and ranks")
struct SharpBoundTests {
  /// A random 4x4x3 joint (polytope dimension 18, past vertex enumeration).
  static let table = MPITests.randomJoint(4, 4, 3, seed: 21)

  @Test("a node budget: the JSON keys, and identical bounds on 1 and 2 ranks",
        .enabled(if: MPITests.mpirunAvailable))
  func ranks() throws {
    let dir = try scratch(["joint.json": Self.table])
    let arguments = ["pid", "--joint", dir + "/joint.json", "--sharp-nodes", "120", "--format", "json"]
    let plain = try Run.pidbounds(arguments)
    #expect(plain.status == 0, "\(plain.stderr)")
    let bounds = try #require(plain.json?["bounds"])
    #expect(bounds["sharp_nodes"] == .integer(120))
    #expect(bounds["sharp_stop"] == .string("node budget"))
    #expect(bounds["sharp_time_limited"] == .bool(false))
    #expect(bounds["S_upper_inner_is_achieved"] == .bool(true))
    let sharp = try #require(bounds["S_upper_sharp"]?.doubleValue)
    let inner = try #require(bounds["S_upper_inner"]?.doubleValue)
    let gap = try #require(bounds["S_upper_sharp_gap"]?.doubleValue)
    #expect(inner <= sharp && gap > 0)
    #expect(abs((sharp - inner) - gap) <= 1e-9)
    #expect(try #require(bounds["S_upper"]?.doubleValue) <= sharp)
    #expect(try #require(plain.json?["pid"]?["S"]?.doubleValue) <= sharp)
    if case .string(let method)? = bounds["sharp_method"] { #expect(method.hasPrefix("branch and bound (COIN-OR Clp")) } else { Issue.record("no sharp_method") }
    for ranks in [1, 2] {
      let run = try Run.pidbounds(arguments, mpiRanks: ranks, timeout: 300)
      #expect(run.status == 0, "\(run.stderr)")
      #expect(run.json?["bounds"] == bounds, "\(ranks) ranks give other bounds")
    }
  }

  @Test("a time budget: stopped by time, said in the JSON, still above the true S")
  func timeBudget() throws {
    let dir = try scratch(["joint.json": Self.table])
    let run = try Run.pidbounds(["pid", "--joint", dir + "/joint.json", "--sharp-nodes", "100000000", "--sharp-seconds", "0.5", "--format", "json"])
    #expect(run.status == 0, "\(run.stderr)")
    let bounds = try #require(run.json?["bounds"])
    #expect(bounds["sharp_stop"] == .string("time budget"))
    #expect(bounds["sharp_time_limited"] == .bool(true))
    #expect(try #require(bounds["S_upper_sharp"]?.doubleValue) >= (try #require(run.json?["pid"]?["S"]?.doubleValue)))
  }

  @Test("a time budget on 2 ranks: the shared search stays valid, closes where one rank closes, and says when time stopped it",
        .enabled(if: MPITests.mpirunAvailable))
  func sharedSearch() throws {
    // 3x3x4 (dimension 12) closes in about 1,300 node LPs; 4x4x4
    // (dimension 27) does not close in a second.
    let dir = try scratch(["small.json": MPITests.randomJoint(3, 3, 4, seed: 21), "large.json": MPITests.randomJoint(4, 4, 4, seed: 22)])
    let unlimited = ["--sharp-nodes", "100000000", "--format", "json"]
    let alone = try Run.pidbounds(["pid", "--joint", dir + "/small.json", "--sharp-seconds", "120"] + unlimited)
    let shared = try Run.pidbounds(["pid", "--joint", dir + "/small.json", "--sharp-seconds", "120"] + unlimited, mpiRanks: 2, timeout: 300)
    #expect(alone.status == 0 && shared.status == 0, "\(alone.stderr) \(shared.stderr)")
    let a = try #require(alone.json?["bounds"]), b = try #require(shared.json?["bounds"])
    #expect(a["sharp_stop"] == .string("closed") && b["sharp_stop"] == .string("closed"))
    let sharpAlone = try #require(a["S_upper_sharp"]?.doubleValue), sharpShared = try #require(b["S_upper_sharp"]?.doubleValue)
    #expect(abs(sharpAlone - sharpShared) <= 2e-6, "1 rank \(sharpAlone), 2 ranks \(sharpShared)")
    #expect(try #require(b["S_upper_inner"]?.doubleValue) <= sharpShared)

    let timed = try Run.pidbounds(["pid", "--joint", dir + "/large.json", "--sharp-seconds", "1"] + unlimited, mpiRanks: 2, timeout: 300)
    #expect(timed.status == 0, "\(timed.stderr)")
    let t = try #require(timed.json?["bounds"])
    #expect(t["sharp_stop"] == .string("time budget"))
    #expect(t["sharp_time_limited"] == .bool(true))
    let sharp = try #require(t["S_upper_sharp"]?.doubleValue)
    #expect(sharp >= (try #require(timed.json?["pid"]?["S"]?.doubleValue)))
    #expect(try #require(t["S_upper_inner"]?.doubleValue) <= sharp)
  }

  @Test("without the LP library: a warning, a note, and the bounds of before")
  func missingLibrary() throws {
    let dir = try scratch(["joint.json": Self.table])
    let run = try Run.pidbounds(["pid", "--joint", dir + "/joint.json", "--format", "json"],
                                extraEnvironment: ["PIDBOUNDS_LP_LIBRARY": dir + "/absent/libpidbounds-lp.so"])
    #expect(run.status == 0, "\(run.stderr)")
    #expect(run.stderr.contains("pidbounds: warning:") && run.stderr.contains("libpidbounds-lp.so"), "\(run.stderr)")
    let bounds = try #require(run.json?["bounds"])
    #expect(bounds["S_upper_sharp"] == .null)
    #expect(bounds["sharp_method"] == .string("not computed"))
    #expect(bounds["sharp_stop"] == .string("not run"))
    #expect(bounds["S_upper_inner_is_achieved"] == .bool(false))
    guard case .array(let notes)? = bounds["notes"], case .string(let note)? = notes.first else {
      Issue.record("no notes in \(bounds)")
      return
    }
    #expect(note.contains("libpidbounds-lp.so") && note.contains("not certified"))
  }

  @Test("bad budgets are usage errors", arguments: [["--sharp-nodes", "-1"], ["--sharp-seconds", "0"], ["--sharp-seconds", "nan"]])
  func badBudget(option: [String]) throws {
    let dir = try scratch(["joint.json": Self.table])
    let run = try Run.pidbounds(["pid", "--joint", dir + "/joint.json"] + option)
    #expect(run.status == 64, "\(run.stderr)")
  }
}
