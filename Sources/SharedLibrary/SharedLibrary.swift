#if canImport(Glibc)
import Glibc
#endif

/// A shared library opened at run time with `dlopen`: the file beside the
/// executable first (where `swift build` leaves its products), then the
/// bare name for the dynamic loader's search path (`LD_LIBRARY_PATH`, ...).
///
/// The shims over Open MPI and COIN-OR Clp are loaded this way so that a
/// process maps them (and the libraries they link) only when it needs them.
/// Errors carry what the caller needs to write its own message: the places
/// tried and the loader's text.
public struct SharedLibrary: @unchecked Sendable {
  /// Why a library or one of its functions could not be loaded.
  public enum LoadError: Error, Sendable {
    /// No candidate could be opened: the paths tried, and the loader's
    /// message for the last one.
    case notLoadable(tried: [String], reason: String)
    /// The library has no symbol of this name.
    case missingFunction(String)
  }

  /// The file name the library was looked up by.
  public let fileName: String
  private let handle: UnsafeMutableRawPointer

  /// Opens the first loadable candidate (`candidates(for:)`, or only
  /// `path` when given).
  ///
  /// - Parameters:
  ///   - global: `RTLD_GLOBAL`, for a library whose own plugins, opened
  ///     later, resolve their symbols against it (Open MPI's components).
  /// - Throws: `LoadError.notLoadable` with every path tried.
  public init(fileName: String, path: String? = nil, global: Bool = false) throws(LoadError) {
    self.fileName = fileName
    var tried: [String] = []
    var reason = ""
    for candidate in path.map({ [$0] }) ?? Self.candidates(for: fileName) {
      tried.append(candidate)
      if let opened = dlopen(candidate, RTLD_NOW | (global ? RTLD_GLOBAL : RTLD_LOCAL)) {
        handle = opened
        return
      }
      if let message = dlerror() { reason = String(cString: message) }
    }
    throw .notLoadable(tried: tried, reason: reason)
  }

  /// The function `name`, as the C function type `type`.
  ///
  /// - Throws: `LoadError.missingFunction` when the library has no such
  ///   symbol.
  public func function<T>(_ name: String, as type: T.Type) throws(LoadError) -> T {
    guard let address = dlsym(handle, name) else { throw .missingFunction(name) }
    return unsafeBitCast(address, to: type)
  }

  /// `fileName` beside the executable (`/proc/self/exe`), then the bare
  /// name.
  public static func candidates(for fileName: String) -> [String] {
    var path = [CChar](repeating: 0, count: 4096)
    let length = readlink("/proc/self/exe", &path, path.count - 1)
    guard length > 0 else { return [fileName] }
    let executable = String(decoding: path[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    guard let slash = executable.lastIndex(of: "/") else { return [fileName] }
    return [String(executable[..<slash]) + "/" + fileName, fileName]
  }
}
