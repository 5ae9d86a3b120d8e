#if canImport(Glibc)
import Glibc
#endif
import SharedLibrary

/// Why the linear-programming engine is not available.
public struct LinearProgrammingError: Error, CustomStringConvertible, Sendable {
  public var message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}

/// The C shim over COIN-OR Clp (`CLPShim`, built as the shared library
/// `libpidbounds-lp.so`), loaded at run time, so that the executable runs
/// (without the branch-and-bound sharp bound) where Clp is not installed.
/// Each member is one function of `pb_lp.h`, with the same signature.
struct ClpLibrary: @unchecked Sendable {
  typealias Create = @convention(c) (
    Int32, Int32, UnsafePointer<Int32>?, UnsafePointer<Int32>?, UnsafePointer<Double>?,
    UnsafePointer<Double>?, UnsafePointer<Double>?
  ) -> OpaquePointer?
  typealias Free = @convention(c) (OpaquePointer?) -> Void
  typealias Solve = @convention(c) (
    OpaquePointer?, UnsafePointer<Double>?, UnsafePointer<Double>?, UnsafePointer<Double>?,
    UnsafePointer<UInt8>?, UnsafeMutablePointer<Double>?, UnsafeMutablePointer<Double>?,
    UnsafeMutablePointer<UInt8>?, UnsafeMutablePointer<Double>?, UnsafeMutablePointer<Int32>?,
    UnsafeMutablePointer<Int32>?
  ) -> Int32
  typealias Version = @convention(c) () -> UnsafePointer<CChar>?

  /// The file name of the shim, looked up next to the executable first.
  static let fileName = "libpidbounds-lp.so"

  let create: Create
  let free: Free
  let solve: Solve
  let version: Version

  /// The library, loaded once per process (nil with the reason when it
  /// cannot be loaded).
  static let shared: Result<ClpLibrary, LinearProgrammingError> = {
    do throws(LinearProgrammingError) { return .success(try ClpLibrary()) } catch { return .failure(error) }
  }()

  /// Loads the shim from the executable's directory, else from the
  /// dynamic loader's search path (`LD_LIBRARY_PATH`, ...).
  /// `PIDBOUNDS_LP_LIBRARY`, when set, is the only path tried (tests use it
  /// to simulate absence).
  ///
  /// - Throws: `LinearProgrammingError` naming the places searched and the
  ///   loader's message (e.g. Clp's own library missing).
  init() throws(LinearProgrammingError) {
    let library: SharedLibrary
    do {
      library = try SharedLibrary(fileName: Self.fileName, path: getenv("PIDBOUNDS_LP_LIBRARY").map { String(cString: $0) })
    } catch {
      throw LinearProgrammingError(
        "the LP library \(Self.fileName) could not be loaded (tried \(error.tried.joined(separator: ", "))): \(error.reason); "
          + "install COIN-OR Clp (apt-get install coinor-libclp-dev) and build every product (`swift build`)")
    }
    func symbol<T>(_ name: String, as type: T.Type) throws(LinearProgrammingError) -> T {
      guard let function = library.function(name, as: type) else {
        throw LinearProgrammingError("the LP library \(Self.fileName) has no function \(name)")
      }
      return function
    }
    create = try symbol("pb_lp_create", as: Create.self)
    free = try symbol("pb_lp_free", as: Free.self)
    solve = try symbol("pb_lp_solve", as: Solve.self)
    version = try symbol("pb_lp_version", as: Version.self)
  }
}
