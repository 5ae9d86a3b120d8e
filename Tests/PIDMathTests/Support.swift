import PIDData
import PIDMath

#if canImport(Glibc)
import Glibc
#endif

func environment(_ name: String) -> String? {
  getenv(name).map { String(cString: $0) }
}

/// Nested numbers from a JSON value, for the fixtures.
enum TableFilesAccess {
  static func numbers3(_ value: JSON) throws -> [[[Double]]] {
    guard case .array(let blocks) = value else { throw DataError.malformed(path: "fixture", line: nil, message: "p") }
    return try blocks.map { block in
      guard case .array(let rows) = block else { throw DataError.malformed(path: "fixture", line: nil, message: "p") }
      return try rows.map { row in
        guard case .array(let cells) = row else { throw DataError.malformed(path: "fixture", line: nil, message: "p") }
        return cells.map { $0.doubleValue ?? .nan }
      }
    }
  }
}
