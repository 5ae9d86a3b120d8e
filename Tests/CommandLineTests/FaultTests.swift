import Foundation
import PIDData
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Faults of checkpoints and outputs, each on the built binary: a clear
/// one-line message, a sysexits status, no finished replicate lost, no
/// partial output file. (scripts/stress runs the same faults at random
/// points and in larger numbers.)
@Suite("Injected faults: checkpoints and outputs", .serialized)
struct FaultTests {
  static let base = ["estimate", "--example", "synergy", "--clusters", "4", "--bootstrap", "12", "--seed", "3", "--format", "json"]

  /// The uninterrupted run's JSON, without "ranks".
  static let reference: JSON? = {
    guard let run = try? Run.pidbounds(base), run.status == 0 else { return nil }
    return withoutRanks(run.json)
  }()

  static func withoutRanks(_ json: JSON?) -> JSON? {
    guard case .object(let members)? = json else { return nil }
    return .object(members.filter { $0.0 != "ranks" })
  }

  func errorLines(_ run: Run) -> [Substring] {
    run.stderr.split(separator: "\n").filter { $0.hasPrefix("pidbounds: error") }
  }

  /// A finished checkpoint of the reference run in a fresh directory.
  func finishedCheckpoint() throws -> (directory: String, path: String) {
    let directory = try scratch([:])
    let path = directory + "/ck"
    let run = try Run.pidbounds(Self.base + ["--checkpoint", path])
    #expect(run.status == 0, "\(run.stderr)")
    return (directory, path)
  }

  func lines(_ path: String) throws -> [String] {
    try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
  }

  @Test("A flipped byte, a torn last line and lines from another run are detected, dropped, recomputed: identical JSON")
  func damagedCheckpoint() throws {
    let reference = try #require(Self.reference)
    let (directory, path) = try finishedCheckpoint()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    // Lines of another run (other seed): valid checksums for their own run.
    let other = directory + "/other"
    var otherArguments = Self.base
    otherArguments[otherArguments.firstIndex(of: "--seed")! + 1] = "4"
    #expect(try Run.pidbounds(otherArguments + ["--checkpoint", other]).status == 0)
    let foreign = try lines(other).dropFirst().filter { !$0.isEmpty }.prefix(3)
    var text = try lines(path)
    // A flipped byte in record 2 (a hexadecimal digit changed), record 5
    // replaced by another run's, the last record torn in half.
    var record = Array(text[2].utf8)
    let at = record.firstIndex(of: UInt8(ascii: " "))! + 3
    record[at] = record[at] == UInt8(ascii: "0") ? UInt8(ascii: "1") : UInt8(ascii: "0")
    text[2] = String(decoding: record, as: UTF8.self)
    text[5] = foreign[foreign.startIndex + 1]
    let last = text.lastIndex { !$0.isEmpty }!
    text[last] = String(text[last].prefix(text[last].count / 2))
    text.removeLast()  // the final newline went with the torn line
    try text.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
    let run = try Run.pidbounds(Self.base + ["--checkpoint", path])
    #expect(run.status == 0, "\(run.stderr)")
    #expect(run.stderr.contains("3 damaged line(s)"), "\(run.stderr)")
    #expect(Self.withoutRanks(run.json) == reference)
    // The file was rewritten clean: every line passes, none is foreign.
    let clean = try lines(path).dropFirst().filter { !$0.isEmpty }
    #expect(clean.count == 12)
    #expect(Set(clean).isDisjoint(with: Set(foreign)))
  }

  @Test("A checkpoint of other options or seed, or not a checkpoint at all: 65, one line, the file untouched")
  func foreignCheckpoint() throws {
    let (directory, path) = try finishedCheckpoint()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let before = try Data(contentsOf: URL(fileURLWithPath: path))
    var other = Self.base + ["--checkpoint", path]
    other[other.firstIndex(of: "--bootstrap")! + 1] = "13"
    let run = try Run.pidbounds(other)
    #expect(run.status == 65)
    #expect(errorLines(run).count == 1 && run.stderr.contains("different run") && run.stderr.contains(path), "\(run.stderr)")
    #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
    let garbage = directory + "/notes.txt"
    try "my notes\n".write(toFile: garbage, atomically: true, encoding: .utf8)
    let refused = try Run.pidbounds(Self.base + ["--checkpoint", garbage])
    #expect(refused.status == 65 && refused.stderr.contains("not a pidbounds checkpoint"), "\(refused.stderr)")
    #expect(try String(contentsOfFile: garbage, encoding: .utf8) == "my notes\n")
  }

  @Test("A full disk while checkpointing (a size-limited file): 74, earlier replicates kept, the rerun completes identically")
  func diskFullCheckpoint() throws {
    let reference = try #require(Self.reference)
    let directory = try scratch([:])
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let path = directory + "/ck"
    // RLIMIT_FSIZE of 4 KB (records are about 700 bytes) with SIGXFSZ ignored: writes past it fail with
    // EFBIG, as on a full disk, after the first records.
    let limited = try Run.pidbounds(
      ["-c", "ulimit -f 4; trap '' XFSZ; exec \"$0\" \"$@\"", Run.binary] + Self.base + ["--checkpoint", path],
      executable: "/bin/bash")
    #expect(limited.status == 74, "\(limited.stderr)")
    #expect(errorLines(limited).count == 1 && limited.stderr.contains("cannot write the checkpoint"), "\(limited.stderr)")
    let kept = try CheckpointFile.parse(Array(try Data(contentsOf: URL(fileURLWithPath: path))), path: path,
                                        fingerprint: String(try lines(path)[0].split(separator: " ")[2]))
    #expect(kept.records.count >= 4 && kept.records.count < 12, "kept \(kept.records.count)")
    // The message counts the records of finished appends; a partial append
    // may have left one more whole line (kept too) and a torn one.
    let said = limited.stderr.split(separator: " ").firstIndex(of: "replicates").map { Int(limited.stderr.split(separator: " ")[$0 - 1]) ?? -1 } ?? -1
    #expect(said >= 4 && said <= kept.records.count, "\(limited.stderr)")
    let resumed = try Run.pidbounds(Self.base + ["--checkpoint", path])
    #expect(resumed.status == 0, "\(resumed.stderr)")
    #expect(Self.withoutRanks(resumed.json) == reference)
  }

  @Test("A full disk while checkpointing on 2 ranks: 74 on every rank, well within mpirun's timeout (no hang)")
  func diskFullCheckpointRanks() throws {
    let directory = try scratch([:])
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let path = directory + "/ck"
    // The file size limit on the ranks only (mpirun's own files are not
    // limited), and TCP between them (shared memory segments are files).
    let started = Date()
    let limited = try Run.pidbounds(
      ["-c", "ulimit -f 16; trap '' XFSZ; exec \"$0\" \"$@\"", Run.binary] + Self.base.map { $0 == "12" ? "200" : $0 }
        + ["--checkpoint", path],
      mpiRanks: 2, timeout: 240, executable: "/bin/bash", extraEnvironment: ["OMPI_MCA_btl": "self,tcp"])
    #expect(Date().timeIntervalSince(started) < 200, "the run ended by mpirun's timeout")
    #expect(limited.status == 74, "\(limited.stderr)")
    #expect(errorLines(limited).count == 1 && limited.stderr.contains("cannot write the checkpoint"), "\(limited.stderr)")
    #expect(!limited.stderr.contains("time limit"), "\(limited.stderr)")
  }

  @Test("An unwritable checkpoint place: 74 before any work, one line naming it")
  func unwritableCheckpoint() throws {
    let directory = try scratch(["file": "x"])
    defer { try? FileManager.default.removeItem(atPath: directory) }
    for place in [directory + "/missing/ck", directory + "/file/ck", directory] {
      let run = try Run.pidbounds(Self.base + ["--checkpoint", place])
      #expect(run.status == 74, "\(place): \(run.stderr)")
      #expect(errorLines(run).count == 1 && run.stderr.contains(place), "\(run.stderr)")
    }
  }

  @Test("An output file in a missing or unwritable place: 74, no file; the checkpoint keeps every replicate for the rerun")
  func unwritableOutput() throws {
    let reference = try #require(Self.reference)
    let directory = try scratch(["file": "x"])
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let path = directory + "/ck"
    for output in [directory + "/missing/out.json", directory + "/file/out.json"] {
      let run = try Run.pidbounds(Self.base + ["--checkpoint", path, "--output", output])
      #expect(run.status == 74, "\(run.stderr)")
      #expect(errorLines(run).count == 1 && run.stderr.contains(output), "\(run.stderr)")
      #expect(!FileManager.default.fileExists(atPath: output))
    }
    #expect(try lines(path).filter { !$0.isEmpty }.count == 13)
    let output = directory + "/out.json"
    let rerun = try Run.pidbounds(Self.base + ["--checkpoint", path, "--output", output])
    #expect(rerun.status == 0, "\(rerun.stderr)")
    let written = try JSON.parse(Array(try Data(contentsOf: URL(fileURLWithPath: output))))
    #expect(Self.withoutRanks(written) == reference)
  }

  @Test("A full disk under the output file: 74 and no partial file; a full standard output: 74, not a silent 0")
  func fullOutput() throws {
    let directory = try scratch([:])
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let output = directory + "/out.json"
    let limited = try Run.pidbounds(
      ["-c", "ulimit -f 4; trap '' XFSZ; exec \"$0\" \"$@\"", Run.binary] + Self.base + ["--output", output],
      executable: "/bin/bash")
    #expect(limited.status == 74, "\(limited.stderr)")
    #expect(errorLines(limited).count == 1 && limited.stderr.contains(output), "\(limited.stderr)")
    #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty, "a partial or temporary file was left")
    guard FileManager.default.fileExists(atPath: "/dev/full") else { return }
    let full = try Run.pidbounds(["-c", "exec \"$0\" \"$@\" > /dev/full", Run.binary, "pid", "--joint",
                                  Run.packageRoot + "/examples/and.json", "--format", "json"], executable: "/bin/bash")
    #expect(full.status == 74, "\(full.stderr)")
    #expect(errorLines(full).count == 1 && full.stderr.contains("standard output"), "\(full.stderr)")
  }

  @Test("SIGKILL while the output is written: the file is absent or complete, never partial")
  func killDuringOutput() throws {
    let directory = try scratch([:])
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let output = directory + "/out.json"
    // Kills at spread-out moments of short runs; the atomic rename means
    // whatever exists at the path parses.
    for delay in [150_000, 400_000, 700_000, 1_000_000] as [UInt32] {
      let process = Process()
      process.executableURL = URL(fileURLWithPath: Run.binary)
      process.arguments = ["estimate", "--example", "synergy", "--clusters", "4", "--format", "json", "--output", output]
      process.standardError = FileHandle.nullDevice
      try process.run()
      usleep(delay)
      kill(process.processIdentifier, SIGKILL)
      process.waitUntilExit()
      if let bytes = FileManager.default.contents(atPath: output) {
        #expect((try? JSON.parse(Array(bytes))) != nil, "a partial output after a kill at \(delay) us")
      }
    }
  }
}
