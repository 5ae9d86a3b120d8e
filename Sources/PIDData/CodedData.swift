import PIDMath

/// The discretized datasets: every row as codes. This is what the
/// bootstrap resamples and what ranks exchange.
public struct CodedData: Sendable, Equatable {
  public var alphabet1: Int
  public var alphabet2: Int
  public var labelCount: Int
  /// D1: modality-1 code and label code per row.
  public var d1x1: [Int32], d1y: [Int32]
  /// D2: modality-2 code and label code per row.
  public var d2x2: [Int32], d2y: [Int32]
  /// DM: both codes per row.
  public var dmx1: [Int32], dmx2: [Int32]
  /// DL (possibly empty): both codes and the label per row.
  public var dlx1: [Int32], dlx2: [Int32], dly: [Int32]

  public init(alphabet1: Int, alphabet2: Int, labelCount: Int, d1x1: [Int32], d1y: [Int32], d2x2: [Int32], d2y: [Int32],
              dmx1: [Int32], dmx2: [Int32], dlx1: [Int32], dlx2: [Int32], dly: [Int32]) {
    self.alphabet1 = alphabet1
    self.alphabet2 = alphabet2
    self.labelCount = labelCount
    self.d1x1 = d1x1
    self.d1y = d1y
    self.d2x2 = d2x2
    self.d2y = d2y
    self.dmx1 = dmx1
    self.dmx2 = dmx2
    self.dlx1 = dlx1
    self.dlx2 = dlx2
    self.dly = dly
  }

  /// Count tables `p(x1,y)` (from D1), `p(x2,y)` (from D2), `p(x1,x2)` (from DM).
  public var pairwiseCounts: (x1y: Matrix, x2y: Matrix, x1x2: Matrix) {
    var t1 = Matrix(rows: alphabet1, columns: labelCount), t2 = Matrix(rows: alphabet2, columns: labelCount)
    var t12 = Matrix(rows: alphabet1, columns: alphabet2)
    for r in d1x1.indices { t1.elements[Int(d1x1[r]) * labelCount + Int(d1y[r])] += 1 }
    for r in d2x2.indices { t2.elements[Int(d2x2[r]) * labelCount + Int(d2y[r])] += 1 }
    for r in dmx1.indices { t12.elements[Int(dmx1[r]) * alphabet2 + Int(dmx2[r])] += 1 }
    return (t1, t2, t12)
  }

  /// Joint counts of DL, `[x1][x2][y]`, or nil without DL.
  public var validationCounts: [Double]? {
    guard !dly.isEmpty else { return nil }
    var joint = [Double](repeating: 0, count: alphabet1 * alphabet2 * labelCount)
    for r in dly.indices { joint[(Int(dlx1[r]) * alphabet2 + Int(dlx2[r])) * labelCount + Int(dly[r])] += 1 }
    return joint
  }

  /// Bootstrap replicate `replicate`: every dataset resampled with
  /// replacement at its own size, from random streams determined by
  /// `(seed, replicate, dataset)` only, so that the replicate is the same
  /// whichever process computes it.
  public func resampled(seed: UInt64, replicate: Int) -> CodedData {
    func indices(_ n: Int, _ stream: UInt64) -> [Int] {
      var g = SplitMix64(seed: streamSeed(seed, UInt64(replicate), stream))
      return (0..<n).map { _ in Int(g.next() % UInt64(max(n, 1))) }
    }
    let i1 = indices(d1x1.count, 1), i2 = indices(d2x2.count, 2), im = indices(dmx1.count, 3), il = indices(dly.count, 4)
    return CodedData(
      alphabet1: alphabet1, alphabet2: alphabet2, labelCount: labelCount,
      d1x1: i1.map { d1x1[$0] }, d1y: i1.map { d1y[$0] }, d2x2: i2.map { d2x2[$0] }, d2y: i2.map { d2y[$0] },
      dmx1: im.map { dmx1[$0] }, dmx2: im.map { dmx2[$0] },
      dlx1: il.map { dlx1[$0] }, dlx2: il.map { dlx2[$0] }, dly: il.map { dly[$0] })
  }

  /// Permutation `index` of the null "the label is independent of both
  /// modalities": the labels of D1 are shuffled among D1's rows, those of
  /// D2 among D2's rows and those of DL among DL's rows (Fisher–Yates,
  /// streams determined by `(seed, index, dataset)` only); DM is kept.
  /// Every dependence on y goes, the marginals stay.
  public func permuted(seed: UInt64, index: Int) -> CodedData {
    func shuffled(_ a: [Int32], _ stream: UInt64) -> [Int32] {
      var g = SplitMix64(seed: streamSeed(seed ^ 0x5EED_0F_9E47, UInt64(index), stream))
      var out = a
      for i in stride(from: out.count - 1, to: 0, by: -1) {
        out.swapAt(i, Int(g.next() % UInt64(i + 1)))
      }
      return out
    }
    var copy = self
    copy.d1y = shuffled(d1y, 1)
    copy.d2y = shuffled(d2y, 2)
    copy.dly = shuffled(dly, 4)
    return copy
  }

  /// Rows of D1, D2, DM and DL (the jackknife's samples, in this order).
  public var sampleSizes: [Int] { [d1y.count, d2y.count, dmx1.count, dly.count] }

  /// The distinct rows of every sample with their multiplicities, in a
  /// fixed order (D1 by `(x1, y)`, D2 by `(x2, y)`, DM by `(x1, x2)`, DL by
  /// `(x1, x2, y)`, each in row-major cell order). Deleting any one of a
  /// cell's rows changes the counts in the same way, so a delete-one
  /// jackknife needs one evaluation per cell.
  public var jackknifeCells: [JackknifeCell] {
    let tables = pairwiseCounts
    var cells: [JackknifeCell] = []
    for (sample, elements) in [(0, tables.x1y.elements), (1, tables.x2y.elements), (2, tables.x1x2.elements),
                               (3, validationCounts ?? [])] {
      for (cell, count) in elements.enumerated() where count > 0 {
        cells.append(JackknifeCell(sample: sample, cell: cell, count: Int(count)))
      }
    }
    return cells
  }

  /// The largest joint table `alphabet1 * alphabet2 * labelCount` accepted
  /// (10^7 cells, 80 MB of doubles per table; a fit holds several): far
  /// beyond any table whose plug-in estimate means something, and small
  /// enough that a node's memory holds the fit.
  public static let maximumCells = 10_000_000

  // MARK: Bytes, for broadcasting

  /// A flat little-endian encoding.
  public var bytes: [UInt8] {
    var out = [UInt8]()
    func put(_ x: Int32) { withUnsafeBytes(of: x.littleEndian) { out += $0 } }
    func put(_ a: [Int32]) {
      put(Int32(a.count))
      for x in a { put(x) }
    }
    put(Int32(alphabet1))
    put(Int32(alphabet2))
    put(Int32(labelCount))
    for array in [d1x1, d1y, d2x2, d2y, dmx1, dmx2, dlx1, dlx2, dly] { put(array) }
    return out
  }

  /// Decodes `bytes`; nil if malformed: truncated, trailing bytes, an
  /// alphabet below 1 or with more than `maximumCells` joint cells, paired
  /// arrays of different lengths, or a code outside its alphabet (which
  /// would index past a count table). Never allocates more than the input
  /// can describe.
  public init?(bytes: [UInt8]) {
    var offset = 0
    func get() -> Int32? {
      guard offset + 4 <= bytes.count else { return nil }
      var x: Int32 = 0
      withUnsafeMutableBytes(of: &x) { $0.copyBytes(from: bytes[offset..<(offset + 4)]) }
      offset += 4
      return Int32(littleEndian: x)
    }
    func array() -> [Int32]? {
      guard let n = get(), n >= 0, Int(n) <= (bytes.count - offset) / 4 else { return nil }
      var out = [Int32]()
      out.reserveCapacity(Int(n))
      for _ in 0..<n { guard let x = get() else { return nil }; out.append(x) }
      return out
    }
    guard let a1 = get(), let a2 = get(), let k = get() else { return nil }
    var arrays: [[Int32]] = []
    for _ in 0..<9 { guard let a = array() else { return nil }; arrays.append(a) }
    guard offset == bytes.count, a1 >= 1, a2 >= 1, k >= 1,
      Int(a1) * Int(a2) * Int(k) <= CodedData.maximumCells,
      arrays[0].count == arrays[1].count, arrays[2].count == arrays[3].count, arrays[4].count == arrays[5].count,
      arrays[6].count == arrays[7].count, arrays[7].count == arrays[8].count
    else { return nil }
    for (array, size) in zip(arrays, [a1, k, a2, k, a1, a2, a1, a2, k]) where !array.allSatisfy({ $0 >= 0 && $0 < size }) {
      return nil
    }
    self.init(alphabet1: Int(a1), alphabet2: Int(a2), labelCount: Int(k), d1x1: arrays[0], d1y: arrays[1], d2x2: arrays[2],
              d2y: arrays[3], dmx1: arrays[4], dmx2: arrays[5], dlx1: arrays[6], dlx2: arrays[7], dly: arrays[8])
  }
}

/// A distinct row of one of the datasets (see `CodedData.jackknifeCells`).
public struct JackknifeCell: Sendable, Equatable {
  /// 0 = D1, 1 = D2, 2 = DM, 3 = DL.
  public var sample: Int
  /// Row-major index of the cell in that sample's count table.
  public var cell: Int
  /// How many rows fall into the cell.
  public var count: Int

  public init(sample: Int, cell: Int, count: Int) {
    self.sample = sample
    self.cell = cell
    self.count = count
  }
}

/// A seed for stream `stream` of replicate `replicate` under `seed`.
func streamSeed(_ seed: UInt64, _ replicate: UInt64, _ stream: UInt64) -> UInt64 {
  var g = SplitMix64(seed: seed ^ 0xB007_5742)
  var x = g.next() ^ (replicate &* 0x9E37_79B9_7F4A_7C15)
  g = SplitMix64(seed: x)
  x = g.next() ^ (stream &* 0xC2B2_AE3D_27D4_EB4F)
  var last = SplitMix64(seed: x)
  return last.next()
}
