import Cluster
import PIDMath

#if canImport(Glibc)
import Glibc
#endif

/// The ranks of the job as `Workers` for the math: one analysis shared by
/// all ranks. A failed exchange cannot be recovered mid-solve: it ends the
/// whole job (never a hang) with a message naming the operation.
struct RankWorkers: Workers, @unchecked Sendable {
  let communicator: Communicator

  init(_ communicator: Communicator) { self.communicator = communicator }

  var count: Int { communicator.size }
  var index: Int { communicator.rank }

  func allGather(_ values: [Double]) -> [[Double]] {
    guard communicator.usesMPI, communicator.size > 1 else { return [values] }
    do {
      var bytes = [UInt8]()
      bytes.reserveCapacity(values.count * 8)
      for x in values { withUnsafeBytes(of: x.bitPattern.littleEndian) { bytes += $0 } }
      // Rank 0 collects, then everyone gets the concatenation with counts.
      let blocks = try communicator.gather(bytes)
      var packed = [UInt8]()
      if communicator.isRoot {
        for block in blocks { withUnsafeBytes(of: UInt64(block.count).littleEndian) { packed += $0 } }
        for block in blocks { packed += block }
      }
      packed = try communicator.broadcast(packed)
      func word(_ offset: Int) -> UInt64 {
        var x: UInt64 = 0
        withUnsafeMutableBytes(of: &x) { $0.copyBytes(from: packed[offset..<(offset + 8)]) }
        return UInt64(littleEndian: x)
      }
      var result: [[Double]] = []
      var offset = 8 * communicator.size
      for worker in 0..<communicator.size {
        let length = Int(word(8 * worker))
        var block = [Double]()
        block.reserveCapacity(length / 8)
        for i in stride(from: 0, to: length, by: 8) { block.append(Double(bitPattern: word(offset + i))) }
        offset += length
        result.append(block)
      }
      return result
    } catch {
      writeStandardError("pidbounds: error: rank \(communicator.rank): \(error) while sharing a solve\n")
      communicator.abort(code: 70)
    }
  }
}
