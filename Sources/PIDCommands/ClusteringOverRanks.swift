import Cluster
import PIDData

/// The k-means restarts of both modalities spread over the ranks.
///
/// Rank 0 fits the projections (`Estimation.projections`); every rank
/// holds both clustering problems, runs the restarts whose index (x1's
/// restarts first, then x2's) is its rank modulo the rank count, and rank 0
/// gathers the runs and keeps each modality's best. Each restart has its
/// own random stream, so the codebooks are those of one process, whatever
/// the rank count.
struct ClusteringOverRanks {
  let problems: [ClusteringProblem]
  /// Every (modality, restart), in the order that assigns them to ranks.
  let restarts: [(modality: Int, restart: Int)]

  init(problems: [ClusteringProblem]) {
    self.problems = problems
    restarts = problems.indices.flatMap { m in problems[m].restarts.map { (m, $0) } }
  }

  /// The byte form rank 0 broadcasts: the length of x1's problem, then
  /// both problems.
  static func bytes(_ projections: (Codebook.Projection, Codebook.Projection)) -> [UInt8] {
    let first = projections.0.problem.bytes
    return withUnsafeBytes(of: UInt64(first.count).littleEndian) { Array($0) } + first + projections.1.problem.bytes
  }

  /// Decodes the form of `bytes(_:)`; nil when malformed.
  init?(bytes: [UInt8]) {
    guard bytes.count >= 8 else { return nil }
    var length: UInt64 = 0
    withUnsafeMutableBytes(of: &length) { $0.copyBytes(from: bytes[0..<8]) }
    length = UInt64(littleEndian: length)
    guard length <= UInt64(bytes.count - 8),
          let first = ClusteringProblem(bytes: Array(bytes[8..<(8 + Int(length))])),
          let second = ClusteringProblem(bytes: Array(bytes[(8 + Int(length))...]))
    else { return nil }
    self.init(problems: [first, second])
  }

  /// The restarts rank `rank` of `size` runs, in order.
  func share(of rank: Int, among size: Int) -> [(modality: Int, restart: Int)] {
    stride(from: rank, to: restarts.count, by: size).map { restarts[$0] }
  }

  /// Runs this rank's restarts and gathers every rank's runs on rank 0
  /// (in rank order; empty elsewhere). Every rank calls it.
  func gatherRuns(_ communicator: Communicator) throws -> [[UInt8]] {
    let runs = share(of: communicator.rank, among: communicator.size).map { problems[$0.modality].run($0.restart) }
    return try communicator.gather(ClusteringRun.bytes(runs))
  }

  /// The codebooks from rank 0's projections (whose problems are
  /// `problems`) and the runs gathered from the ranks.
  ///
  /// - Throws: `Failure` (internal error) when a rank's runs are malformed,
  ///   are not exactly its share, or cannot be runs of their problem.
  func codebooks(_ projections: (Codebook.Projection, Codebook.Projection), gathered: [[UInt8]]) throws -> (Codebook, Codebook) {
    var byModality: [[ClusteringRun]] = [[], []]
    var assigned: [(modality: Int, restart: Int, run: ClusteringRun)] = []
    for (rank, bytes) in gathered.enumerated() {
      let share = share(of: rank, among: gathered.count)
      guard let runs = ClusteringRun.runs(bytes: bytes), runs.count == share.count else {
        throw Failure("rank \(rank) sent malformed k-means runs (not its \(share.count) restarts)", status: .software)
      }
      for (item, run) in zip(share, runs) {
        guard problems[item.modality].accepts(run) else {
          throw Failure("rank \(rank) sent a k-means run that cannot be restart \(item.restart) of modality x\(item.modality + 1)",
                        status: .software)
        }
        assigned.append((item.modality, item.restart, run))
      }
    }
    for item in assigned.sorted(by: { ($0.modality, $0.restart) < ($1.modality, $1.restart) }) {
      byModality[item.modality].append(item.run)
    }
    return (Codebook(projections.0, runs: byModality[0]), Codebook(projections.1, runs: byModality[1]))
  }
}
