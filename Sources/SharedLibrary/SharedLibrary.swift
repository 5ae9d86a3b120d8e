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
  /// No candidate could be opened: the paths tried, and the loader's
  /// message for the last one.
  public struct LoadError: Error, Sendable {
    public let tried: [String]
    public let reason: String
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
  /// - Throws: `LoadError` with every path tried.
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
    throw LoadError(tried: tried, reason: reason)
  }

  /// The function `name`, as the C function type `type`, or nil when the
  /// library has no such symbol.
  public func function<T>(_ name: String, as type: T.Type) -> T? {
    dlsym(handle, name).map { unsafeBitCast($0, to: type) }
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
