import Cluster
import PIDData

#if canImport(Glibc)
import Glibc
#endif

/// Runs a command on every rank of the job and ends the process.
///
/// Errors are agreed on collectively: whatever rank fails, rank 0 prints
/// one line (the message of the lowest failing rank) and every rank exits
/// with that rank's status. A rank that fails in a way it cannot report
/// (e.g. inside a collective) aborts the whole job instead of hanging.
enum Job {
  static func run(quiet: Bool, _ body: (Communicator) throws -> Void) -> Never {
    let communicator: Communicator
    do {
      communicator = try Communicator()
    } catch {
      // No MPI to agree through: the launcher's rank 0 speaks for all.
      if (Communicator.launcherRank ?? 0) == 0 { report(Failure(error).message) }
      exit(ExitStatus.software.rawValue)
    }
    var failure: Failure? = nil
    do {
      try body(communicator)
    } catch {
      failure = Failure(error)
    }
    guard communicator.usesMPI else {
      if let failure { report(failure.message) }
      exit(failure?.status.rawValue ?? 0)
    }
    do {
      let status = try communicator.maximum([failure?.status.rawValue ?? 0])[0]
      guard status != 0 else {
        communicator.finalize()
        exit(0)
      }
      // Someone failed: collect every rank's line on rank 0.
      // A rank that only stopped because another failed has no line.
      let line = failure.flatMap { $0.message.isEmpty ? nil : "\($0.status.rawValue) \($0.message)" } ?? ""
      let lines = try communicator.gather(Array(line.utf8))
      var exitStatus = status
      if communicator.isRoot {
        for (rank, bytes) in lines.enumerated() where !bytes.isEmpty {
          let text = String(decoding: bytes, as: UTF8.self)
          let parts = text.split(separator: " ", maxSplits: 1)
          exitStatus = Int32(parts[0]) ?? status
          let message = parts.count > 1 ? String(parts[1]) : ""
          report(rank == 0 ? message : "rank \(rank): \(message)")
          break
        }
      }
      // Every rank learns the status rank 0 chose.
      exitStatus = try communicator.maximum([communicator.isRoot ? exitStatus : 0])[0]
      communicator.finalize()
      exit(exitStatus)
    } catch {
      report(Failure(error).message)
      communicator.abort(code: ExitStatus.software.rawValue)
    }
  }

  /// Prints one error line on stderr (on a terminal, over any progress
  /// line left there).
  static func report(_ message: String) {
    writeStandardError((isatty(2) == 1 ? "\r\u{1B}[K" : "") + "pidbounds: error: " + message + "\n")
  }
}

/// Seconds of a monotonic clock since an arbitrary origin (for durations).
func now() -> Double {
  var spec = timespec()
  clock_gettime(CLOCK_MONOTONIC, &spec)
  return Double(spec.tv_sec) + Double(spec.tv_nsec) * 1e-9
}

extension Communicator {
  /// Rank 0 runs `produce` and every rank receives its bytes; if it throws,
  /// the error is thrown on every rank, so that all ranks agree and none
  /// waits in a later collective. Other ranks' `produce` is not called.
  func fromRoot(_ produce: () throws -> [UInt8]) throws -> [UInt8] {
    var payload: [UInt8] = []
    var failure: Failure? = nil
    if isRoot {
      do {
        payload = [0] + (try produce())
      } catch {
        failure = Failure(error)
        payload = [UInt8(failure!.status.rawValue)] + Array(failure!.message.utf8)
      }
    }
    let shared = try broadcast(payload)
    if let failure { throw failure }
    guard shared.first == 0 else {
      throw Failure(
        String(decoding: shared.dropFirst(), as: UTF8.self),
        status: ExitStatus(rawValue: Int32(shared[0])) ?? .software)
    }
    return Array(shared.dropFirst())
  }

  /// Rank 0 reads a file and every rank receives its bytes (a read error
  /// reaches every rank).
  func shareFile(_ path: String) throws -> [UInt8] {
    try fromRoot { try readFile(path) }
  }
}

/// Writes text to file descriptor 2 unbuffered.
func writeStandardError(_ text: String) {
  var text = text
  text.withUTF8 { buffer in
    var offset = 0
    while offset < buffer.count {
      let n = write(2, buffer.baseAddress! + offset, buffer.count - offset)
      if n <= 0 { return }
      offset += n
    }
  }
}
