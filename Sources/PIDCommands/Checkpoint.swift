import PIDData

#if canImport(Glibc)
import Glibc
#endif

/// A durable record of finished replicates (the format is
/// `CheckpointFile`'s): a header line with a fingerprint of the run (coded
/// data, seed, replicates, options), then one checksummed line per
/// replicate. Lines are appended and flushed to disk as results arrive
/// (at most every half second, and at the end).
///
/// Guarantees: a record that was appended (and `append` returned) survives
/// any later kill, disk-full or I/O error, and any later open; a damaged
/// line (a torn last line after a kill, a flipped byte, a line from another
/// run) is never used, only recomputed; a checkpoint of another run is
/// refused (65), never overwritten; a file that cannot be read, written or
/// flushed stops the run with 74 before work is lost.
final class Checkpoint {
  let path: String
  let fingerprint: String
  private let checksumSeed: UInt64
  private(set) var records: [(Int, [Double])] = []
  /// Lines of the file that failed their checksum and were dropped.
  private(set) var damagedLines = 0

  /// Opens (or starts) the checkpoint of the run with this fingerprint.
  /// An existing file is rewritten atomically without its damaged lines,
  /// so that later appends start on a fresh line.
  ///
  /// - Throws: `Failure` 65 if the file belongs to another run or is not
  ///   a checkpoint, 74 if it cannot be read or (re)written.
  init(path: String, fingerprint: String) throws {
    self.path = path
    self.fingerprint = fingerprint
    checksumSeed = CheckpointFile.checksumSeed(fingerprint)
    let bytes: [UInt8]
    do {
      bytes = try readFile(path)
    } catch .missingFile {
      bytes = []
    }
    guard !bytes.isEmpty else {
      try writeFileAtomically(path, Array(CheckpointFile(fingerprint: fingerprint).text.utf8))
      return
    }
    let file = try CheckpointFile.parse(bytes, path: path, fingerprint: fingerprint)
    records = file.records
    damagedLines = file.damagedLines
    let clean = Array(file.text.utf8)
    if clean != bytes { try writeFileAtomically(path, clean) }
  }

  /// Appends records and flushes them to disk (`fsync`); on return they
  /// are durable. On an error, earlier records are intact and at most a
  /// torn last line was added (dropped on the next open).
  func append(_ fresh: [(Int, [Double])]) throws {
    guard !fresh.isEmpty else { return }
    var bytes: [UInt8] = []
    for (index, numbers) in fresh { CheckpointFile.appendLine(index: index, numbers: numbers, checksumSeed: checksumSeed, to: &bytes) }
    let fd = open(path, O_WRONLY | O_APPEND)
    guard fd >= 0 else { throw Failure("\(path): cannot append to the checkpoint: \(String(cString: strerror(errno)))", status: .ioError) }
    defer { close(fd) }
    slowFlushForTests()
    var written = 0
    while written < bytes.count {
      let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
      if n < 0 && errno == EINTR { continue }
      guard n > 0 else {
        throw Failure("\(path): cannot write the checkpoint (\(String(cString: strerror(errno)))); the \(records.count) replicates recorded before are kept: free space and run the same command to resume", status: .ioError)
      }
      written += n
    }
    guard fsync(fd) == 0 else {
      throw Failure("\(path): cannot flush the checkpoint (\(String(cString: strerror(errno)))); the \(records.count) replicates recorded before are kept", status: .ioError)
    }
    records += fresh
  }

  /// Test hook, never for production use: with
  /// `PIDBOUNDS_TEST_FLUSH_DELAY=SECONDS` in the environment, a checkpoint
  /// write made after a termination request (SIGTERM or SIGUSR1) first
  /// sleeps that long, to stand in for a slow shared file system. The
  /// Slurm test uses it to prove that the batch script gives the flush
  /// more than the one second `mpirun` allows by default.
  private func slowFlushForTests() {
    guard terminationRequested != 0, let text = getenv("PIDBOUNDS_TEST_FLUSH_DELAY"),
      let seconds = Double(String(cString: text)), seconds > 0, seconds < 600
    else { return }
    usleep(UInt32(seconds * 1_000_000))
  }
}
