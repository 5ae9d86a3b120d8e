#if canImport(Glibc)
import Glibc
#endif

/// An error reported by Open MPI (or by loading it), with the operation
/// that failed.
public struct MPIError: Error, CustomStringConvertible, Sendable {
  public var operation: String
  /// Open MPI's error code; nil when the shim could not be loaded.
  public var code: Int32?
  /// Open MPI's text for the code, or what went wrong while loading.
  public var message: String

  public init(operation: String, code: Int32? = nil, message: String) {
    self.operation = operation
    self.code = code
    self.message = message
  }

  public var description: String {
    if let code { return "MPI \(operation) failed (code \(code)): \(message)" }
    return "MPI \(operation) failed: \(message)"
  }
}

/// The processes of one job and the operations between them.
///
/// A process started by `mpirun` (Open MPI sets `OMPI_COMM_WORLD_SIZE` or
/// `PMIX_RANK`) initializes MPI; a process started plainly does not, and
/// forms a job of one rank without paying MPI's start-up (nor loading Open
/// MPI's libraries: see `MPILibrary`). Every method
/// works in both cases. All collective methods must be called by every rank
/// in the same order.
public final class Communicator {
  /// This process's rank, `0..<size`.
  public let rank: Int
  /// The number of processes in the job.
  public let size: Int
  /// Whether MPI was initialized (the process was launched by `mpirun`).
  public var usesMPI: Bool { library != nil }
  /// The loaded shim; nil in a plain run.
  let library: MPILibrary?

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

  /// The rank the launcher gave this process (`OMPI_COMM_WORLD_RANK`,
  /// `PMIX_RANK`), known before MPI is initialized; nil in a plain run.
  /// Lets only rank 0 report a failure to initialize.
  public static var launcherRank: Int? {
    for name in ["OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK"] {
      if let value = getenv(name), let rank = Int(String(cString: value)) { return rank }
    }
    return nil
  }

  /// Joins the job: initializes MPI when launched by `mpirun`.
  public init(initializeMPI: Bool = Communicator.launchedByMPI) throws {
    if initializeMPI {
      let library = try MPILibrary()
      var rank: Int32 = 0
      var size: Int32 = 1
      try library.check("MPI_Init", library.initialize(&rank, &size))
      self.rank = Int(rank)
      self.size = Int(size)
      self.library = library
    } else {
      self.rank = 0
      self.size = 1
      self.library = nil
    }
  }

  /// Leaves the job cleanly. Call once, on every rank, before exiting.
  public func finalize() {
    if let library, library.isInitialized() != 0 {
      _ = library.finalize()
    }
  }

  /// Ends every process of the job with `code`. Used when ranks can no
  /// longer agree (one rank failed alone).
  public func abort(code: Int32) -> Never {
    if let library, library.isInitialized() != 0 {
      _ = library.abort(code)
    }
    exit(code)
  }

  /// Sends `bytes` from `root` to every rank; returns what root sent.
  /// Other ranks' arguments are ignored.
  public func broadcast(_ bytes: [UInt8], root: Int = 0) throws -> [UInt8] {
    guard let library else { return bytes }
    var count = [Double(bytes.count)]
    try library.check("MPI_Bcast", library.broadcastDoubles(&count, 1, Int32(root)))
    var buffer = rank == root ? bytes : [UInt8](repeating: 0, count: Int(count[0]))
    try buffer.withUnsafeMutableBytes { raw in
      try library.check("MPI_Bcast", library.broadcastBytes(raw.baseAddress, raw.count, Int32(root)))
    }
    return buffer
  }

  /// The element-wise maximum of `values` over all ranks.
  public func maximum(_ values: [Int32]) throws -> [Int32] {
    guard let library else { return values }
    var result = values
    try library.check("MPI_Allreduce", library.maximumInts(values, &result, values.count))
    return result
  }

  /// The most bytes `gather` collects in all (MPI counts are 32-bit; one
  /// below their largest value, which stands for any larger count).
  public static let gatherLimit = Int(Int32.max) - 1

  /// Gathers every rank's bytes on `root`, in rank order. Other ranks
  /// receive an empty array.
  ///
  /// - Throws: `MPIError` on every rank when the bytes add up to more
  ///   than `gatherLimit` (all ranks know every count before gathering).
  public func gather(_ bytes: [UInt8], root: Int = 0) throws -> [[UInt8]] {
    guard let blocks = try gatherWithinLimit(bytes, root: root) else {
      throw MPIError(operation: "MPI_Gatherv", message: "the ranks' data add up to more than \(Self.gatherLimit) bytes, more than one gather carries")
    }
    return blocks
  }

  /// `gather`, or nil on every rank when the bytes add up to more than
  /// `gatherLimit` (then nothing is sent).
  public func gatherWithinLimit(_ bytes: [UInt8], root: Int = 0) throws -> [[UInt8]]? {
    guard let library else { return [bytes] }
    // Every rank's count, everywhere (a max-reduction of one-hot vectors;
    // a count beyond the limit arrives as Int32.max, itself beyond it).
    var mine = [Int32](repeating: 0, count: size)
    mine[rank] = Int32(clamping: bytes.count)
    let counts = try maximum(mine).map { Int($0) }
    guard counts.reduce(0, +) <= Self.gatherLimit else { return nil }
    var receive = [UInt8](repeating: 0, count: rank == root ? counts.reduce(0, +) : 0)
    let longCounts = counts.map { CLong($0) }
    try receive.withUnsafeMutableBytes { out in
      try bytes.withUnsafeBytes { inp in
        try library.check(
          "MPI_Gatherv",
          library.gatherBytes(inp.baseAddress, inp.count, out.baseAddress, longCounts, Int32(root)))
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

// MARK: - Messages between two ranks

extension Communicator {
  /// A message waiting to be received.
  public struct Envelope: Sendable, Equatable {
    public var source: Int
    public var tag: Int
    /// Its length in doubles.
    public var count: Int
  }

  /// Sends `values` to rank `destination` with `tag` (bit for bit). Returns
  /// once `values` may be reused; short messages do not wait for the
  /// receiver. Not available in a plain run (there is no other rank).
  public func send(_ values: [Double], to destination: Int, tag: Int) throws {
    guard let library else { throw MPIError(operation: "MPI_Send", message: "a plain run has no other rank") }
    try values.withUnsafeBufferPointer { buffer in
      try library.check("MPI_Send", library.sendDoubles(buffer.baseAddress, buffer.count, Int32(destination), Int32(tag)))
    }
  }

  /// The next message from `source` (any rank when nil): waits for one when
  /// `wait`, else returns nil when none has arrived.
  public func probe(from source: Int? = nil, wait: Bool) throws -> Envelope? {
    guard let library else { throw MPIError(operation: "MPI_Probe", message: "a plain run has no other rank") }
    var found: Int32 = 0, from: Int32 = 0, tag: Int32 = 0
    var count: CLong = 0
    try library.check(wait ? "MPI_Probe" : "MPI_Iprobe",
                      library.probe(Int32(source ?? -1), wait ? 1 : 0, &found, &from, &tag, &count))
    guard found != 0 else { return nil }
    return Envelope(source: Int(from), tag: Int(tag), count: count)
  }

  /// Receives the message `envelope` describes (from `probe`).
  public func receive(_ envelope: Envelope) throws -> [Double] {
    guard let library else { throw MPIError(operation: "MPI_Recv", message: "a plain run has no other rank") }
    var values = [Double](repeating: 0, count: envelope.count)
    try values.withUnsafeMutableBufferPointer { buffer in
      try library.check("MPI_Recv", library.receiveDoubles(buffer.baseAddress, buffer.count, Int32(envelope.source), Int32(envelope.tag)))
    }
    return values
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
