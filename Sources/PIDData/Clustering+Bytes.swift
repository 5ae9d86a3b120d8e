/// Byte forms of the clustering problems and runs, for handing restarts to
/// other processes: 64-bit little-endian words, doubles by bit pattern, so
/// a problem and its runs cross unchanged.

extension ClusteringProblem {
  /// `rows, dimension, clusters, iterations, seed, restarts`, then the
  /// points.
  public var bytes: [UInt8] {
    var words: [UInt64] = [UInt64(rows), UInt64(dimension), UInt64(clusters), UInt64(iterations), seed,
                           UInt64(restarts.count)]
    words.reserveCapacity(words.count + points.count)
    for x in points { words.append(x.bitPattern) }
    return littleEndianBytes(words)
  }

  /// Decodes `bytes`; nil when they are not the form of a problem that can
  /// run: at least one restart, `1 ... rows` clusters (1 with no rows), at
  /// least one coordinate, and exactly `rows x dimension` points.
  public init?(bytes: [UInt8]) {
    guard let words = wordsFromLittleEndian(bytes), words.count >= 6 else { return nil }
    let limit = UInt64(Int32.max)
    guard words[0] <= limit, words[1] <= limit, words[2] <= limit, words[3] <= limit, words[5] <= limit else { return nil }
    let rows = Int(words[0]), dimension = Int(words[1]), clusters = Int(words[2])
    guard words[5] >= 1, dimension >= 1, clusters >= 1, clusters <= max(rows, 1),
      words.count - 6 == rows * dimension
    else { return nil }
    self.init(points: words[6...].map(Double.init(bitPattern:)), rows: rows, dimension: dimension,
              clusters: Int(words[2]), iterations: Int(words[3]), seed: words[4], restarts: Int(words[5]))
  }
}

extension ClusteringRun {
  /// Several runs: their count, then each run's inertia, centroid count
  /// and centroids.
  public static func bytes(_ runs: [ClusteringRun]) -> [UInt8] {
    var words: [UInt64] = [UInt64(runs.count)]
    for run in runs {
      words.append(run.inertia.bitPattern)
      words.append(UInt64(run.centroids.count))
      for x in run.centroids { words.append(x.bitPattern) }
    }
    return littleEndianBytes(words)
  }

  /// Decodes the form of `bytes(_:)`; nil when malformed (a count or a
  /// length beyond the bytes, or bytes left over).
  public static func runs(bytes: [UInt8]) -> [ClusteringRun]? {
    guard let words = wordsFromLittleEndian(bytes), let count = words.first, count <= UInt64(words.count / 2) else { return nil }
    var runs: [ClusteringRun] = []
    var offset = 1
    for _ in 0..<Int(count) {
      guard offset + 2 <= words.count, words[offset + 1] <= UInt64(words.count - offset - 2) else { return nil }
      let length = Int(words[offset + 1])
      runs.append(ClusteringRun(inertia: Double(bitPattern: words[offset]),
                                centroids: words[(offset + 2)..<(offset + 2 + length)].map(Double.init(bitPattern:))))
      offset += 2 + length
    }
    return offset == words.count ? runs : nil
  }
}

private func littleEndianBytes(_ words: [UInt64]) -> [UInt8] {
  var out = [UInt8]()
  out.reserveCapacity(words.count * 8)
  for word in words { withUnsafeBytes(of: word.littleEndian) { out += $0 } }
  return out
}

private func wordsFromLittleEndian(_ bytes: [UInt8]) -> [UInt64]? {
  guard bytes.count % 8 == 0 else { return nil }
  var words = [UInt64](repeating: 0, count: bytes.count / 8)
  words.withUnsafeMutableBytes { $0.copyBytes(from: bytes) }
  for i in words.indices { words[i] = UInt64(littleEndian: words[i]) }
  return words
}
