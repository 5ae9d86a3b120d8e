#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a CSV dataset, streaming line by line (the text is never held
/// whole). The first line is the header. Feature values must be finite
/// numbers; labels are any strings (surrounding double quotes are removed).
/// Extra columns are ignored. Lines end at `\n` (a `\r` before it is
/// dropped); blank lines are skipped but counted.
///
/// - Throws: `DataError` naming the file and line: missing file, empty
///   file, a required column missing from the header, a row with the wrong
///   number of fields, a non-numeric or non-finite feature, no data rows.
public func readCSVDataset(_ path: String, roles: ColumnRoles, shape: DatasetShape) throws(DataError) -> Dataset {
  try Dataset(csv: path, parts: [readCSVDatasetPart(path, roles: roles, shape: shape, part: 0, of: 1)])
}

/// The rows of one of several readers of a CSV dataset.
///
/// The bytes after the header are cut into `parts` equal ranges, each moved
/// forward to the start of a line; part `i` holds the lines that start in
/// range `i`. Every line belongs to exactly one part, and the parts in order
/// hold the file's lines in order, so `Dataset(csv:parts:)` of all of them
/// is the dataset one reader reads (the same values, the same first error).
public struct CSVDatasetPart: Sendable, Equatable {
  /// The first line that is not a valid row.
  public struct LineFailure: Sendable, Equatable {
    /// Its number within the part, from 1.
    public var line: Int
    public var message: String
  }

  /// The file's size in bytes and its header line, as this reader saw
  /// them: readers of the same file agree on both.
  public var fileSize: Int
  public var header: [UInt8]
  /// The widths of the modalities read (0 when not read).
  public var dimension1: Int, dimension2: Int
  /// Whether each row has a label.
  public var labeled: Bool
  /// The part's lines, blank ones included (up to and including a failure).
  public var lines: Int
  /// Rows read, features row-major, labels (empty when not `labeled`).
  public var rows: Int
  public var x1: [Float], x2: [Float], labels: [String]
  /// The first line of the part that is not a valid row; the rows stop
  /// before it.
  public var failure: LineFailure?

  /// Why a file cannot be read in parts (it can be read in one): the
  /// message of the `DataError.io` that `readCSVDatasetPart` throws then.
  public enum Refusal: String, Sendable {
    /// A pipe, a device, a directory.
    case notRegular = "not a regular file (cannot be read in parts)"
    /// A regular file whose size is not that of its content (procfs).
    case sizeNotContent = "its size is not that of its content"
  }

  /// The refusal `error` is, if it is one.
  public static func refusal(_ error: DataError) -> Refusal? {
    guard case .io(_, let message) = error else { return nil }
    return Refusal(rawValue: message)
  }
}

/// Reads part `part` of `parts` of a CSV dataset (see `CSVDatasetPart`).
/// With several parts the file must be a regular file (its size is
/// needed); one part also reads pipes.
///
/// - Throws: `DataError` for the file as a whole: missing or unreadable
///   file, empty file, a header without a required column, or (with
///   several parts) not a regular file. A bad row is the part's `failure`.
public func readCSVDatasetPart(_ path: String, roles: ColumnRoles, shape: DatasetShape, part: Int, of parts: Int)
  throws(DataError) -> CSVDatasetPart
{
  precondition(parts >= 1 && (0..<parts).contains(part), "part \(part) of \(parts)")
  // Checked before opening: opening a FIFO waits for a writer, and the
  // readers of one FIFO would share its bytes, not each read them.
  var status = stat()
  if parts > 1, stat(path, &status) == 0, (status.st_mode & S_IFMT) != S_IFREG {
    throw .io(path: path, message: CSVDatasetPart.Refusal.notRegular.rawValue)
  }
  let fd = try openForReading(path)
  defer { close(fd) }
  guard fstat(fd, &status) == 0 else { throw .io(path: path, message: String(cString: strerror(errno))) }
  // (A file that stopped being regular since `stat` has size 0 here and is
  // refused below as one whose size is not that of its content.)
  let fileSize = (status.st_mode & S_IFMT) == S_IFREG ? Int(status.st_size) : 0

  var reader = LineReader(fd: fd, path: path, offset: 0)
  guard let (headerStart, headerLength) = try reader.next() else {
    throw .malformed(path: path, line: nil, message: "file is empty (a header row is required)")
  }
  var headerLine = Array(UnsafeBufferPointer(start: headerStart, count: strippedLength(headerStart, headerLength)))
  let columns = try CSVColumns(header: &headerLine, path: path, roles: roles, shape: shape)
  let dataStart = reader.position
  // A file whose size is not that of its content (procfs, sysfs) cannot be
  // cut by size.
  if parts > 1 && dataStart > fileSize { throw .io(path: path, message: CSVDatasetPart.Refusal.sizeNotContent.rawValue) }

  var result = CSVDatasetPart(fileSize: fileSize, header: headerLine, dimension1: columns.x1.count,
                              dimension2: columns.x2.count, labeled: columns.label != nil, lines: 0, rows: 0,
                              x1: [], x2: [], labels: [], failure: nil)
  if parts > 1 {
    let first = try lineStart(fd, path: path, after: rangeStart(part, of: parts, from: dataStart, to: fileSize), dataStart: dataStart, size: fileSize)
    // The last part reads to the end, as one reader does (a file that
    // grew since it was measured).
    let end = part + 1 == parts ? Int.max
      : try lineStart(fd, path: path, after: rangeStart(part + 1, of: parts, from: dataStart, to: fileSize), dataStart: dataStart, size: fileSize)
    if first != dataStart { reader = LineReader(fd: fd, path: path, offset: first) }
    reader.limit = end
  }
  var parser = CSVRowParser(columns: columns)
  while let (line, length) = try reader.next() {
    result.lines += 1
    do {
      try parser.parse(UnsafeMutableRawPointer(line).assumingMemoryBound(to: CChar.self), strippedLength(line, length),
                       into: &result)
    } catch {
      result.failure = CSVDatasetPart.LineFailure(line: result.lines, message: error.message)
      break
    }
  }
  return result
}

extension Dataset {
  /// The dataset of CSV file `path` from its parts, in order (all parts of
  /// the same file, as `readCSVDatasetPart` read them).
  ///
  /// - Throws: `DataError` at the first failing line over the parts in
  ///   order, numbered in the whole file (the header is line 1), or when
  ///   there are no data rows.
  public init(csv path: String, parts: [CSVDatasetPart]) throws(DataError) {
    precondition(!parts.isEmpty, "no parts")
    let first = parts[0]
    var x1 = [Float](), x2 = [Float](), labels = [String]()
    var rows = 0, linesBefore = 1
    for part in parts {
      precondition(part.dimension1 == first.dimension1 && part.dimension2 == first.dimension2 && part.labeled == first.labeled,
                   "parts of different files")
      if let failure = part.failure {
        throw .malformed(path: path, line: linesBefore + failure.line, message: failure.message)
      }
      linesBefore += part.lines
      rows += part.rows
    }
    guard rows > 0 else { throw .malformed(path: path, line: nil, message: "no data rows after the header") }
    if parts.count == 1 {
      x1 = first.x1
      x2 = first.x2
      labels = first.labels
    } else {
      x1.reserveCapacity(rows * first.dimension1)
      x2.reserveCapacity(rows * first.dimension2)
      if first.labeled { labels.reserveCapacity(rows) }
      for part in parts {
        x1 += part.x1
        x2 += part.x2
        labels += part.labels
      }
    }
    self.init(source: path, rows: rows, x1: x1, dimension1: first.dimension1, x2: x2, dimension2: first.dimension2,
              labels: labels)
  }
}

// MARK: - Byte form

extension CSVDatasetPart {
  /// 64-bit little-endian words for the sizes and counts, features as
  /// `Float` bit patterns, strings as their length and UTF-8 bytes.
  public var bytes: [UInt8] {
    var out = ByteWriter()
    out.word(fileSize)
    out.string(header)
    out.word(dimension1)
    out.word(dimension2)
    out.word(labeled ? 1 : 0)
    out.word(lines)
    out.word(rows)
    out.floats(x1)
    out.floats(x2)
    out.word(labels.count)
    for label in labels { out.string(Array(label.utf8)) }
    out.word(failure == nil ? 0 : 1)
    if let failure {
      out.word(failure.line)
      out.string(Array(failure.message.utf8))
    }
    return out.bytes
  }

  /// Decodes the form of `bytes`; nil when malformed: a count beyond the
  /// bytes, features that are not `rows` times a width, labels for some
  /// rows only, or bytes left over.
  public init?(bytes: ArraySlice<UInt8>) {
    var input = ByteReader(bytes)
    guard let fileSize = input.word(), let header = input.string(), let dimension1 = input.word(),
          let dimension2 = input.word(), let labeled = input.word(), labeled <= 1, let lines = input.word(),
          let rows = input.word(), rows <= lines,
          let x1 = input.floats(), let x2 = input.floats(), let labelCount = input.word(),
          x1.count == rows.multipliedReportingOverflow(by: dimension1).partialValue, rows == 0 || x1.count / rows == dimension1,
          x2.count == rows.multipliedReportingOverflow(by: dimension2).partialValue, rows == 0 || x2.count / rows == dimension2,
          labelCount == (labeled == 1 ? rows : 0)
    else { return nil }
    // Each label takes at least its length word: a larger count is
    // refused before anything is reserved for it.
    guard labelCount <= input.remaining / 8 else { return nil }
    var labels: [String] = []
    labels.reserveCapacity(labelCount)
    for _ in 0..<labelCount {
      guard let label = input.string(), let text = String(validating: label, as: UTF8.self) else { return nil }
      labels.append(text)
    }
    var failure: LineFailure? = nil
    guard let failed = input.word(), failed <= 1 else { return nil }
    if failed == 1 {
      guard let line = input.word(), line >= 1, line <= lines, let message = input.string(),
            let text = String(validating: message, as: UTF8.self)
      else { return nil }
      failure = LineFailure(line: line, message: text)
    }
    guard input.isAtEnd else { return nil }
    self.init(fileSize: fileSize, header: header, dimension1: dimension1, dimension2: dimension2, labeled: labeled == 1,
              lines: lines, rows: rows, x1: x1, x2: x2, labels: labels, failure: failure)
  }
}

// MARK: - Lines and rows

/// The length of a line without its trailing `\r` and `\n` bytes.
private func strippedLength(_ line: UnsafeMutablePointer<UInt8>, _ length: Int) -> Int {
  var n = length
  while n > 0 && (line[n - 1] == 10 || line[n - 1] == 13) { n -= 1 }
  return n
}

/// Where range `i` of `parts` equal ranges of `lower..<upper` begins.
private func rangeStart(_ i: Int, of parts: Int, from lower: Int, to upper: Int) -> Int {
  lower + Int((Int64(upper - lower) * Int64(i)) / Int64(parts))
}

/// The first line start at or after `offset`: `dataStart`, or a position
/// after a `\n` (the file size when there is none).
private func lineStart(_ fd: Int32, path: String, after offset: Int, dataStart: Int, size: Int) throws(DataError) -> Int {
  if offset <= dataStart { return dataStart }
  var position = offset - 1
  var chunk = [UInt8](repeating: 0, count: 1 << 16)
  while position < size {
    let n = try readAt(fd, path: path, into: &chunk, offset: position)
    if n == 0 { break }
    if let newline = chunk[0..<n].firstIndex(of: 10) { return position + newline + 1 }
    position += n
  }
  return size
}

/// `pread` into `buffer` from `offset`, retrying on interrupts; 0 at the end.
private func readAt(_ fd: Int32, path: String, into buffer: inout [UInt8], offset: Int) throws(DataError) -> Int {
  while true {
    let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(offset)) }
    if n >= 0 { return n }
    if errno != EINTR { throw .io(path: path, message: String(cString: strerror(errno))) }
  }
}

/// The lines of a file from a byte offset, read in large blocks. Each line
/// is handed out in place, without its `\n` and with one writable byte
/// after it (valid until the next call).
private final class LineReader {
  let fd: Int32
  let path: String
  /// The file offset of the next line.
  private(set) var position: Int
  /// Lines starting at or after this offset are not handed out.
  var limit = Int.max
  private var buffer: UnsafeMutablePointer<UInt8>
  private var capacity = 1 << 20
  private var start = 0, end = 0
  private var atEnd = false

  init(fd: Int32, path: String, offset: Int) {
    self.fd = fd
    self.path = path
    position = offset
    buffer = .allocate(capacity: capacity + 1)
    if offset > 0 { lseek(fd, off_t(offset), SEEK_SET) }
  }

  deinit { buffer.deallocate() }

  func next() throws(DataError) -> (UnsafeMutablePointer<UInt8>, Int)? {
    guard position < limit else { return nil }
    var searched = start
    while true {
      if let newline = UnsafeBufferPointer(start: buffer + searched, count: end - searched).firstIndex(of: 10) {
        let line = buffer + start, length = searched + newline - start
        position += length + 1
        start += length + 1
        return (line, length)
      }
      searched = end
      if atEnd {
        guard start < end else { return nil }
        let line = buffer + start, length = end - start
        position += length
        start = end
        return (line, length)
      }
      // Keep the unfinished line at the front, growing the buffer when it
      // fills it, and read more.
      if start > 0 {
        buffer.update(from: buffer + start, count: end - start)
        searched -= start
        end -= start
        start = 0
      }
      if end == capacity {
        let larger = UnsafeMutablePointer<UInt8>.allocate(capacity: 2 * capacity + 1)
        larger.update(from: buffer, count: end)
        buffer.deallocate()
        buffer = larger
        capacity *= 2
      }
      let n = read(fd, buffer + end, capacity - end)
      if n < 0 {
        if errno == EINTR { continue }
        throw .io(path: path, message: String(cString: strerror(errno)))
      }
      if n == 0 { atEnd = true }
      end += n
    }
  }
}

/// The columns of a CSV file that hold what, from its header.
private struct CSVColumns {
  var names: [String]
  var x1: [Int], x2: [Int]
  var label: Int?

  /// Checks and parses the header line (a UTF-8 byte order mark is
  /// dropped from `header`).
  init(header: inout [UInt8], path: String, roles: ColumnRoles, shape: DatasetShape) throws(DataError) {
    // A UTF-8 byte order mark (spreadsheet exports) is not part of the
    // first column's name.
    if header.starts(with: [0xEF, 0xBB, 0xBF]) { header.removeFirst(3) }
    guard !header.contains(0) else {
      throw .malformed(path: path, line: 1, message: "NUL byte in the header (not a text file?)")
    }
    guard String(validating: header, as: UTF8.self) != nil else {
      throw .malformed(path: path, line: 1, message: "the header is not valid UTF-8")
    }
    let names = splitFields(header).map { unquote($0) }
    self.names = names
    let all1 = names.indices.filter { roles.isModality(names[$0], roles.x1Prefix) }
    let all2 = names.indices.filter { roles.isModality(names[$0], roles.x2Prefix) }
    let labelColumn = names.firstIndex(of: roles.label)
    if shape.needsX1 && all1.isEmpty {
      throw .malformed(path: path, line: 1, message: "header has no column \"\(roles.x1Prefix)\" or \"\(roles.x1Prefix)_*\" for modality 1")
    }
    if shape.needsX2 && all2.isEmpty {
      throw .malformed(path: path, line: 1, message: "header has no column \"\(roles.x2Prefix)\" or \"\(roles.x2Prefix)_*\" for modality 2")
    }
    if shape.needsLabel && labelColumn == nil {
      throw .malformed(path: path, line: 1, message: "header has no label column \"\(roles.label)\"")
    }
    x1 = shape.needsX1 ? all1 : []
    x2 = shape.needsX2 ? all2 : []
    label = shape.needsLabel ? labelColumn : nil
  }
}

/// What is wrong with a row (the caller knows the line).
private struct RowError: Error {
  var message: String
}

/// Parses data rows in place: separators become NUL bytes and numbers are
/// read by `simpleDecimal` or strtod (no String per field).
private struct CSVRowParser {
  let columns: CSVColumns
  var starts: [Int]
  /// Per column: 1 for x1, 2 for x2, 0 for neither.
  var isNumberColumn: [Int]
  var values1: [Float], values2: [Float]

  init(columns: CSVColumns) {
    self.columns = columns
    starts = [Int](repeating: 0, count: columns.names.count + 1)
    isNumberColumn = [Int](repeating: 0, count: columns.names.count)
    for c in columns.x1 { isNumberColumn[c] = 1 }
    for c in columns.x2 { isNumberColumn[c] = 2 }
    values1 = [Float](repeating: 0, count: columns.x1.count)
    values2 = [Float](repeating: 0, count: columns.x2.count)
  }

  /// Adds the row in `line` (`length` bytes, one writable byte after them)
  /// to `part`; blank lines add nothing.
  mutating func parse(_ line: UnsafeMutablePointer<CChar>, _ length: Int, into part: inout CSVDatasetPart) throws(RowError) {
    var blank = true
    for i in 0..<length where line[i] != 32 && line[i] != 9 { blank = false; break }
    if blank { return }
    let width = columns.names.count
    // Field boundaries (commas outside quotes).
    var count = 0
    var quoted = false
    starts[0] = 0
    for i in 0..<length {
      let c = line[i]
      // strtod would stop at a NUL and read "1\09" as 1.
      guard c != 0 else { throw RowError(message: "NUL byte at column \(i + 1) (not a text file?)") }
      if c == 34 { quoted.toggle() }
      if c == 44 && !quoted {
        count += 1
        if count < width { starts[count] = i + 1 }
        line[i] = 0
      }
    }
    count += 1
    guard count == width else { throw RowError(message: "row has \(count) fields, the header has \(width)") }
    line[length] = 0
    starts[width] = length + 1
    var i1 = 0, i2 = 0
    for column in 0..<width where isNumberColumn[column] != 0 {
      let field = line + starts[column]
      let value: Double
      if let simple = simpleDecimal(field) {
        value = simple
      } else {
        var end: UnsafeMutablePointer<CChar>? = nil
        value = strtod(field, &end)
        var tail = end!
        while tail.pointee == 32 || tail.pointee == 9 { tail += 1 }
        let fieldText = { String(cString: field).trimmingSpaces() }
        guard end! != field, tail.pointee == 0 else {
          throw RowError(message: "column \(columns.names[column]): \"\(fieldText())\" is not a number")
        }
        guard value.isFinite, abs(value) <= Double(Float.greatestFiniteMagnitude) else {
          throw RowError(message: "column \(columns.names[column]): non-finite value \(fieldText())")
        }
      }
      if isNumberColumn[column] == 1 { values1[i1] = Float(value); i1 += 1 } else { values2[i2] = Float(value); i2 += 1 }
    }
    if let labelColumn = columns.label {
      let bytes = UnsafeRawBufferPointer(start: line + starts[labelColumn], count: starts[labelColumn + 1] - 1 - starts[labelColumn])
      // Invalid UTF-8 would be repaired to U+FFFD, making different labels
      // equal.
      guard String(validating: bytes, as: UTF8.self) != nil else {
        throw RowError(message: "column \(columns.names[labelColumn]): the label is not valid UTF-8")
      }
      let label = unquote(ArraySlice(bytes))
      guard !label.isEmpty else { throw RowError(message: "empty label") }
      part.labels.append(label)
    }
    // Keep the order of the header's modality columns.
    part.x1 += values1
    part.x2 += values2
    part.rows += 1
  }
}

/// The value of the NUL-terminated field at `field` when it is a plain
/// decimal (spaces or tabs, an optional sign, digits with an optional
/// point, an optional exponent, spaces or tabs) of at most 15 significant
/// digits whose power of ten is within 10^±22; nil for anything else.
///
/// Such a number is an exact `Double` times or divided by an exact power of
/// ten, so one operation rounds it correctly (Clinger's fast path): the
/// value is the one `strtod` (also correctly rounded) gives, to the bit.
/// Everything else, including what is not a number, goes to `strtod`.
@inline(__always)
func simpleDecimal(_ field: UnsafePointer<CChar>) -> Double? {
  var p = UnsafeRawPointer(field).assumingMemoryBound(to: UInt8.self)
  while p.pointee == 32 || p.pointee == 9 { p += 1 }
  let negative = p.pointee == 45
  if negative || p.pointee == 43 { p += 1 }
  var mantissa: UInt64 = 0
  var significant = 0, exponent = 0
  var sawDigit = false
  // The integer digits, then (after a point) the fraction's, each of which
  // lowers the exponent by one.
  var fractionStart: UnsafePointer<UInt8>? = nil
  while true {
    var d = p.pointee &- 48
    while d < 10 {
      sawDigit = true
      if mantissa != 0 || d != 0 {
        guard significant < 15 else { return nil }
        mantissa = mantissa &* 10 &+ UInt64(d)
        significant += 1
      }
      p += 1
      d = p.pointee &- 48
    }
    guard fractionStart == nil && p.pointee == 46 else { break }
    p += 1
    fractionStart = p
  }
  if let fractionStart { exponent = fractionStart - p }
  guard sawDigit else { return nil }
  if p.pointee == 101 || p.pointee == 69 {
    p += 1
    let negativeExponent = p.pointee == 45
    if negativeExponent || p.pointee == 43 { p += 1 }
    var written = 0, sawExponentDigit = false
    var d = p.pointee &- 48
    while d < 10 {
      sawExponentDigit = true
      guard written < 1000 else { return nil }
      written = written * 10 + Int(d)
      p += 1
      d = p.pointee &- 48
    }
    guard sawExponentDigit else { return nil }
    exponent += negativeExponent ? -written : written
  }
  while p.pointee == 32 || p.pointee == 9 { p += 1 }
  guard p.pointee == 0 else { return nil }
  var value = 0.0
  if mantissa != 0 {
    guard exponent >= -22 && exponent <= 22 else { return nil }
    value = exponent >= 0 ? Double(mantissa) * powersOfTen[exponent] : Double(mantissa) / powersOfTen[-exponent]
  }
  return negative ? -value : value
}

/// 10^0 ... 10^22, each exact as a `Double`.
private let powersOfTen: [Double] = [
  1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20,
  1e21, 1e22,
]

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
