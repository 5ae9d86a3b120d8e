import Cluster
import PIDData

#if canImport(Glibc)
import Glibc
#endif

/// Computes every job of `0..<count` (bootstrap replicates, permutations,
/// jackknife deletions: `compute(job)` gives its numbers) not already in
/// `checkpoint`, over every rank, and returns every job's numbers in job
/// order on rank 0 (an empty array elsewhere). Rank 0 runs `firstOnRoot`
/// once the other ranks have their first chunks, before anything else, and
/// `rootWork` (a step of work of its own; it returns whether steps remain)
/// whenever no result is waiting, before its own jobs, until it is done.
///
/// Scheduling is dynamic: rank 0 hands out the missing jobs in small
/// chunks, two chunks ahead per rank so that no rank waits for its next
/// one, and computes jobs itself while no result is waiting and its own
/// jobs cannot hold up the answers (`Coordinator.computesOwnJobs`). Results are
/// keyed by job index and job `b` draws from streams keyed by `(seed, b)`
/// only, so the numbers do not depend on which rank computed what, nor on
/// the number of ranks. There is no collective step until the end: a slow
/// job delays only the rank that runs it.
///
/// Rank 0 hands finished jobs to a writer thread (`CheckpointWriter`) every
/// half second, or sooner once 1,000 are waiting (and, once no job is left
/// to hand out, whenever the thread is idle), and at the end waits for the
/// last appends: encoding, writing and flushing never hold up its answers
/// to the other ranks. A SIGTERM
/// on any rank, or a failed job, stops the handing out; every rank finishes
/// the job it is on, rank 0 collects and records those results, and the run
/// ends with status 75 (interrupted; the checkpoint holds every finished
/// job) or with the failure (reported by the rank where it happened).
func resamplingJobs(count: Int, communicator: Communicator, checkpoint: Checkpoint?,
                    progress: ((Int) -> Void)?, costs: inout ResamplingCosts,
                    firstOnRoot: () -> Void = {}, rootWork: () -> Bool = { false },
                    compute: (Int) throws -> [Double]) throws -> [[Double]] {
  var doneFlags = [UInt8](repeating: 0, count: count)
  var results = [[Double]?](repeating: nil, count: count)
  if communicator.isRoot, let checkpoint {
    for (b, numbers) in checkpoint.records where b < count {
      results[b] = numbers
      doneFlags[b] = 1
    }
  }
  // Every rank learns how many jobs are left (rank 0 hands them out).
  doneFlags = try communicator.broadcast(doneFlags)
  let missing = (0..<count).filter { doneFlags[$0] == 0 }
  guard communicator.isRoot else {
    try workOnChunks(communicator: communicator, compute: compute)
    return []
  }
  var coordinator = Coordinator(missing: missing, ranks: communicator.size, finishedBefore: count - missing.count)
  let started = now()
  try coordinator.run(communicator: communicator, checkpoint: checkpoint, progress: progress,
                      firstOnRoot: firstOnRoot, rootWork: rootWork, compute: compute) { b, numbers in
    results[b] = numbers
  }
  costs = coordinator.costs
  costs.seconds = now() - started
  if let failure = coordinator.ownFailure { throw failure }
  if coordinator.peerFailed { throw Failure.peer }
  if coordinator.terminated && coordinator.finished < count {
    throw Failure(
      "terminated (SIGTERM or SIGUSR1) after \(coordinator.finished) of \(count) resampling jobs" + (checkpoint == nil
        ? "; nothing was saved (give --checkpoint FILE to resume)"
        : "; \(checkpoint!.path) holds them: run the same command to resume"),
      status: .interrupted)
  }
  return results.map { $0 ?? [] }
}

/// Where rank 0's time went during resampling (`estimate --timing`): the
/// inputs of `scripts/scaling-model.py`.
struct ResamplingCosts {
  /// Wall time of the whole resampling phase.
  var seconds = 0.0
  /// The time of each job rank 0 computed itself, in the order computed.
  var jobSeconds: [Double] = []
  /// Results received from other ranks, and rank 0's time spent receiving,
  /// recording and answering them.
  var messages = 0
  var messageSeconds = 0.0
  /// Appends to the checkpoint (each flushed to disk), the records they
  /// held, and the time the writer thread spent appending.
  var checkpointFlushes = 0
  var checkpointRecords = 0
  var checkpointSeconds = 0.0
  /// Rank 0's wait at the end for the writer thread's last appends.
  var checkpointWaitSeconds = 0.0
  /// Rank 0's time on its work before the jobs (`firstOnRoot`: the point
  /// analysis, while the other ranks start on the jobs).
  var firstSeconds = 0.0
  /// Rank 0's time on its steps of `rootWork` (the fit's G² p-value, draw
  /// by draw between answers).
  var rootWorkSeconds = 0.0

  var json: JSON {
    .object([
      ("seconds", .number(seconds)),
      ("jobs_on_rank_0", .integer(jobSeconds.count)),
      ("job_seconds", .array(jobSeconds.map { .number($0) })),
      ("messages", .integer(messages)), ("message_seconds", .number(messageSeconds)),
      ("checkpoint_flushes", .integer(checkpointFlushes)), ("checkpoint_records", .integer(checkpointRecords)),
      ("checkpoint_seconds", .number(checkpointSeconds)), ("checkpoint_wait_seconds", .number(checkpointWaitSeconds)),
      ("first_on_rank_0_seconds", .number(firstSeconds)),
      ("root_work_on_rank_0_seconds", .number(rootWorkSeconds)),
    ])
  }
}

/// The messages of the work queue (MPI tags).
private enum Tag {
  /// Rank 0 to a worker: `[kind, jobs...]`, kind 0 = a chunk of jobs,
  /// 1 = finish (no more work: complete the queue), 2 = halt (drop the
  /// jobs not started).
  static let work = 1
  /// A worker to rank 0: `[flags, (job, n, n numbers)...]`, flags bit 0 =
  /// SIGTERM received, bit 1 = a job failed.
  static let result = 2
  /// A worker to rank 0: the worker has stopped and sends nothing more.
  static let done = 3
}

/// A worker rank: computes the chunks rank 0 sends, returns each chunk's
/// results, stops when told. A failed job is thrown after rank 0 has been
/// told and has halted the work, so that every rank ends together.
private func workOnChunks(communicator: Communicator, compute: (Int) throws -> [Double]) throws {
  var queue: [[Int]] = []
  var stopping = false
  var failure: Error? = nil
  while true {
    // Take every message from rank 0 that has arrived; wait for one while
    // there is nothing to do.
    while let envelope = try communicator.probe(from: 0, wait: queue.isEmpty && !stopping) {
      let message = try communicator.receive(envelope)
      switch message.first.map(Int.init) {
      case 0: queue.append(message.dropFirst().map { Int($0) })
      case 2: queue.removeAll(); stopping = true
      default: stopping = true
      }
      if queue.isEmpty && stopping { break }
    }
    guard !queue.isEmpty else { break }
    let chunk = queue.removeFirst()
    var reply: [Double] = [0]
    // After a SIGTERM or a failure the jobs left are skipped, and the
    // reply's flag makes rank 0 halt the work.
    for b in chunk where failure == nil && !terminationRequested {
      do {
        let numbers = try compute(b)
        reply += [Double(b), Double(numbers.count)] + numbers
      } catch {
        failure = error
      }
    }
    var flags = 0.0
    if terminationRequested { flags += 1 }
    if failure != nil { flags += 2 }
    reply[0] = flags
    try communicator.send(reply, to: 0, tag: Tag.result)
    if flags != 0 { queue.removeAll() }
  }
  try communicator.send([], to: 0, tag: Tag.done)
  if let failure { throw failure }
}

/// Rank 0's side of the work queue.
private struct Coordinator {
  /// Jobs not yet handed out, in job order.
  var pending: ArraySlice<Int>
  let ranks: Int
  /// Jobs with results (including those read from the checkpoint).
  var finished: Int
  var terminated = false
  var peerFailed = false
  var ownFailure: Error? = nil
  /// Whether a worker was told to finish or halt (it then sends nothing
  /// but results and its `done`).
  var told: [Bool]
  var workersDone = 0
  /// Finished jobs not yet in the checkpoint file.
  var unsaved: [(Int, [Double])] = []
  var lastSave = now()
  var costs = ResamplingCosts()
  /// The total of `costs.jobSeconds`.
  var ownSeconds = 0.0

  init(missing: [Int], ranks: Int, finishedBefore: Int) {
    pending = missing[...]
    self.ranks = ranks
    finished = finishedBefore
    told = [Bool](repeating: false, count: ranks)
  }

  /// Jobs per chunk: small enough to balance the ranks to the end, large
  /// enough that messages cost little beside the jobs.
  var chunkSize: Int { max(1, min(8, pending.count / (4 * ranks))) }

  var stopping: Bool { terminated || peerFailed || ownFailure != nil }

  /// Whether rank 0 may start a job of its own now. A worker holds two
  /// chunks: rank 0 must answer its result before it finishes the next
  /// one, i.e. within about `chunkSize` jobs' time. An own job holds every
  /// answer for one job's time, so rank 0 computes only while chunks hold at
  /// least two jobs (not in the last `8 R` jobs, where a long job would
  /// starve the workers and stretch the end; on two ranks it computes to
  /// the end, since a job of its own there gains a whole job and delays
  /// one answer by at most one job), and while answering results
  /// takes at most half of its time: `(R - 1) h / (m c) <= 1/2` with `h`
  /// its measured time per result message, `m` the chunk size and `c` the
  /// mean time of its own jobs. Alone (one rank) it computes everything.
  var computesOwnJobs: Bool {
    guard ranks > 1 else { return true }
    guard chunkSize >= 2 || ranks == 2 else { return false }
    guard costs.messages > 0, !costs.jobSeconds.isEmpty else { return true }
    let perMessage = costs.messageSeconds / Double(costs.messages)
    let perJob = ownSeconds / Double(costs.jobSeconds.count)
    return Double(ranks - 1) * perMessage <= 0.5 * Double(chunkSize) * perJob
  }

  mutating func nextChunk() -> [Int]? {
    guard !stopping, !pending.isEmpty else { return nil }
    let chunk = Array(pending.prefix(chunkSize))
    pending = pending.dropFirst(chunk.count)
    return chunk
  }

  /// Sends worker `rank` its next chunk, or tells it to finish.
  mutating func feed(_ rank: Int, communicator: Communicator) throws {
    guard !told[rank] else { return }
    if let chunk = nextChunk() {
      try communicator.send([0] + chunk.map(Double.init), to: rank, tag: Tag.work)
    } else {
      try communicator.send([stopping ? 2 : 1], to: rank, tag: Tag.work)
      told[rank] = true
    }
  }

  mutating func record(_ b: Int, _ numbers: [Double], keeps: Bool, store: (Int, [Double]) -> Void) {
    store(b, numbers)
    finished += 1
    if keeps { unsaved.append((b, numbers)) }
  }

  /// Finished jobs that go to the writer before the half second is up: on
  /// many ranks results arrive by the thousand every half second, and the
  /// writer should work through them during the run, not in the last
  /// append, which rank 0 waits for (about 10 µs a record).
  static let appendBatch = 1_000

  /// Hands finished jobs to the writer every half second, once
  /// `appendBatch` are waiting, and, once no job is left to hand out,
  /// whenever the writer is idle: the last append, which rank 0 waits for,
  /// then holds only the results of its last moments instead of up to
  /// `appendBatch`. From that point the writer appends (and flushes) as
  /// often as one append lasts: results that arrive during an append go
  /// into the next one.
  mutating func save(_ writer: CheckpointWriter?, force: Bool) throws {
    guard let writer, !unsaved.isEmpty,
      force || now() - lastSave >= 0.5 || unsaved.count >= Self.appendBatch || (pending.isEmpty && writer.isIdle)
    else { return }
    try writer.submit(unsaved)
    unsaved.removeAll()
    lastSave = now()
  }

  mutating func run(communicator: Communicator, checkpoint: Checkpoint?, progress: ((Int) -> Void)?,
                    firstOnRoot: () -> Void, rootWork: () -> Bool,
                    compute: (Int) throws -> [Double], store: (Int, [Double]) -> Void) throws {
    let writer = try checkpoint.map { try CheckpointWriter($0) }
    do {
      try distribute(communicator: communicator, writer: writer, progress: progress, firstOnRoot: firstOnRoot,
                     rootWork: rootWork, compute: compute, store: store)
      try save(writer, force: true)
    } catch {
      // The records submitted so far are still written; the first error
      // is the one reported.
      _ = try? writer?.finish()
      throw error
    }
    if let done = try writer?.finish() {
      costs.checkpointFlushes = done.appends
      costs.checkpointRecords = done.records
      costs.checkpointSeconds = done.seconds
      costs.checkpointWaitSeconds = done.waited
    }
    progress?(finished)
  }

  /// The loop of `run`: hands out chunks, answers results, computes its
  /// own jobs, queues finished ones for the writer.
  private mutating func distribute(communicator: Communicator, writer: CheckpointWriter?, progress: ((Int) -> Void)?,
                                   firstOnRoot: () -> Void, rootWork: () -> Bool,
                                   compute: (Int) throws -> [Double], store: (Int, [Double]) -> Void) throws {
    let workers = Array(1..<ranks)
    // Steps of `rootWork` remain (it is called until it says none do).
    var rootWorkLeft = true
    // Two chunks ahead for every worker.
    for _ in 0..<2 { for rank in workers { try feed(rank, communicator: communicator) } }
    let firstStarted = now()
    firstOnRoot()
    costs.firstSeconds = now() - firstStarted
    while true {
      if terminationRequested { terminated = true }
      if stopping {
        // Halt every worker still working; they answer with their last
        // results and `done`.
        for rank in workers where !told[rank] { try feed(rank, communicator: communicator) }
      }
      let ownWork = !stopping && !pending.isEmpty && computesOwnJobs
      // Rank 0's own steps come before its jobs: they are work that must
      // be done anyway, and a step is short (it delays an answer by little).
      let stepWork = !stopping && rootWorkLeft
      if workersDone == workers.count && !ownWork && !stepWork { break }
      if workers.count > workersDone, let envelope = try communicator.probe(wait: !ownWork && !stepWork) {
        let received = now()
        defer { costs.messageSeconds += now() - received }
        let message = try communicator.receive(envelope)
        if envelope.tag == Tag.done {
          workersDone += 1
          continue
        }
        costs.messages += 1
        let flags = Int(message.first ?? 0)
        if flags & 1 != 0 { terminated = true }
        if flags & 2 != 0 { peerFailed = true }
        var offset = 1
        while offset + 1 < message.count {
          let b = Int(message[offset]), n = Int(message[offset + 1])
          record(b, Array(message[(offset + 2)..<(offset + 2 + n)]), keeps: writer != nil, store: store)
          offset += 2 + n
        }
        try feed(envelope.source, communicator: communicator)
      } else if stepWork {
        let started = now()
        rootWorkLeft = rootWork()
        costs.rootWorkSeconds += now() - started
      } else if ownWork {
        let b = pending.removeFirst()
        let started = now()
        do {
          record(b, try compute(b), keeps: writer != nil, store: store)
        } catch {
          ownFailure = error
        }
        let spent = now() - started
        costs.jobSeconds.append(spent)
        ownSeconds += spent
      }
      do {
        try save(writer, force: false)
      } catch {
        // A failed append (74) halts the work like a failed job: every
        // rank stops and reaches the end together.
        if ownFailure == nil { ownFailure = error }
      }
      progress?(finished)
    }
  }
}
