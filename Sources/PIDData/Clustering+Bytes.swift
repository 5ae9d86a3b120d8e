/// Byte forms of the clustering problems and runs, for handing restarts to
/// other processes: 64-bit little-endian words, doubles by bit pattern, so
/// a problem and its runs cross unchanged.

extension ClusteringProblem {
  /// `rows, dimension, clusters, iterations, seed, restarts`, then the
  /// points.
  public var bytes: [UInt8] {
    var out = ByteWriter()
    out.bytes.reserveCapacity(8 * (6 + points.count))
    for word in [rows, dimension, clusters, iterations] { out.word(word) }
    out.bits(seed)
    out.word(restarts.count)
    out.doubles(points)
    return out.bytes
  }

  /// Decodes `bytes`; nil when they are not the form of a problem that can
  /// run: at least one restart, `1 ... rows` clusters (1 with no rows), at
  /// least one coordinate, and exactly `rows x dimension` points.
  public init?(bytes: [UInt8]) {
    var input = ByteReader(bytes[...])
    let limit = Int(Int32.max)
    guard let rows = input.word(), let dimension = input.word(), let clusters = input.word(),
          let iterations = input.word(), let seed = input.bits(), let restarts = input.word(),
          [rows, dimension, clusters, iterations, restarts].allSatisfy({ $0 <= limit }),
          restarts >= 1, dimension >= 1, clusters >= 1, clusters <= max(rows, 1),
          input.remaining % 8 == 0, input.remaining / 8 == rows * dimension, let points = input.doubles(count: rows * dimension)
    else { return nil }
    self.init(points: points, rows: rows, dimension: dimension, clusters: clusters, iterations: iterations, seed: seed,
              restarts: restarts)
  }
}

extension ClusteringRun {
  /// Several runs: their count, then each run's inertia, centroid count
  /// and centroids.
  public static func bytes(_ runs: [ClusteringRun]) -> [UInt8] {
    var out = ByteWriter()
    out.word(runs.count)
    for run in runs {
      out.bits(run.inertia.bitPattern)
      out.word(run.centroids.count)
      out.doubles(run.centroids)
    }
    return out.bytes
  }

  /// Decodes the form of `bytes(_:)`; nil when malformed (a count or a
  /// length beyond the bytes, or bytes left over).
  public static func runs(bytes: [UInt8]) -> [ClusteringRun]? {
    var input = ByteReader(bytes[...])
    // Each run takes at least its two words.
    guard let count = input.word(), count <= input.remaining / 16 else { return nil }
    var runs: [ClusteringRun] = []
    for _ in 0..<count {
      guard let inertia = input.bits(), let length = input.word(), let centroids = input.doubles(count: length) else { return nil }
      runs.append(ClusteringRun(inertia: Double(bitPattern: inertia), centroids: centroids))
    }
    return input.isAtEnd ? runs : nil
  }
}
