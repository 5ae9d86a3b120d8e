import Foundation
@testable import PIDData
import Testing

/// A CSV file read in parts (as ranks read it) is the file read whole: the
/// same rows, the same first error with the same line number.
@Suite("CSV files read in parts")
struct CSVPartsTests {
  func temporary(_ text: String) throws -> String {
    let path = NSTemporaryDirectory() + "pidbounds-parts-" + UUID().uuidString + ".csv"
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    return path
  }

  let shape = DatasetShape(needsX1: true, needsX2: false, needsLabel: true)

  /// The dataset from `parts` parts, or the error's description.
  func read(_ path: String, parts: Int) -> Result<Dataset, DataError> {
    Result { () throws(DataError) -> Dataset in
      let read = try (0..<parts).map { (part: Int) throws(DataError) -> CSVDatasetPart in
        try readCSVDatasetPart(path, roles: ColumnRoles(), shape: shape, part: part, of: parts)
      }
      return try Dataset(csv: path, parts: read)
    }
  }

  func same(_ a: Result<Dataset, DataError>, _ b: Result<Dataset, DataError>) -> Bool {
    switch (a, b) {
    case (.success(let x), .success(let y)):
      return x.rows == y.rows && x.x1 == y.x1 && x.x2 == y.x2 && x.labels == y.labels
        && x.dimension1 == y.dimension1 && x.dimension2 == y.dimension2
    case (.failure(let x), .failure(let y)): return x == y
    default: return false
    }
  }

  /// Rows of varied lengths, blank lines, CRLF endings, quoted labels with
  /// commas, one very long line; with or without a final newline.
  func text(rows: Int, seed: UInt64, finalNewline: Bool, bad: [Int: String] = [:]) -> String {
    var state = seed
    func next() -> UInt64 {
      state = state &* 6364136223846793005 &+ 1442695040888963407
      return state >> 33
    }
    var lines = ["x1_a,x1_b,y,note"]
    for i in 0..<rows {
      if let line = bad[i] { lines.append(line); continue }
      switch next() % 9 {
      case 0: lines.append("")
      case 1: lines.append("  \t")
      default:
        let a = Double(Int(next() % 20000) - 10000) / 137
        let b = Double(next() % 1000) * 1e-3
        let note = next() % 7 == 0 ? String(repeating: "z", count: 5000) : "n\(i)"
        let label = next() % 2 == 0 ? "\"c,\(next() % 3)\"" : "c\(next() % 3)"
        lines.append("\(a), \(b) ,\(label),\(note)" + (next() % 4 == 0 ? "\r" : ""))
      }
    }
    return lines.joined(separator: "\n") + (finalNewline ? "\n" : "")
  }

  @Test("Any number of parts gives the rows of one reader, in order", arguments: [1, 2, 3, 5, 8, 64, 1000])
  func partsMatchWhole(parts: Int) throws {
    for (seed, final) in [(1 as UInt64, true), (2, false), (3, true)] {
      let path = try temporary(text(rows: 300, seed: seed, finalNewline: final))
      let whole = read(path, parts: 1)
      guard case .success(let data) = whole else { Issue.record("whole file failed: \(whole)"); continue }
      #expect(data.rows > 200)
      #expect(same(read(path, parts: parts), whole), "seed \(seed), \(parts) parts")
    }
  }

  @Test("The first bad line is the error, numbered in the whole file, whatever the parts")
  func firstErrorWins() throws {
    let bad = [40: "1,2", 41: "oops,1,c1,n", 250: "1,nan,c1,n"]
    let path = try temporary(text(rows: 300, seed: 7, finalNewline: true, bad: bad))
    let whole = read(path, parts: 1)
    guard case .failure(let error) = whole else { Issue.record("no error"); return }
    #expect(error == .malformed(path: path, line: 42, message: "row has 2 fields, the header has 4"))
    for parts in [2, 3, 4, 7, 16, 301] { #expect(same(read(path, parts: parts), whole), "\(parts) parts") }
    // Only the last bad line: still numbered in the whole file.
    let late = try temporary(text(rows: 300, seed: 7, finalNewline: false, bad: [299: "1,x,c1,n"]))
    #expect(throws: DataError.malformed(path: late, line: 301, message: "column x1_b: \"x\" is not a number")) {
      try read(late, parts: 1).get()
    }
    for parts in [2, 5, 9] { #expect(same(read(late, parts: parts), read(late, parts: 1))) }
  }

  @Test("Header-only and empty files: the same errors in parts")
  func emptyFiles() throws {
    let headerOnly = try temporary("x1,y\n\n  \n")
    #expect(throws: DataError.malformed(path: headerOnly, line: nil, message: "no data rows after the header")) {
      try read(headerOnly, parts: 1).get()
    }
    #expect(same(read(headerOnly, parts: 4), read(headerOnly, parts: 1)))
    let empty = try temporary("")
    for parts in [1, 3] {
      #expect(throws: DataError.malformed(path: empty, line: nil, message: "file is empty (a header row is required)")) {
        try read(empty, parts: parts).get()
      }
    }
  }

  @Test("A part crosses as bytes unchanged; malformed bytes are refused")
  func bytes() throws {
    let path = try temporary(text(rows: 50, seed: 4, finalNewline: true, bad: [30: "1,2,3"]))
    for part in 0..<3 {
      let read = try readCSVDatasetPart(path, roles: ColumnRoles(), shape: shape, part: part, of: 3)
      #expect(CSVDatasetPart(bytes: read.bytes[...]) == read)
      // A slice that does not start at index 0 (as gathered bytes after a tag).
      #expect(CSVDatasetPart(bytes: ([1] + read.bytes).dropFirst()) == read)
      let bytes = read.bytes
      #expect(CSVDatasetPart(bytes: bytes.dropLast()) == nil)
      #expect(CSVDatasetPart(bytes: (bytes + [0])[...]) == nil)
      // One row fewer than the features hold.
      var short = read
      short.rows += 1
      short.lines += 1
      #expect(CSVDatasetPart(bytes: short.bytes[...]) == nil)
    }
  }

  @Test("A pipe is read whole; in parts it is refused (its size is unknown)")
  func pipe() throws {
    let path = NSTemporaryDirectory() + "pidbounds-fifo-" + UUID().uuidString
    #expect(mkfifo(path, 0o600) == 0)
    defer { unlink(path) }
    let writer = Process()
    writer.executableURL = URL(fileURLWithPath: "/bin/sh")
    writer.arguments = ["-c", "printf 'x1,y\\n1,a\\n2,b\\n' > '\(path)'"]
    try writer.run()
    let data = try readCSVDataset(path, roles: ColumnRoles(), shape: shape)
    writer.waitUntilExit()
    #expect(data.rows == 2 && data.x1 == [1, 2] && data.labels == ["a", "b"])
    #expect(throws: DataError.io(path: path, message: "not a regular file (cannot be read in parts)")) {
      try readCSVDatasetPart(path, roles: ColumnRoles(), shape: shape, part: 1, of: 2)
    }
  }

  @Test("Plain decimals are read as strtod reads them, to the bit; anything else is left to strtod")
  func simpleDecimals() {
    var state: UInt64 = 12345
    func next(_ n: UInt64) -> Int {
      state = state &* 6364136223846793005 &+ 1442695040888963407
      return Int((state >> 33) % n)
    }
    let pieces = ["0", "1", "2", "5", "7", "9", "00", "123", "999999", "1234567", ".", "e", "E", "-", "+", " ", "\t",
                  "x", "inf", "nan", "0x1p", "e-", "e+", "22", "23", "308", "\u{0B}"]
    var answered = 0
    for trial in 0..<200_000 {
      var text = ""
      if trial % 2 == 0 {
        // Mostly well-formed numbers of every length and exponent.
        text = (next(3) == 0 ? "-" : "") + String(repeating: "0", count: next(3))
        text += (0..<next(19)).map { _ in String(next(10)) }.joined()
        if next(2) == 0 { text += "." + (0..<next(19)).map { _ in String(next(10)) }.joined() }
        if next(2) == 0 { text += (next(2) == 0 ? "e" : "E") + ["", "-", "+"][next(3)] + String(next(40)) }
        if next(4) == 0 { text = " " + text + "\t " }
      } else {
        text = (0..<(1 + next(6))).map { _ in pieces[next(UInt64(pieces.count))] }.joined()
      }
      text.withCString { field in
        var end: UnsafeMutablePointer<CChar>? = nil
        let reference = strtod(field, &end)
        var tail = end!
        while tail.pointee == 32 || tail.pointee == 9 { tail += 1 }
        let whole = end! != UnsafeMutablePointer(mutating: field) && tail.pointee == 0
        if let fast = simpleDecimal(field) {
          answered += 1
          #expect(whole && fast.bitPattern == reference.bitPattern, "\"\(text)\": \(fast) against strtod \(reference)")
        }
      }
    }
    // The fast path must answer for the plain numbers data files hold.
    #expect(answered > 60_000)
    for plain in ["0.1234", "-1.5", "3", "  2.5e-3 ", "1e22", "-0", "123456789012345", ".5", "5."] {
      #expect(plain.withCString { simpleDecimal($0) } != nil, "\(plain)")
    }
    for other in ["1e23", "1234567890123456", "0x10", "inf", "1e", ".", "-", "1.5x", "\u{0B}1"] {
      #expect(other.withCString { simpleDecimal($0) } == nil, "\(other)")
    }
  }
}

extension CSVPartsTests {
  @Test("Damaged bytes of a part decode to nil or to a part whose sizes agree, never trap or reserve what they claim")
  func damagedBytes() throws {
    let path = try temporary(text(rows: 40, seed: 9, finalNewline: true))
    let good = try readCSVDatasetPart(path, roles: ColumnRoles(), shape: shape, part: 1, of: 2).bytes
    var state: UInt64 = 5
    func next(_ n: Int) -> Int {
      state = state &* 6364136223846793005 &+ 1442695040888963407
      return Int((state >> 33) % UInt64(n))
    }
    var refused = 0
    for _ in 0..<3_000 {
      var bytes = good
      switch next(4) {
      case 0: bytes[next(bytes.count)] ^= UInt8(1 << next(8))
      case 1: bytes = Array(bytes.prefix(next(bytes.count)))
      case 2:
        // A huge count word where a count is (rows, labels, lengths).
        let at = 8 * next(bytes.count / 8)
        for k in 0..<8 { bytes[at + k] = k < 6 ? 0xFF : 0 }
      default: bytes[next(bytes.count)] = UInt8(next(256))
      }
      guard let part = CSVDatasetPart(bytes: bytes[...]) else { refused += 1; continue }
      #expect(part.x1.count == part.rows * part.dimension1 && part.x2.count == part.rows * part.dimension2)
      #expect(part.labels.count == (part.labeled ? part.rows : 0) && part.rows <= part.lines)
    }
    #expect(refused > 1_000)
    // Labels claimed for 2^40 rows without features or label bytes.
    let huge = 1 << 40
    let empty = CSVDatasetPart(fileSize: 10, header: Array("y".utf8), dimension1: 0, dimension2: 0, labeled: true,
                               lines: huge, rows: huge, x1: [], x2: [], labels: [], failure: nil)
    var claimed = empty.bytes
    let labelCountAt = 8 + 8 + 1 + 5 * 8 + 8 + 8
    withUnsafeBytes(of: UInt64(huge).littleEndian) { claimed.replaceSubrange(labelCountAt..<(labelCountAt + 8), with: $0) }
    #expect(CSVDatasetPart(bytes: claimed[...]) == nil)
  }

  @Test("A directory is an I/O error naming it, in one part or several")
  func directory() throws {
    let path = NSTemporaryDirectory() + "pidbounds-dir-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    #expect(throws: DataError.io(path: path, message: "Is a directory")) { try read(path, parts: 1).get() }
    #expect(throws: DataError.io(path: path, message: "not a regular file (cannot be read in parts)")) {
      try read(path, parts: 2).get()
    }
  }
}

extension CSVPartsTests {
  @Test("A regular file whose size is not that of its content (procfs) is not cut by size",
        .enabled(if: FileManager.default.fileExists(atPath: "/proc/self/limits")))
  func procfs() throws {
    let nothing = DatasetShape(needsX1: false, needsX2: false, needsLabel: false)
    let whole = try readCSVDataset("/proc/self/limits", roles: ColumnRoles(), shape: nothing)
    #expect(whole.rows > 0)
    #expect(throws: DataError.io(path: "/proc/self/limits", message: "its size is not that of its content")) {
      try readCSVDatasetPart("/proc/self/limits", roles: ColumnRoles(), shape: nothing, part: 0, of: 2)
    }
  }
}
