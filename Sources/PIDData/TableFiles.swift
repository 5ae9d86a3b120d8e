import PIDMath

/// Reading the table files of CLI.md: a joint table `{"p": [[[...]]]}`
/// indexed `[x1][x2][y]`, and pairwise tables
/// `{"p_x1y": [[...]], "p_x2y": [[...]], "p_x1x2": [[...]]}`.
/// Entries may be counts or probabilities; they are normalized.
public enum TableFiles {
  /// Parses and validates a joint table from the bytes of file `path`.
  ///
  /// - Throws: `DataError` naming the file, and the line (syntax) or the
  ///   entry (`p[1][0][2]`) at fault.
  public static func joint(from bytes: [UInt8], path: String) throws(DataError) -> JointDistribution {
    let root = try parse(bytes, path: path)
    guard let p = root["p"] else { throw .malformed(path: path, line: nil, message: "missing key \"p\" (the joint table, indexed [x1][x2][y])") }
    let nested = try numbers3(p, name: "p", path: path)
    do {
      return try JointDistribution(nested)
    } catch {
      throw .malformed(path: path, line: nil, message: describe(error, name: "p"))
    }
  }

  /// Parses and validates pairwise tables from the bytes of file `path`.
  ///
  /// - Parameter tolerance: total-variation tolerance between the two
  ///   estimates of each single marginal.
  public static func pairwise(from bytes: [UInt8], path: String, tolerance: Double) throws(DataError) -> PairwiseMarginals {
    let root = try parse(bytes, path: path)
    var tables: [Matrix] = []
    for key in ["p_x1y", "p_x2y", "p_x1x2"] {
      guard let value = root[key] else { throw .malformed(path: path, line: nil, message: "missing key \"\(key)\"") }
      tables.append(Matrix(try numbers2(value, name: key, path: path)))
    }
    do {
      return try PairwiseMarginals(x1y: tables[0], x2y: tables[1], x1x2: tables[2], tolerance: tolerance)
    } catch {
      throw .malformed(path: path, line: nil, message: describe(error, name: nil))
    }
  }

  /// The three pairwise tables of a file as given (shapes and numbers
  /// checked, not normalized or reconciled).
  public static func pairwiseTables(from bytes: [UInt8], path: String) throws(DataError) -> (x1y: Matrix, x2y: Matrix, x1x2: Matrix) {
    let root = try parse(bytes, path: path)
    var tables: [Matrix] = []
    for key in ["p_x1y", "p_x2y", "p_x1x2"] {
      guard let value = root[key] else { throw .malformed(path: path, line: nil, message: "missing key \"\(key)\"") }
      tables.append(Matrix(try numbers2(value, name: key, path: path)))
    }
    return (tables[0], tables[1], tables[2])
  }

  static func parse(_ bytes: [UInt8], path: String) throws(DataError) -> JSON {
    guard bytes.contains(where: { !($0 == 32 || $0 == 9 || $0 == 10 || $0 == 13) }) else {
      throw .malformed(path: path, line: nil, message: "file is empty")
    }
    do {
      return try JSON.parse(bytes)
    } catch {
      throw .malformed(path: path, line: error.line, message: "not valid JSON: \(error.message)")
    }
  }

  public static func describe(_ error: TableError, name: String? = nil) -> String {
    switch error {
    case .negative(_, let index, let value):
      return "negative entry \(value) at \(name ?? "table")\(index.map { "[\($0)]" }.joined())"
    case .nonFinite(_, let index):
      return "non-finite entry at \(name ?? "table")\(index.map { "[\($0)]" }.joined())"
    default:
      return error.description
    }
  }

  static func numbers1(_ value: JSON, name: String, path: String) throws(DataError) -> [Double] {
    guard case .array(let elements) = value else {
      throw .malformed(path: path, line: nil, message: "\(name) must be an array of numbers, found \(value.kindName)")
    }
    var out = [Double]()
    out.reserveCapacity(elements.count)
    for (i, e) in elements.enumerated() {
      guard let x = e.doubleValue else {
        throw .malformed(path: path, line: nil, message: "\(name)[\(i)] must be a number, found \(e.kindName)")
      }
      out.append(x)
    }
    return out
  }

  static func numbers2(_ value: JSON, name: String, path: String) throws(DataError) -> [[Double]] {
    guard case .array(let rows) = value, !rows.isEmpty else {
      throw .malformed(path: path, line: nil, message: "\(name) must be a non-empty array of rows")
    }
    var out: [[Double]] = []
    for (i, row) in rows.enumerated() {
      let numbers = try numbers1(row, name: "\(name)[\(i)]", path: path)
      if let first = out.first, first.count != numbers.count {
        throw .malformed(path: path, line: nil, message: "\(name) is ragged: \(name)[\(i)] has \(numbers.count) entries, \(name)[0] has \(first.count)")
      }
      out.append(numbers)
    }
    guard out[0].count > 0 else { throw .malformed(path: path, line: nil, message: "\(name) has empty rows") }
    return out
  }

  static func numbers3(_ value: JSON, name: String, path: String) throws(DataError) -> [[[Double]]] {
    guard case .array(let blocks) = value, !blocks.isEmpty else {
      throw .malformed(path: path, line: nil, message: "\(name) must be a non-empty array indexed [x1][x2][y]")
    }
    var out: [[[Double]]] = []
    for (i, block) in blocks.enumerated() {
      let rows = try numbers2(block, name: "\(name)[\(i)]", path: path)
      if let first = out.first, first.count != rows.count || first[0].count != rows[0].count {
        throw .malformed(path: path, line: nil, message: "\(name) is ragged: \(name)[\(i)] is \(rows.count)x\(rows[0].count), \(name)[0] is \(first.count)x\(first[0].count)")
      }
      out.append(rows)
    }
    return out
  }
}
