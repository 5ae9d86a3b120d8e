/// Why input data could not be read or output could not be written.
/// Each case names the file and, where known, the line.
public enum DataError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The input file does not exist.
  case missingFile(path: String)
  /// The file exists but could not be read or written (permissions, disk).
  case io(path: String, message: String)
  /// The file's content is not valid for its format.
  case malformed(path: String, line: Int?, message: String)
  /// The data as a whole cannot be analysed (no single file is at fault).
  case invalid(message: String)

  /// One line: control characters of paths and messages (a newline in a
  /// JSON key, say) are written as escapes.
  public var description: String {
    String(text.unicodeScalars.flatMap { $0.value < 0x20 || $0.value == 0x7F ? Array("\\u{\(String($0.value, radix: 16))}".unicodeScalars) : [$0] }
      .map(Character.init))
  }

  private var text: String {
    switch self {
    case .missingFile(let path): return "\(path): no such file"
    case .io(let path, let message): return "\(path): \(message)"
    case .malformed(let path, let line, let message):
      if let line { return "\(path):\(line): \(message)" }
      return "\(path): \(message)"
    case .invalid(let message): return message
    }
  }
}
