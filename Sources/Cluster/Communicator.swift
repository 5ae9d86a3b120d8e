import CMPIShim

#if canImport(Glibc)
import Glibc
#endif

/// An error reported by Open MPI, with the operation that failed.
public struct MPIError: Error, CustomStringConvertible, Sendable {
  public var operation: String
  public var code: Int32

  public var description: String {
    var buffer = [CChar](repeating: 0, count: 512)
    pb_mpi_error_string(code, &buffer, Int32(buffer.count))
    let text = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    return "MPI \(operation) failed (code \(code)): \(text)"
  }
}

/// The processes of one job and the operations between them.
///
/// A process started by `mpirun` (Open MPI sets `OMPI_COMM_WORLD_SIZE` or
/// `PMIX_RANK`) initializes MPI; a process started plainly does not, and
/// forms a job of one rank without paying MPI's start-up. Every method
/// works in both cases. All collective methods must be called by every rank
/// in the same order.
public final class Communicator {
  /// This process's rank, `0..<size`.
  public let rank: Int
  /// The number of processes in the job.
  public let size: Int
  /// Whether MPI was initialized (the process was launched by `mpirun`).
  public let usesMPI: Bool

  /// Rank 0 writes output and reports errors.
  public var isRoot: Bool { rank == 0 }

  /// Whether the environment says this process was started by an MPI
  /// launcher.
  public static var launchedByMPI: Bool {
    for name in ["OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK"] where getenv(name) != nil {
      return true
    }
    return false
  }

  /// Joins the job: initializes MPI when launched by `mpirun`.
  public init(initializeMPI: Bool = Communicator.launchedByMPI) throws {
    if initializeMPI {
      var rank: Int32 = 0
      var size: Int32 = 1
      try check("MPI_Init", pb_mpi_init(&rank, &size))
      self.rank = Int(rank)
      self.size = Int(size)
      self.usesMPI = true
    } else {
      self.rank = 0
      self.size = 1
      self.usesMPI = false
    }
  }

  /// Leaves the job cleanly. Call once, on every rank, before exiting.
  public func finalize() {
    if usesMPI && pb_mpi_is_initialized() != 0 {
      _ = pb_mpi_finalize()
    }
  }

  /// Ends every process of the job with `code`. Used when ranks can no
  /// longer agree (one rank failed alone).
  public func abort(code: Int32) -> Never {
    if usesMPI && pb_mpi_is_initialized() != 0 {
      _ = pb_mpi_abort(code)
    }
    exit(code)
  }

  /// Waits for every rank.
  public func barrier() throws {
    guard usesMPI else { return }
    try check("MPI_Barrier", pb_mpi_barrier())
  }

  /// Sends `bytes` from `root` to every rank; returns what root sent.
  /// Other ranks' arguments are ignored.
  public func broadcast(_ bytes: [UInt8], root: Int = 0) throws -> [UInt8] {
    guard usesMPI else { return bytes }
    var count = [Double(bytes.count)]
    try check("MPI_Bcast", pb_mpi_bcast_doubles(&count, 1, Int32(root)))
    var buffer = rank == root ? bytes : [UInt8](repeating: 0, count: Int(count[0]))
    try buffer.withUnsafeMutableBytes { raw in
      try check("MPI_Bcast", pb_mpi_bcast_bytes(raw.baseAddress, raw.count, Int32(root)))
    }
    return buffer
  }

  /// The element-wise maximum of `values` over all ranks.
  public func maximum(_ values: [Int32]) throws -> [Int32] {
    guard usesMPI else { return values }
    var result = values
    try check("MPI_Allreduce", pb_mpi_allreduce_max_ints(values, &result, values.count))
    return result
  }

  /// Gathers every rank's bytes on `root`, in rank order. Other ranks
  /// receive an empty array.
  public func gather(_ bytes: [UInt8], root: Int = 0) throws -> [[UInt8]] {
    guard usesMPI else { return [bytes] }
    // Every rank's count, everywhere (a max-reduction of one-hot vectors).
    var mine = [Int32](repeating: 0, count: size)
    mine[rank] = Int32(clamping: bytes.count)
    let counts = try maximum(mine).map { Int($0) }
    var receive = [UInt8](repeating: 0, count: rank == root ? counts.reduce(0, +) : 0)
    let longCounts = counts.map { CLong($0) }
    try receive.withUnsafeMutableBytes { out in
      try bytes.withUnsafeBytes { inp in
        try check(
          "MPI_Gatherv",
          pb_mpi_gatherv_bytes(inp.baseAddress, inp.count, out.baseAddress, longCounts, Int32(root)))
      }
    }
    guard rank == root else { return [] }
    var blocks: [[UInt8]] = []
    var offset = 0
    for count in counts {
      blocks.append(Array(receive[offset..<offset + count]))
      offset += count
    }
    return blocks
  }
}

extension Communicator {
  /// Gathers every rank's numbers on `root`, in rank order, bit for bit
  /// (NaN payloads included). Other ranks receive an empty array.
  public func gather(_ values: [Double], root: Int = 0) throws -> [[Double]] {
    try gather(littleEndianBytes(values), root: root).map(doublesFromLittleEndian)
  }

  /// Every rank's numbers on every rank, in rank order, bit for bit.
  public func allGather(_ values: [Double]) throws -> [[Double]] {
    guard usesMPI, size > 1 else { return [values] }
    let blocks = try gather(values)
    // Rank 0 sends the lengths, then the concatenation.
    let packed = isRoot ? blocks.map { Double($0.count) } + blocks.flatMap { $0 } : []
    let all = doublesFromLittleEndian(try broadcast(littleEndianBytes(packed)))
    var offset = size
    return (0..<size).map { rank in
      let length = Int(all[rank])
      defer { offset += length }
      return Array(all[offset..<(offset + length)])
    }
  }
}

private func littleEndianBytes(_ values: [Double]) -> [UInt8] {
  var bytes = [UInt8]()
  bytes.reserveCapacity(values.count * 8)
  for x in values { withUnsafeBytes(of: x.bitPattern.littleEndian) { bytes += $0 } }
  return bytes
}

private func doublesFromLittleEndian(_ bytes: [UInt8]) -> [Double] {
  stride(from: 0, to: bytes.count - 7, by: 8).map { offset in
    var x: UInt64 = 0
    withUnsafeMutableBytes(of: &x) { $0.copyBytes(from: bytes[offset..<(offset + 8)]) }
    return Double(bitPattern: UInt64(littleEndian: x))
  }
}

@inline(__always)
private func check(_ operation: String, _ code: Int32) throws {
  if code != 0 { throw MPIError(operation: operation, code: code) }
}
