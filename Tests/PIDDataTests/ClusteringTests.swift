import Foundation
@testable import PIDData
import PIDMath
import Testing

/// The clustering stage that `estimate` spreads over ranks: projections,
/// independent restarts, their byte forms and the codebook chosen from them.
@Suite("Clustering restarts")
struct ClusteringTests {
  /// Rows of `dimension` features around three centres, with noise.
  func features(rows: Int, dimension: Int, seed: UInt64) -> [Float] {
    var g = SplitMix64(seed: seed)
    var out: [Float] = []
    for r in 0..<rows {
      for j in 0..<dimension { out.append(Float(Double((r % 3) * (j + 1)) + 2 * g.unit() - 1)) }
    }
    return out
  }

  @Test("Restarts run one by one, in any order, give the codebook of the plain fit")
  func restartsInAnyOrder() throws {
    let options = DiscretizationOptions(clusters: 4, components: 2, restarts: 5, seed: 9)
    let sources = [features(rows: 300, dimension: 4, seed: 1), features(rows: 120, dimension: 4, seed: 2)]
    let plain = Codebook(fitting: sources, dimension: 4, options: options)
    let projection = Codebook.Projection(fitting: sources, dimension: 4, options: options)
    #expect(projection.problem.rows == 420 && projection.problem.dimension == 2 && projection.problem.restarts == 0..<5)
    // As ranks would: restart j on "rank" j mod 2, computed in reverse.
    var runs = [ClusteringRun?](repeating: nil, count: 5)
    for j in projection.problem.restarts.reversed() { runs[j] = projection.problem.run(j) }
    let assembled = Codebook(projection, runs: runs.map { $0! })
    #expect(assembled.centroids == plain.centroids)
    #expect(assembled.axes == plain.axes && assembled.mean == plain.mean)
    #expect(assembled.encode(sources[0]) == plain.encode(sources[0]))
    // The restarts differ, and the codebook keeps the least inertia.
    let inertias = runs.map { $0!.inertia }
    #expect(Set(runs.map { $0!.centroids }).count > 1)
    let best = inertias.indices.min { inertias[$0] < inertias[$1] }!
    #expect(assembled.centroids == runs[best]!.centroids)
  }

  @Test("Problems and runs cross as bytes unchanged; malformed bytes are refused")
  func bytesRoundTrip() throws {
    let options = DiscretizationOptions(clusters: 3, components: 0, restarts: 2, seed: 4)
    let projection = Codebook.Projection(fitting: [features(rows: 50, dimension: 3, seed: 5)], dimension: 3, options: options)
    let problem = projection.problem
    let decoded = try #require(ClusteringProblem(bytes: problem.bytes))
    #expect(decoded.points == problem.points && decoded.rows == problem.rows && decoded.dimension == problem.dimension)
    #expect(decoded.clusters == problem.clusters && decoded.iterations == problem.iterations)
    #expect(decoded.seed == problem.seed && decoded.restarts == problem.restarts)
    #expect(decoded.run(1) == problem.run(1))
    #expect(ClusteringProblem(bytes: Array(problem.bytes.dropLast(8))) == nil)
    #expect(ClusteringProblem(bytes: Array(problem.bytes.dropLast(3))) == nil)
    #expect(ClusteringProblem(bytes: []) == nil)

    // Problems that cannot run: no restart, no cluster, more clusters than
    // rows, no coordinate.
    func variant(rows: Int, dimension: Int, clusters: Int, restarts: Int) -> [UInt8] {
      ClusteringProblem(points: [Double](repeating: 0.5, count: rows * dimension), rows: rows, dimension: dimension,
                        clusters: clusters, iterations: 10, seed: 1, restarts: restarts).bytes
    }
    #expect(ClusteringProblem(bytes: variant(rows: 4, dimension: 2, clusters: 2, restarts: 1)) != nil)
    #expect(ClusteringProblem(bytes: variant(rows: 4, dimension: 2, clusters: 2, restarts: 0)) == nil)
    #expect(ClusteringProblem(bytes: variant(rows: 4, dimension: 2, clusters: 0, restarts: 1)) == nil)
    #expect(ClusteringProblem(bytes: variant(rows: 4, dimension: 2, clusters: 5, restarts: 1)) == nil)
    #expect(ClusteringProblem(bytes: variant(rows: 4, dimension: 0, clusters: 2, restarts: 1)) == nil)
    // Rows beyond the bytes (a huge count) are refused, not allocated.
    var huge = variant(rows: 4, dimension: 2, clusters: 2, restarts: 1)
    huge.replaceSubrange(0..<8, with: withUnsafeBytes(of: UInt64(Int32.max).littleEndian) { Array($0) })
    #expect(ClusteringProblem(bytes: huge) == nil)

    let runs = [problem.run(0), problem.run(1)]
    #expect(runs.allSatisfy(problem.accepts))
    #expect(!problem.accepts(ClusteringRun(inertia: runs[0].inertia, centroids: Array(runs[0].centroids.dropLast()))))
    #expect(!problem.accepts(ClusteringRun(inertia: -1, centroids: runs[0].centroids)))
    #expect(!problem.accepts(ClusteringRun(inertia: runs[0].inertia, centroids: [.nan] + runs[0].centroids.dropFirst())))
    var manyRuns = ClusteringRun.bytes(runs)
    manyRuns.replaceSubrange(0..<8, with: withUnsafeBytes(of: UInt64.max.littleEndian) { Array($0) })
    #expect(ClusteringRun.runs(bytes: manyRuns) == nil)
    #expect(ClusteringRun.runs(bytes: ClusteringRun.bytes(runs)) == runs)
    #expect(ClusteringRun.runs(bytes: ClusteringRun.bytes([])) == [])
    #expect(ClusteringRun.runs(bytes: Array(ClusteringRun.bytes(runs).dropLast(8))) == nil)
    #expect(ClusteringRun.runs(bytes: ClusteringRun.bytes(runs) + [UInt8](repeating: 0, count: 8)) == nil)
  }
}

/// The covariance of the PCA fit, rows two at a time in SIMD lanes, is the
/// plain row-by-row sum to the bit.
@Suite("Covariance accumulation")
struct CovarianceTests {
  @Test("Pairs of rows (and a last odd one) give the row-by-row sums exactly", arguments: [1, 2, 5, 64, 65])
  func pairsOfRows(dimension d: Int) {
    var state: UInt64 = UInt64(d) &* 977
    func unit() -> Double {
      state = state &* 6364136223846793005 &+ 1442695040888963407
      return Double(state >> 11) / Double(1 << 53) * 2 - 1
    }
    let rows = (0..<9).map { r in (0..<d).map { _ in unit() * pow(10, Double(r % 5) - 2) } }
    var plain = [Double](repeating: 0, count: d * d)
    for row in rows {
      for i in 0..<d { for j in i..<d { plain[i * d + j] += row[i] * row[j] } }
    }
    var paired = [Double](repeating: 0, count: d * d)
    var r = 0
    while r + 2 <= rows.count {
      Codebook.addOuterProducts(rows[r], rows[r + 1], into: &paired)
      r += 2
    }
    if r < rows.count { Codebook.addOuterProducts(rows[r], nil, into: &paired) }
    let differing = zip(paired, plain).filter { $0.bitPattern != $1.bitPattern }.count
    #expect(differing == 0, "\(differing) of \(d * d) entries differ")
  }
}
