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
    guard terminationRequested, let text = getenv("PIDBOUNDS_TEST_FLUSH_DELAY"),
      let seconds = Double(String(cString: text)), seconds > 0, seconds < 600
    else { return }
    usleep(UInt32(seconds * 1_000_000))
  }
}

/// Appends to a `Checkpoint` on a thread of its own, so that encoding,
/// writing and `fsync` never hold up rank 0's answers to the other ranks.
///
/// Contract: `submit` only queues its records (and first throws the
/// failure of an earlier append, if one failed); `finish` waits until
/// every submitted record has been appended and flushed, stops the thread,
/// and throws the first failure (the checkpoint's 74). After `finish`
/// returns without error, every submitted record is durable, as after
/// `Checkpoint.append`. The thread blocks the asynchronous signals, so
/// that SIGTERM, SIGUSR1 and the like reach the threads that act on them.
final class CheckpointWriter: @unchecked Sendable {
  private let checkpoint: Checkpoint
  private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
  private let changed = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
  private var thread = pthread_t()
  // Shared with the thread, under `lock`.
  private var queue: [(Int, [Double])] = []
  private var closing = false
  private var joined = false
  private var failure: Error? = nil
  private var appends = 0, records = 0, seconds = 0.0
  /// Whether the thread is appending a batch now.
  private var appending = false

  /// Starts the thread.
  ///
  /// - Throws: `Failure` 70 when no thread can be created.
  init(_ checkpoint: Checkpoint) throws {
    self.checkpoint = checkpoint
    pthread_mutex_init(lock, nil)
    pthread_cond_init(changed, nil)
    let context = Unmanaged.passRetained(self).toOpaque()
    let status = pthread_create(&thread, nil, { context in
      let writer = Unmanaged<CheckpointWriter>.fromOpaque(context!).takeRetainedValue()
      writer.loop()
      return nil
    }, context)
    guard status == 0 else {
      Unmanaged<CheckpointWriter>.fromOpaque(context).release()
      throw Failure("cannot start the checkpoint writer thread: \(String(cString: strerror(status)))", status: .software)
    }
  }

  deinit {
    pthread_mutex_destroy(lock)
    pthread_cond_destroy(changed)
    lock.deallocate()
    changed.deallocate()
  }

  /// Queues `fresh` for the thread.
  ///
  /// - Throws: the failure of an earlier append (nothing more is written
  ///   after one).
  func submit(_ fresh: [(Int, [Double])]) throws {
    pthread_mutex_lock(lock)
    defer { pthread_mutex_unlock(lock) }
    if let failure { throw failure }
    precondition(!closing, "records submitted to a finished checkpoint writer")
    queue += fresh
    pthread_cond_broadcast(changed)
  }

  /// Whether everything submitted so far is appended (nothing queued, no
  /// append under way): records submitted now would start at once.
  var isIdle: Bool {
    pthread_mutex_lock(lock)
    defer { pthread_mutex_unlock(lock) }
    return queue.isEmpty && !appending
  }

  /// Waits until everything submitted is appended, then stops the thread.
  ///
  /// - Returns: the appends made, the records they held and the thread's
  ///   time spent appending, and how long the caller waited here.
  /// - Throws: the first failure of an append.
  @discardableResult
  func finish() throws -> (appends: Int, records: Int, seconds: Double, waited: Double) {
    let started = now()
    if !joined {
      pthread_mutex_lock(lock)
      closing = true
      pthread_cond_broadcast(changed)
      pthread_mutex_unlock(lock)
      pthread_join(thread, nil)
      joined = true
    }
    let waited = now() - started
    if let failure { throw failure }
    return (appends, records, seconds, waited)
  }

  private func loop() {
    // The asynchronous signals only: faults on this thread still reach
    // their handlers. (SIGXFSZ blocked: a write past the file size limit
    // fails with EFBIG, reported as 74.)
    var asynchronous = sigset_t()
    sigemptyset(&asynchronous)
    for signal in [SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM, SIGXFSZ, SIGPIPE, SIGCHLD] {
      sigaddset(&asynchronous, signal)
    }
    pthread_sigmask(SIG_BLOCK, &asynchronous, nil)
    pthread_mutex_lock(lock)
    while true {
      while queue.isEmpty && !closing { pthread_cond_wait(changed, lock) }
      if queue.isEmpty || failure != nil { break }
      let batch = queue.sorted { $0.0 < $1.0 }
      queue.removeAll(keepingCapacity: true)
      appending = true
      pthread_mutex_unlock(lock)
      let started = now()
      var error: Error? = nil
      do { try checkpoint.append(batch) } catch let thrown { error = thrown }
      let spent = now() - started
      pthread_mutex_lock(lock)
      appending = false
      appends += 1
      records += error == nil ? batch.count : 0
      seconds += spent
      if let error {
        failure = error
        break
      }
    }
    pthread_mutex_unlock(lock)
  }
}
