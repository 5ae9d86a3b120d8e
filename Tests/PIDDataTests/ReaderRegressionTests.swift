import Foundation
import PIDData
import PIDMath
import Testing

/// One test per reader bug found by fuzzing (scripts/stress) or while
/// writing the fuzzer; each failed (trapped, hung or gave a wrong value)
/// before its fix.
@Suite("Reader regressions (fuzzing)")
struct ReaderRegressionTests {
  func temporary(_ name: String, _ bytes: [UInt8]) throws -> String {
    let directory = NSTemporaryDirectory() + "pidbounds-regression-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let path = directory + "/" + name
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    return path
  }

  func npy(shape: String, payload: Int) -> [UInt8] {
    var header = Array("{'descr': '<f8', 'fortran_order': False, 'shape': \(shape), }".utf8)
    while (10 + header.count + 1) % 64 != 0 { header.append(32) }
    header.append(10)
    return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.count), 0] + header + [UInt8](repeating: 0, count: payload * 8)
  }

  /// The description of the `DataError` thrown, nil when nothing is thrown.
  func message(_ body: () throws -> Void) -> String? {
    do {
      try body()
      return nil
    } catch let error as DataError {
      return error.description
    } catch {
      return "untyped error \(error)"
    }
  }

  @Test("JSON: a high surrogate followed by a non-surrogate escape is an error, not an arithmetic trap")
  func loneSurrogate() {
    #expect(throws: JSONSyntaxError.self) { try JSON.parse(Array(#"{"a": "\ud800\u0041"}"#.utf8)) }
  }

  @Test("JSON: duplicate keys are refused (which one counts is undefined), a leading BOM is accepted")
  func duplicateKeysAndBOM() throws {
    #expect(throws: JSONSyntaxError.self) { try JSON.parse(Array(#"{"p": 1, "p": 2}"#.utf8)) }
    let value = try JSON.parse([0xEF, 0xBB, 0xBF] + Array(#"{"p": 1}"#.utf8))
    #expect(value["p"] == .integer(1))
  }

  @Test(".npy: a header claiming 10^12 rows, or a shape whose product overflows, is refused before allocating")
  func hugeShapes() throws {
    for shape in ["(1000000000000, 3)", "(3037000500, 3037000500)", "(9223372036854775807, 2)", "(99999999999999999999, 1)"] {
      let path = try temporary("huge.npy", npy(shape: shape, payload: 4))
      let text = message { _ = try NumpyMatrix(path: path) }
      #expect(text?.contains(path) == true && (text?.contains("truncated") == true || text?.contains("claims") == true), "\(shape): \(text ?? "read")")
    }
  }

  @Test(".npy: negative or non-integer dimensions are refused, not read as other shapes")
  func badDimensions() throws {
    for shape in ["(-8, 3)", "(8, 3.5)", "[8, 3]", "(8, x)"] {
      let path = try temporary("bad.npy", npy(shape: shape, payload: 24))
      #expect(message { _ = try NumpyMatrix(path: path) } != nil, "\(shape) was read")
    }
    let good = try temporary("good.npy", npy(shape: "(8, 3)", payload: 24))
    let matrix = try NumpyMatrix(path: good)
    #expect(matrix.rows == 8 && matrix.columns == 3)
  }

  @Test("CSV: a UTF-8 byte order mark is not part of the first column's name")
  func csvBOM() throws {
    let path = try temporary("bom.csv", [0xEF, 0xBB, 0xBF] + Array("x1,y\n1,a\n2,b\n".utf8))
    let data = try readCSVDataset(path, roles: ColumnRoles(), shape: DatasetShape(needsX1: true, needsX2: false, needsLabel: true))
    #expect(data.x1 == [1, 2] && data.labels == ["a", "b"])
  }

  @Test("CSV: a NUL byte inside a number is refused (strtod stopped there and read 1 for 1\\09)")
  func csvNUL() throws {
    let path = try temporary("nul.csv", Array("x1,y\n1".utf8) + [0] + Array("9,a\n2,b\n".utf8))
    let text = message { _ = try readCSVDataset(path, roles: ColumnRoles(), shape: DatasetShape(needsX1: true, needsX2: false, needsLabel: true)) }
    #expect(text?.contains("\(path):2") == true && text?.contains("NUL") == true, "\(text ?? "read")")
  }

  @Test("CSV: labels that are not UTF-8 are refused (both were repaired to U+FFFD: two classes became one)")
  func csvInvalidUTF8Labels() throws {
    let path = try temporary("labels.csv", Array("x1,y\n1,".utf8) + [0xFF] + Array("\n2,".utf8) + [0xFE] + [10])
    let text = message { _ = try readCSVDataset(path, roles: ColumnRoles(), shape: DatasetShape(needsX1: true, needsX2: false, needsLabel: true)) }
    #expect(text?.contains("\(path):2") == true && text?.contains("UTF-8") == true, "\(text ?? "read")")
  }

  @Test("CSV: a field of a million spaces is read in linear time (trimming was quadratic: minutes)")
  func csvLongSpaces() throws {
    let path = try temporary("spaces.csv", Array("x1,y\n1, b".utf8) + [UInt8](repeating: 32, count: 1_000_000) + Array("\n2,a\n".utf8))
    let started = Date()
    let data = try readCSVDataset(path, roles: ColumnRoles(), shape: DatasetShape(needsX1: true, needsX2: false, needsLabel: true))
    #expect(data.labels == ["b", "a"])
    #expect(Date().timeIntervalSince(started) < 5)
  }

  @Test("Error messages are one line even when the input puts a newline in a key")
  func oneLineMessages() throws {
    let error = DataError.malformed(path: "f.json", line: 2, message: "expected ':' after key \"a\nb\"")
    #expect(!error.description.contains("\n"))
    #expect(error.description.contains("f.json:2"))
  }

  @Test("Coded-data bytes: a huge count or a code outside its alphabet gives nil, never a trap or a huge allocation")
  func codedBytes() {
    let valid = CodedData(alphabet1: 2, alphabet2: 2, labelCount: 2, d1x1: [0, 1], d1y: [1, 0], d2x2: [1], d2y: [0],
                          dmx1: [0], dmx2: [1], dlx1: [], dlx2: [], dly: [])
    #expect(CodedData(bytes: valid.bytes) == valid)
    var huge = valid.bytes
    huge.replaceSubrange(12..<16, with: [0xFF, 0xFF, 0xFF, 0x7F])  // d1x1's count
    #expect(CodedData(bytes: huge) == nil)
    var outside = valid.bytes
    outside[16] = 7  // d1x1[0] = 7 with alphabet 2
    #expect(CodedData(bytes: outside) == nil)
  }
}

@Suite("Checkpoint file format")
struct CheckpointFileTests {
  let records: [(Int, [Double])] = [(0, [0.5, .nan, -1]), (1, []), (2, [3])]

  @Test("Round trip; a torn last line, a flipped byte and another run's line are dropped and counted")
  func damaged() throws {
    let file = CheckpointFile(fingerprint: "ab12", records: records)
    #expect(try CheckpointFile.parse(Array(file.text.utf8), path: "ck", fingerprint: "ab12") == file)
    var text = Array(file.text.utf8)
    text.removeLast(5)  // torn last line
    let other = CheckpointFile.line(index: 1, numbers: [42], fingerprint: "cd34")
    var lines = String(decoding: text, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    lines[1] = lines[1].replacingOccurrences(of: "3fe", with: "3fd")  // 0.5 -> another number, same checksum
    lines.insert(String(other.dropLast()), at: 2)
    let parsed = try CheckpointFile.parse(Array(lines.joined(separator: "\n").utf8), path: "ck", fingerprint: "ab12")
    #expect(parsed.records.map(\.0) == [1])
    #expect(parsed.damagedLines == 3)
  }

  @Test("A negative or overflowing index with a valid checksum is dropped (it trapped as an array index)")
  func adversarialIndex() throws {
    for index in ["-1", "99999999999999999999"] {
      let body = "\(index) 0"
      let line = body + " " + String(fnv1a(Array(("ab12 " + body).utf8)), radix: 16) + "\n"
      let parsed = try CheckpointFile.parse(Array(("pidbounds-checkpoint v2 ab12\n" + line).utf8), path: "ck", fingerprint: "ab12")
      #expect(parsed.records.isEmpty && parsed.damagedLines == 1)
    }
  }

  @Test("Another run's header or a file that is not a checkpoint is an error naming the file; version 1 files still read")
  func headers() throws {
    #expect(throws: DataError.self) { try CheckpointFile.parse(Array("pidbounds-checkpoint v2 cd34\n".utf8), path: "ck", fingerprint: "ab12") }
    #expect(throws: DataError.self) { try CheckpointFile.parse(Array("hello\n".utf8), path: "ck", fingerprint: "ab12") }
    let body = "4 3ff0000000000000"
    let v1 = "pidbounds-checkpoint v1 ab12\n" + body + " " + String(fnv1a(Array(body.utf8)), radix: 16) + "\n"
    let parsed = try CheckpointFile.parse(Array(v1.utf8), path: "ck", fingerprint: "ab12")
    #expect(parsed.records.count == 1 && parsed.records[0].0 == 4 && parsed.records[0].1 == [1])
  }
}

@Suite("Checkpoint lines")
struct CheckpointLineTests {
  @Test("A record line is the index, the numbers' bit patterns in hexadecimal and the checksum, and parses back bit for bit")
  func line() throws {
    var g = SplitMix64(seed: 11)
    for trial in 0..<200 {
      let numbers = (0..<Int(g.next() % 50)).map { _ in Double(bitPattern: g.next()) } + [0, -0.0, 1, .nan, .infinity]
      let edges = [0, 1, 9, 10, 99, 100, 1_000_000]
      let index = trial < edges.count ? edges[trial] : Int(g.next() % 100_000)
      let line = CheckpointFile.line(index: index, numbers: numbers, fingerprint: "ab12")
      // The format, written the slow way.
      let body = "\(index) " + numbers.map { String($0.bitPattern, radix: 16) }.joined(separator: ",")
      #expect(line == body + " " + String(fnv1a(Array(("ab12 " + body).utf8)), radix: 16) + "\n")
      let parsed = try CheckpointFile.parse(Array(("pidbounds-checkpoint v2 ab12\n" + line).utf8), path: "ck", fingerprint: "ab12")
      #expect(parsed.records.count == 1 && parsed.records[0].0 == index)
      #expect(parsed.records[0].1.map(\.bitPattern) == numbers.map(\.bitPattern))
    }
  }
}
