#if canImport(Glibc)
import Glibc
#endif

/// A 2-D `.npy` array read as `Float`s, row-major.
///
/// Supported: format versions 1–3, C order, little-endian `float32`
/// (`<f4`), `float64` (`<f8`), `int32` (`<i4`), `int64` (`<i8`), and
/// one-byte `uint8`/`int8` (`|u1`, `|i1`). A 1-D array is one column.
/// Data are read in chunks, never whole as bytes.
public struct NumpyMatrix: Sendable {
  public var rows: Int
  public var columns: Int
  public var values: [Float]

  /// - Throws: `DataError` naming the file: missing, not an .npy file, an
  ///   unsupported dtype or Fortran order, truncated data, non-finite values.
  public init(path: String) throws(DataError) {
    guard let file = fopen(path, "rb") else {
      let code = errno
      if code == ENOENT { throw .missingFile(path: path) }
      throw .io(path: path, message: String(cString: strerror(code)))
    }
    defer { fclose(file) }
    func read(_ count: Int) -> [UInt8]? {
      var bytes = [UInt8](repeating: 0, count: count)
      let n = bytes.withUnsafeMutableBytes { fread($0.baseAddress, 1, count, file) }
      return n == count ? bytes : nil
    }
    guard let magic = read(8), magic[0] == 0x93, Array(magic[1..<6]) == Array("NUMPY".utf8) else {
      throw .malformed(path: path, line: nil, message: "not an .npy file (bad magic bytes)")
    }
    let major = magic[6]
    let headerLength: Int
    if major == 1 {
      guard let n = read(2) else { throw .malformed(path: path, line: nil, message: "truncated .npy header") }
      headerLength = Int(n[0]) | Int(n[1]) << 8
    } else if major == 2 || major == 3 {
      guard let n = read(4) else { throw .malformed(path: path, line: nil, message: "truncated .npy header") }
      headerLength = Int(n[0]) | Int(n[1]) << 8 | Int(n[2]) << 16 | Int(n[3]) << 24
    } else {
      throw .malformed(path: path, line: nil, message: "unsupported .npy format version \(major)")
    }
    guard headerLength < 1 << 20, let headerBytes = read(headerLength) else {
      throw .malformed(path: path, line: nil, message: "truncated .npy header")
    }
    let header = String(decoding: headerBytes, as: UTF8.self)
    guard let descr = NumpyMatrix.field(header, "descr") else {
      throw .malformed(path: path, line: nil, message: "the .npy header has no 'descr'")
    }
    let dtype = descr.trimmingCharacters(in: "'\" ")
    let width: Int
    let decode: (UnsafeRawPointer) -> Double
    switch dtype {
    case "<f4": width = 4; decode = { Double(Float(bitPattern: UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self)))) }
    case "<f8": width = 8; decode = { Double(bitPattern: UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self))) }
    case "<i4": width = 4; decode = { Double(Int32(littleEndian: $0.loadUnaligned(as: Int32.self))) }
    case "<i8": width = 8; decode = { Double(Int64(littleEndian: $0.loadUnaligned(as: Int64.self))) }
    case "|u1": width = 1; decode = { Double($0.load(as: UInt8.self)) }
    case "|i1": width = 1; decode = { Double($0.load(as: Int8.self)) }
    default:
      throw .malformed(path: path, line: nil, message: "unsupported .npy dtype \(dtype) (supported: <f4, <f8, <i4, <i8, |u1, |i1)")
    }
    if let order = NumpyMatrix.field(header, "fortran_order"), order.contains("True") {
      throw .malformed(path: path, line: nil, message: "Fortran-order .npy arrays are not supported (save with C order)")
    }
    guard let shapeText = NumpyMatrix.field(header, "shape") else {
      throw .malformed(path: path, line: nil, message: "the .npy header has no 'shape'")
    }
    let dims = try NumpyMatrix.shape(shapeText, path: path)
    guard dims.count == 1 || dims.count == 2 else {
      throw .malformed(path: path, line: nil, message: "expected a 1-D or 2-D array, shape is \(shapeText)")
    }
    rows = dims[0]
    columns = dims.count == 2 ? dims[1] : 1
    // The header's claim is checked against the file's size before
    // anything is allocated (a header may claim 10^12 rows).
    let (total, overflow) = rows.multipliedReportingOverflow(by: columns)
    let dataOffset = ftell(file)
    var status = stat()
    guard !overflow, total <= Int.max / 8, dataOffset >= 0, fstat(fileno(file), &status) == 0 else {
      throw .malformed(path: path, line: nil, message: "the .npy header claims shape \(shapeText), more values than any file holds")
    }
    let available = (Int(status.st_size) - dataOffset) / width
    guard total <= available else {
      throw .malformed(path: path, line: nil, message: "truncated .npy data: the header claims shape \(shapeText) (\(total) values), the file holds \(max(0, available))")
    }
    var values = [Float]()
    values.reserveCapacity(total)
    let chunkCount = 1 << 16
    var buffer = [UInt8](repeating: 0, count: chunkCount * width)
    var done = 0
    while done < total {
      let want = min(chunkCount, total - done)
      let got = buffer.withUnsafeMutableBytes { fread($0.baseAddress, width, want, file) }
      guard got == want else {
        throw .malformed(path: path, line: nil, message: "truncated .npy data: \(done + got) of \(total) values")
      }
      let bad: Int? = buffer.withUnsafeBytes { raw in
        for i in 0..<want {
          let x = decode(raw.baseAddress! + i * width)
          guard x.isFinite, abs(x) <= Double(Float.greatestFiniteMagnitude) else { return i }
          values.append(Float(x))
        }
        return nil
      }
      if let bad {
        throw .malformed(path: path, line: nil, message: "non-finite value at row \((done + bad) / columns), column \((done + bad) % columns)")
      }
      done += want
    }
    self.values = values
  }

  /// The dimensions of a shape tuple such as `(3, 2)` or `(5,)`: decimal
  /// non-negative integers only.
  static func shape(_ text: String, path: String) throws(DataError) -> [Int] {
    let inner = text.trimmingCharacters(in: " ")
    guard inner.hasPrefix("("), inner.hasSuffix(")") else {
      throw .malformed(path: path, line: nil, message: "the .npy shape \(text) is not a tuple")
    }
    if inner == "()" { return [] }
    var dims: [Int] = []
    let items = inner.dropFirst().dropLast().split(separator: ",", omittingEmptySubsequences: false)
    for (i, item) in items.enumerated() {
      let digits = String(item).trimmingCharacters(in: " L")
      if digits.isEmpty && i == items.count - 1 && i > 0 { break }  // "(5,)"
      guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else {
        throw .malformed(path: path, line: nil, message: "the .npy shape \(text) has a dimension that is not a non-negative integer")
      }
      guard let n = Int(digits) else {
        throw .malformed(path: path, line: nil, message: "the .npy header claims shape \(text), a dimension beyond any file")
      }
      dims.append(n)
    }
    return dims
  }

  /// The text of a key's value in the header dict (up to the next key).
  static func field(_ header: String, _ key: String) -> String? {
    for quote in ["'", "\""] {
      guard let range = header.firstRange(of: quote + key + quote) else { continue }
      let rest = header[range.upperBound...].drop { $0 == ":" || $0 == " " }
      if rest.first == "(" {
        guard let close = rest.firstIndex(of: ")") else { return nil }
        return String(rest[...close])
      }
      let end = rest.firstIndex(of: ",") ?? rest.firstIndex(of: "}") ?? rest.endIndex
      return String(rest[..<end])
    }
    return nil
  }
}

extension String {
  /// Without leading and trailing characters of `set`; linear in the length.
  func trimmingCharacters(in set: String) -> String {
    guard let first = firstIndex(where: { !set.contains($0) }), let last = lastIndex(where: { !set.contains($0) }) else { return "" }
    return String(self[first...last])
  }
}

/// How the columns of an `.npy` dataset are laid out.
public enum NumpyLayout: Sendable {
  /// Modality 1's features, then the label (D1).
  case features1ThenLabel
  /// Modality 2's features, then the label (D2).
  case features2ThenLabel
  /// `d1` features of modality 1, then `d2` of modality 2 (DM).
  case pairs(Int, Int)
  /// As `pairs`, then the label (DL).
  case labeledPairs(Int, Int)
}

/// Reads a dataset from an `.npy` file laid out as `layout`. Labels are
/// numbers, written as integers when integral.
public func readNumpyDataset(_ path: String, layout: NumpyLayout) throws(DataError) -> Dataset {
  let matrix = try NumpyMatrix(path: path)
  let dimension1: Int, dimension2: Int, needsLabel: Bool
  switch layout {
  case .features1ThenLabel: (dimension1, dimension2, needsLabel) = (matrix.columns - 1, 0, true)
  case .features2ThenLabel: (dimension1, dimension2, needsLabel) = (0, matrix.columns - 1, true)
  case .pairs(let a, let b): (dimension1, dimension2, needsLabel) = (a, b, false)
  case .labeledPairs(let a, let b): (dimension1, dimension2, needsLabel) = (a, b, true)
  }
  guard dimension1 >= 0, dimension2 >= 0, dimension1 + dimension2 >= 1 else {
    throw .malformed(path: path, line: nil, message: "has \(matrix.columns) columns; needs features and a label")
  }
  let expected = dimension1 + dimension2 + (needsLabel ? 1 : 0)
  guard matrix.columns == expected else {
    throw .malformed(path: path, line: nil, message: "has \(matrix.columns) columns; expected \(expected) (\(dimension1) for x1, \(dimension2) for x2\(needsLabel ? ", 1 label" : ""))")
  }
  guard matrix.rows > 0 else { throw .malformed(path: path, line: nil, message: "has no rows") }
  var x1 = [Float](), x2 = [Float](), labels = [String]()
  x1.reserveCapacity(matrix.rows * dimension1)
  x2.reserveCapacity(matrix.rows * dimension2)
  for r in 0..<matrix.rows {
    let base = r * matrix.columns
    x1 += matrix.values[base..<(base + dimension1)]
    x2 += matrix.values[(base + dimension1)..<(base + dimension1 + dimension2)]
    if needsLabel {
      let v = matrix.values[base + dimension1 + dimension2]
      labels.append(v == v.rounded() && abs(v) < 1e9 ? String(Int(v)) : String(v))
    }
  }
  return Dataset(source: path, rows: matrix.rows, x1: x1, dimension1: dimension1, x2: x2, dimension2: dimension2, labels: labels)
}
