import Cluster
import PIDData

/// The k-means restarts of both modalities spread over the ranks.
///
/// Rank 0 fits the projections (`Estimation.projections`); every rank
/// receives both clustering problems, runs the restarts whose index (x1's
/// restarts first, then x2's) is its rank modulo the rank count, and rank 0
/// gathers the runs and keeps each modality's best. Each restart has its
/// own random stream, so the codebooks are those of one process, whatever
/// the rank count.
struct ClusteringOverRanks {
  let problems: [ClusteringProblem]

  /// Every (modality, restart), in the order that assigns them to ranks.
  var restarts: [(modality: Int, restart: Int)] {
    problems.indices.flatMap { m in problems[m].restarts.map { (m, $0) } }
  }

  /// The byte form rank 0 broadcasts: the length of x1's problem, then
  /// both problems.
  static func bytes(_ projections: (Codebook.Projection, Codebook.Projection)) -> [UInt8] {
    let first = projections.0.problem.bytes
    return withUnsafeBytes(of: UInt64(first.count).littleEndian) { Array($0) } + first + projections.1.problem.bytes
  }

  init?(bytes: [UInt8]) {
    guard bytes.count >= 8 else { return nil }
    var length: UInt64 = 0
    withUnsafeMutableBytes(of: &length) { $0.copyBytes(from: bytes[0..<8]) }
    length = UInt64(littleEndian: length)
    guard length <= UInt64(bytes.count - 8),
          let first = ClusteringProblem(bytes: Array(bytes[8..<(8 + Int(length))])),
          let second = ClusteringProblem(bytes: Array(bytes[(8 + Int(length))...]))
    else { return nil }
    problems = [first, second]
  }

  /// Runs this rank's restarts and gathers every rank's runs on rank 0
  /// (in rank order; empty elsewhere). Every rank calls it.
  func gatherRuns(_ communicator: Communicator) throws -> [[UInt8]] {
    let all = restarts
    let mine = stride(from: communicator.rank, to: all.count, by: communicator.size).map { all[$0] }
    let runs = mine.map { problems[$0.modality].run($0.restart) }
    return try communicator.gather(ClusteringRun.bytes(runs))
  }

  /// The codebooks from rank 0's projections and the gathered runs.
  func codebooks(_ projections: (Codebook.Projection, Codebook.Projection), gathered: [[UInt8]]) throws -> (Codebook, Codebook) {
    let perRank = try gathered.enumerated().map { rank, bytes in
      guard let runs = ClusteringRun.runs(bytes: bytes) else {
        throw Failure("rank \(rank) sent malformed k-means runs", status: .software)
      }
      return runs
    }
    let all = restarts
    var byModality: [[ClusteringRun]] = [[], []]
    for (j, item) in all.enumerated() {
      let rank = j % perRank.count, position = j / perRank.count
      guard position < perRank[rank].count else {
        throw Failure("rank \(rank) sent \(perRank[rank].count) k-means runs, fewer than its share", status: .software)
      }
      byModality[item.modality].append(perRank[rank][position])
    }
    return (Codebook(projections.0, runs: byModality[0]), Codebook(projections.1, runs: byModality[1]))
  }
}
