#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a whole file as bytes.
///
/// - Throws: `DataError.missingFile` when it does not exist,
///   `DataError.io` when it cannot be read (a directory, no permission).
public func readFile(_ path: String) throws(DataError) -> [UInt8] {
  let fd = try openForReading(path)
  defer { close(fd) }
  var bytes = [UInt8]()
  var chunk = [UInt8](repeating: 0, count: 1 << 16)
  while true {
    let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
    if n == 0 { break }
    guard n > 0 else {
      let code = errno
      if code == EINTR { continue }
      throw .io(path: path, message: String(cString: strerror(code)))
    }
    bytes.append(contentsOf: chunk[0..<n])
  }
  return bytes
}

/// A file descriptor of `path` open for reading (the caller closes it).
///
/// - Throws: `DataError.missingFile` when it does not exist,
///   `DataError.io` when it cannot be opened.
func openForReading(_ path: String) throws(DataError) -> Int32 {
  let fd = open(path, O_RDONLY)
  guard fd >= 0 else {
    let code = errno
    if code == ENOENT { throw .missingFile(path: path) }
    throw .io(path: path, message: String(cString: strerror(code)))
  }
  return fd
}

/// Writes `bytes` to `path` atomically: a temporary file in the same
/// directory is written, flushed to disk and renamed over `path`, so that
/// readers see either the old file or the complete new one, never a part.
public func writeFileAtomically(_ path: String, _ bytes: [UInt8]) throws(DataError) {
  let temporary = path + ".tmp-\(getpid())"
  let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
  guard fd >= 0 else { throw .io(path: path, message: String(cString: strerror(errno))) }
  var written = 0
  while written < bytes.count {
    let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
    if n < 0 && errno == EINTR { continue }
    guard n > 0 else {
      let message = String(cString: strerror(errno))
      close(fd)
      unlink(temporary)
      throw .io(path: path, message: message)
    }
    written += n
  }
  guard fsync(fd) == 0, close(fd) == 0 else {
    let message = String(cString: strerror(errno))
    unlink(temporary)
    throw .io(path: path, message: message)
  }
  guard rename(temporary, path) == 0 else {
    let message = String(cString: strerror(errno))
    unlink(temporary)
    throw .io(path: path, message: message)
  }
}
