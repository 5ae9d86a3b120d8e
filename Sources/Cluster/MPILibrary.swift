import SharedLibrary

/// The C shim over Open MPI (`CMPIShim`, built as the shared library
/// `libpidbounds-mpi.so`), loaded at run time.
///
/// Only a process launched by `mpirun` loads it: a plain run then maps
/// neither the shim nor Open MPI's eight shared libraries, which otherwise
/// cost about 2 ms of every start (measured on `pidbounds --version`).
/// Each member is one function of `pb_mpi.h`, with the same signature.
struct MPILibrary {
  typealias Initialize = @convention(c) (UnsafeMutablePointer<Int32>, UnsafeMutablePointer<Int32>) -> Int32
  typealias Status = @convention(c) () -> Int32
  typealias Abort = @convention(c) (Int32) -> Int32
  typealias BroadcastBytes = @convention(c) (UnsafeMutableRawPointer?, CLong, Int32) -> Int32
  typealias BroadcastDoubles = @convention(c) (UnsafeMutablePointer<Double>?, CLong, Int32) -> Int32
  typealias MaximumInts = @convention(c) (UnsafePointer<Int32>?, UnsafeMutablePointer<Int32>?, CLong) -> Int32
  typealias GatherBytes = @convention(c) (
    UnsafeRawPointer?, CLong, UnsafeMutableRawPointer?, UnsafePointer<CLong>?, Int32
  ) -> Int32
  typealias ErrorString = @convention(c) (Int32, UnsafeMutablePointer<CChar>?, Int32) -> Void
  typealias SendDoubles = @convention(c) (UnsafePointer<Double>?, CLong, Int32, Int32) -> Int32
  typealias Probe = @convention(c) (
    Int32, Int32, UnsafeMutablePointer<Int32>, UnsafeMutablePointer<Int32>, UnsafeMutablePointer<Int32>, UnsafeMutablePointer<CLong>
  ) -> Int32
  typealias ReceiveDoubles = @convention(c) (UnsafeMutablePointer<Double>?, CLong, Int32, Int32) -> Int32

  /// The file name of the shim, looked up next to the executable first.
  static let fileName = "libpidbounds-mpi.so"

  let initialize: Initialize
  let isInitialized: Status
  let finalize: Status
  let abort: Abort
  let broadcastBytes: BroadcastBytes
  let broadcastDoubles: BroadcastDoubles
  let maximumInts: MaximumInts
  let gatherBytes: GatherBytes
  let errorString: ErrorString
  let sendDoubles: SendDoubles
  let probe: Probe
  let receiveDoubles: ReceiveDoubles

  /// Loads the shim from the executable's directory, else from the
  /// dynamic loader's search path (`LD_LIBRARY_PATH`, ...).
  ///
  /// - Throws: `MPIError` naming the places searched and the loader's
  ///   message when the library or one of its functions cannot be found.
  init() throws {
    // RTLD_GLOBAL: Open MPI's own components, opened later by Open MPI,
    // resolve their symbols against libmpi.
    let library: SharedLibrary
    do {
      library = try SharedLibrary(fileName: Self.fileName, global: true)
    } catch {
      throw MPIError(
        operation: "loading \(Self.fileName)",
        message: "not found or not loadable (tried \(error.tried.joined(separator: ", "))): \(error.reason); "
          + "build every product (`swift build`) or copy it beside the executable")
    }
    func symbol<T>(_ name: String, as type: T.Type) throws -> T {
      guard let function = library.function(name, as: type) else {
        throw MPIError(operation: "loading \(Self.fileName)", message: "it has no function \(name)")
      }
      return function
    }
    initialize = try symbol("pb_mpi_init", as: Initialize.self)
    isInitialized = try symbol("pb_mpi_is_initialized", as: Status.self)
    finalize = try symbol("pb_mpi_finalize", as: Status.self)
    abort = try symbol("pb_mpi_abort", as: Abort.self)
    broadcastBytes = try symbol("pb_mpi_bcast_bytes", as: BroadcastBytes.self)
    broadcastDoubles = try symbol("pb_mpi_bcast_doubles", as: BroadcastDoubles.self)
    maximumInts = try symbol("pb_mpi_allreduce_max_ints", as: MaximumInts.self)
    gatherBytes = try symbol("pb_mpi_gatherv_bytes", as: GatherBytes.self)
    errorString = try symbol("pb_mpi_error_string", as: ErrorString.self)
    sendDoubles = try symbol("pb_mpi_send_doubles", as: SendDoubles.self)
    probe = try symbol("pb_mpi_probe", as: Probe.self)
    receiveDoubles = try symbol("pb_mpi_recv_doubles", as: ReceiveDoubles.self)
  }

  /// The text Open MPI gives for an error code.
  func message(for code: Int32) -> String {
    var buffer = [CChar](repeating: 0, count: 512)
    errorString(code, &buffer, Int32(buffer.count))
    return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
  }

  /// Throws an `MPIError` with Open MPI's text unless `code` is 0.
  func check(_ operation: String, _ code: Int32) throws {
    if code != 0 { throw MPIError(operation: operation, code: code, message: message(for: code)) }
  }
}
