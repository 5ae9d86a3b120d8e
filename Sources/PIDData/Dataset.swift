#if canImport(Glibc)
import Glibc
#endif

/// One dataset of rows: features of up to two modalities and, when
/// labeled, a label string per row.
///
/// Features are stored row-major as `Float` (half the memory of `Double`);
/// a modality the dataset does not have has dimension 0.
public struct Dataset: Sendable {
  /// Where the rows came from (a path or an example name), for messages.
  public var source: String
  public var rows: Int
  public var x1: [Float]
  public var dimension1: Int
  public var x2: [Float]
  public var dimension2: Int
  /// Label of each row; empty when the dataset is unlabeled.
  public var labels: [String]

  public init(source: String, rows: Int, x1: [Float], dimension1: Int, x2: [Float], dimension2: Int, labels: [String]) {
    self.source = source
    self.rows = rows
    self.x1 = x1
    self.dimension1 = dimension1
    self.x2 = x2
    self.dimension2 = dimension2
    self.labels = labels
  }
}

/// Which columns of a CSV file hold what (CLI.md): columns named `x1` or
/// starting with `x1_` are modality 1, likewise `x2`, and `y` is the label.
public struct ColumnRoles: Sendable {
  public var x1Prefix: String
  public var x2Prefix: String
  public var label: String

  public init(x1Prefix: String = "x1", x2Prefix: String = "x2", label: String = "y") {
    self.x1Prefix = x1Prefix
    self.x2Prefix = x2Prefix
    self.label = label
  }

  func isModality(_ name: String, _ prefix: String) -> Bool {
    name == prefix || name.hasPrefix(prefix + "_")
  }
}

/// What a dataset must contain.
public struct DatasetShape: Sendable {
  public var needsX1: Bool
  public var needsX2: Bool
  public var needsLabel: Bool
  public init(needsX1: Bool, needsX2: Bool, needsLabel: Bool) {
    self.needsX1 = needsX1
    self.needsX2 = needsX2
    self.needsLabel = needsLabel
  }
}

/// Reads a CSV dataset, streaming line by line (the text is never held
/// whole). The first line is the header. Feature values must be finite
/// numbers; labels are any strings (surrounding double quotes are removed).
/// Extra columns are ignored.
///
/// - Throws: `DataError` naming the file and line: missing file, empty
///   file, a required column missing from the header, a row with the wrong
///   number of fields, a non-numeric or non-finite feature, no data rows.
public func readCSVDataset(_ path: String, roles: ColumnRoles, shape: DatasetShape) throws(DataError) -> Dataset {
  guard let file = fopen(path, "r") else {
    let code = errno
    if code == ENOENT { throw .missingFile(path: path) }
    throw .io(path: path, message: String(cString: strerror(code)))
  }
  defer { fclose(file) }
  var buffer: UnsafeMutablePointer<CChar>? = nil
  var capacity = 0
  defer { free(buffer) }
  var lineNumber = 0

  func nextLine() -> [UInt8]? {
    let n = getline(&buffer, &capacity, file)
    guard n >= 0, let buffer else { return nil }
    lineNumber += 1
    var length = n
    while length > 0 && (buffer[length - 1] == 10 || buffer[length - 1] == 13) { length -= 1 }
    return UnsafeRawBufferPointer(start: buffer, count: length).map { $0 }
  }

  guard var headerLine = nextLine() else {
    throw .malformed(path: path, line: nil, message: "file is empty (a header row is required)")
  }
  // A UTF-8 byte order mark (spreadsheet exports) is not part of the first
  // column's name.
  if headerLine.starts(with: [0xEF, 0xBB, 0xBF]) { headerLine.removeFirst(3) }
  guard !headerLine.contains(0) else {
    throw .malformed(path: path, line: 1, message: "NUL byte in the header (not a text file?)")
  }
  guard String(validating: headerLine, as: UTF8.self) != nil else {
    throw .malformed(path: path, line: 1, message: "the header is not valid UTF-8")
  }
  let header = splitFields(headerLine).map { unquote($0) }
  let x1Columns = header.indices.filter { roles.isModality(header[$0], roles.x1Prefix) }
  let x2Columns = header.indices.filter { roles.isModality(header[$0], roles.x2Prefix) }
  let labelColumn = header.firstIndex(of: roles.label)
  if shape.needsX1 && x1Columns.isEmpty {
    throw .malformed(path: path, line: 1, message: "header has no column \"\(roles.x1Prefix)\" or \"\(roles.x1Prefix)_*\" for modality 1")
  }
  if shape.needsX2 && x2Columns.isEmpty {
    throw .malformed(path: path, line: 1, message: "header has no column \"\(roles.x2Prefix)\" or \"\(roles.x2Prefix)_*\" for modality 2")
  }
  if shape.needsLabel && labelColumn == nil {
    throw .malformed(path: path, line: 1, message: "header has no label column \"\(roles.label)\"")
  }
  let useX1 = shape.needsX1 ? x1Columns : []
  let useX2 = shape.needsX2 ? x2Columns : []
  var x1 = [Float](), x2 = [Float](), labels = [String]()
  var rows = 0
  // Data rows are parsed in place in getline's buffer: separators become
  // NUL bytes and numbers are read with strtod (no String per field).
  let width = header.count
  var starts = [Int](repeating: 0, count: width + 1)
  var isNumberColumn = [Int](repeating: 0, count: width)  // 1: x1, 2: x2
  for c in useX1 { isNumberColumn[c] = 1 }
  for c in useX2 { isNumberColumn[c] = 2 }
  var values1 = [Float](repeating: 0, count: useX1.count), values2 = [Float](repeating: 0, count: useX2.count)
  while true {
    let n = getline(&buffer, &capacity, file)
    guard n >= 0, let line = buffer else { break }
    lineNumber += 1
    var length = n
    while length > 0 && (line[length - 1] == 10 || line[length - 1] == 13) { length -= 1 }
    var blank = true
    for i in 0..<length where line[i] != 32 && line[i] != 9 { blank = false; break }
    if blank { continue }
    // Field boundaries (commas outside quotes).
    var count = 0
    var quoted = false
    starts[0] = 0
    for i in 0..<length {
      let c = line[i]
      // strtod would stop at a NUL and read "1\09" as 1.
      guard c != 0 else { throw .malformed(path: path, line: lineNumber, message: "NUL byte at column \(i + 1) (not a text file?)") }
      if c == 34 { quoted.toggle() }
      if c == 44 && !quoted {
        count += 1
        if count < width { starts[count] = i + 1 }
        line[i] = 0
      }
    }
    count += 1
    guard count == width else {
      throw .malformed(path: path, line: lineNumber, message: "row has \(count) fields, the header has \(width)")
    }
    line[length] = 0
    starts[width] = length + 1
    var i1 = 0, i2 = 0
    for column in 0..<width where isNumberColumn[column] != 0 {
      let field = line + starts[column]
      var end: UnsafeMutablePointer<CChar>? = nil
      let value = strtod(field, &end)
      var tail = end!
      while tail.pointee == 32 || tail.pointee == 9 { tail += 1 }
      let fieldText = { String(cString: field).trimmingSpaces() }
      guard end! != field, tail.pointee == 0 else {
        throw .malformed(path: path, line: lineNumber, message: "column \(header[column]): \"\(fieldText())\" is not a number")
      }
      guard value.isFinite, abs(value) <= Double(Float.greatestFiniteMagnitude) else {
        throw .malformed(path: path, line: lineNumber, message: "column \(header[column]): non-finite value \(fieldText())")
      }
      if isNumberColumn[column] == 1 { values1[i1] = Float(value); i1 += 1 } else { values2[i2] = Float(value); i2 += 1 }
    }
    // Keep the order of the header's modality columns.
    x1 += values1
    x2 += values2
    if shape.needsLabel, let labelColumn {
      let bytes = UnsafeRawBufferPointer(start: line + starts[labelColumn], count: starts[labelColumn + 1] - 1 - starts[labelColumn])
      // Invalid UTF-8 would be repaired to U+FFFD, making different labels
      // equal.
      guard String(validating: bytes, as: UTF8.self) != nil else {
        throw .malformed(path: path, line: lineNumber, message: "column \(header[labelColumn]): the label is not valid UTF-8")
      }
      let label = unquote(ArraySlice(bytes))
      guard !label.isEmpty else { throw .malformed(path: path, line: lineNumber, message: "empty label") }
      labels.append(label)
    }
    rows += 1
  }
  guard rows > 0 else { throw .malformed(path: path, line: nil, message: "no data rows after the header") }
  return Dataset(source: path, rows: rows, x1: x1, dimension1: useX1.count, x2: x2, dimension2: useX2.count, labels: labels)
}

/// Splits a CSV line at commas outside double quotes.
func splitFields(_ line: [UInt8]) -> [ArraySlice<UInt8>] {
  var fields: [ArraySlice<UInt8>] = []
  var start = 0
  var quoted = false
  for (i, c) in line.enumerated() {
    if c == 34 { quoted.toggle() }
    if c == 44 && !quoted {
      fields.append(line[start..<i])
      start = i + 1
    }
  }
  fields.append(line[start..<line.count])
  return fields
}

func unquote(_ field: ArraySlice<UInt8>) -> String {
  var text = String(decoding: field, as: UTF8.self).trimmingSpaces()
  if text.count >= 2 && text.hasPrefix("\"") && text.hasSuffix("\"") {
    text = String(text.dropFirst().dropLast()).replacingDoubledQuotes()
  }
  return text
}

extension String {
  /// Without leading and trailing spaces and tabs. Linear in the length
  /// (works on the UTF-8 bytes: Character-wise trimming was quadratic on a
  /// field of a million spaces).
  func trimmingSpaces() -> String {
    let bytes = utf8
    guard let first = bytes.firstIndex(where: { $0 != 32 && $0 != 9 }) else { return "" }
    let last = bytes.lastIndex(where: { $0 != 32 && $0 != 9 })!
    return String(self[first...last])
  }

  func replacingDoubledQuotes() -> String {
    var out = ""
    var previousQuote = false
    for c in self {
      if c == "\"" && previousQuote { previousQuote = false; continue }
      previousQuote = c == "\""
      out.append(c)
    }
    return out
  }
}
