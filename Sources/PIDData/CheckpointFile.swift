/// The text format of a bootstrap checkpoint, read and written here and
/// nowhere else.
///
/// A checkpoint is a header line `pidbounds-checkpoint v2 FINGERPRINT`, then
/// one line per finished job: `INDEX NUMBERS CHECKSUM`, where `NUMBERS` are
/// the job's numbers as comma-separated hexadecimal bit patterns of
/// `Double`s (exact, NaN included) and `CHECKSUM` is the hexadecimal 64-bit
/// FNV-1a of `FINGERPRINT INDEX NUMBERS`. Because the checksum covers the
/// fingerprint, a line copied from another run's checkpoint fails it.
///
/// Version 1 files (checksum of `INDEX NUMBERS` only) are still read, so
/// that a job interrupted before an upgrade resumes.
///
/// Contract of `parse`: it never traps and never returns a record that did
/// not pass its checksum; a line that fails (a torn last line after a kill,
/// a flipped byte, a line from another run) is counted in `damagedLines`
/// and its job is simply computed again. A header that is not this run's
/// is an error, never silently ignored.
public struct CheckpointFile: Sendable, Equatable {
  /// The run's fingerprint (data, seed, counts, options).
  public var fingerprint: String
  /// Finished jobs as `(index, numbers)`, in file order; an index appears
  /// once (a later valid line for the same index replaces the earlier).
  public var records: [(Int, [Double])]
  /// Lines that failed their checksum or syntax and were left out.
  public var damagedLines: Int

  public static func == (a: CheckpointFile, b: CheckpointFile) -> Bool {
    a.fingerprint == b.fingerprint && a.damagedLines == b.damagedLines && a.records.count == b.records.count
      && zip(a.records, b.records).allSatisfy { $0.0 == $1.0 && $0.1.map(\.bitPattern) == $1.1.map(\.bitPattern) }
  }

  public init(fingerprint: String, records: [(Int, [Double])] = [], damagedLines: Int = 0) {
    self.fingerprint = fingerprint
    self.records = records
    self.damagedLines = damagedLines
  }

  static let magic = "pidbounds-checkpoint"

  /// Parses the bytes of checkpoint `path` for the run `fingerprint`.
  ///
  /// - Throws: `DataError.malformed` (naming the file, line 1) when the
  ///   first line is not a pidbounds checkpoint header, or is the header of
  ///   another run (other data, seed, counts or options).
  public static func parse(_ bytes: [UInt8], path: String, fingerprint: String) throws(DataError) -> CheckpointFile {
    var lines = bytes.split(separator: 10, omittingEmptySubsequences: false)
    // A file that does not end in a newline has a torn last line.
    let torn = bytes.last != 10
    if !torn { lines.removeLast() }
    guard let first = lines.first else {
      throw .malformed(path: path, line: 1, message: "not a pidbounds checkpoint (no header line)")
    }
    let header = String(decoding: first, as: UTF8.self)
    let version: Int
    if header == "\(magic) v2 \(fingerprint)" && !(torn && lines.count == 1) {
      version = 2
    } else if header == "\(magic) v1 \(fingerprint)" && !(torn && lines.count == 1) {
      version = 1
    } else if header.hasPrefix(magic + " ") {
      throw .malformed(path: path, line: 1, message: "this checkpoint belongs to a different run (other data, seed, replicates or options); remove it or choose another file")
    } else {
      throw .malformed(path: path, line: 1, message: "not a pidbounds checkpoint (first line is not a checkpoint header); remove it or choose another file")
    }
    var file = CheckpointFile(fingerprint: fingerprint)
    var position: [Int: Int] = [:]
    for line in lines.dropFirst() {
      guard let (index, numbers) = record(line, fingerprint: version == 2 ? fingerprint : nil) else {
        file.damagedLines += 1
        continue
      }
      if let at = position[index] {
        file.records[at].1 = numbers
      } else {
        position[index] = file.records.count
        file.records.append((index, numbers))
      }
    }
    return file
  }

  /// One record line, or nil when it fails its syntax or checksum.
  static func record(_ line: ArraySlice<UInt8>, fingerprint: String?) -> (Int, [Double])? {
    let parts = line.split(separator: 32, omittingEmptySubsequences: false)
    guard parts.count == 3, parts[0].count <= 18, let index = decimal(parts[0]), parts[2].count <= 16,
      let checksum = hexadecimal(parts[2])
    else { return nil }
    var covered = Array(parts[0]) + [32] + Array(parts[1])
    if let fingerprint { covered = Array(fingerprint.utf8) + [32] + covered }
    guard fnv1a(covered) == checksum else { return nil }
    var numbers: [Double] = []
    if !parts[1].isEmpty {
      for field in parts[1].split(separator: 44, omittingEmptySubsequences: false) {
        guard field.count <= 16, let bits = hexadecimal(field) else { return nil }
        numbers.append(Double(bitPattern: bits))
      }
    }
    return (index, numbers)
  }

  /// The text of one record line (with its newline).
  public static func line(index: Int, numbers: [Double], fingerprint: String) -> String {
    var bytes: [UInt8] = []
    appendLine(index: index, numbers: numbers, checksumSeed: checksumSeed(fingerprint), to: &bytes)
    return String(decoding: bytes, as: UTF8.self)
  }

  /// The FNV-1a state after `FINGERPRINT ` (with its space): every record
  /// line's checksum continues from it.
  public static func checksumSeed(_ fingerprint: String) -> UInt64 {
    fnv1a(Array(fingerprint.utf8) + [UInt8(ascii: " ")])
  }

  /// Appends the bytes of one record line (with its newline), the same as
  /// `line`, given the run's `checksumSeed`. Rank 0 encodes every record of
  /// a run, so this is on the path that limits how many ranks it serves:
  /// the line is written in place into `bytes`' storage, then checksummed.
  public static func appendLine(index: Int, numbers: [Double], checksumSeed: UInt64, to bytes: inout [UInt8]) {
    precondition(index >= 0, "a job index is never negative")
    let start = bytes.count
    // Index (at most 19 digits), space, numbers (at most 16 digits and a
    // comma each), space, checksum (at most 16 digits), newline.
    bytes.append(contentsOf: repeatElement(0, count: 19 + 1 + 17 * numbers.count + 1 + 16 + 1))
    let end = bytes.withUnsafeMutableBufferPointer { buffer -> Int in
      var at = start
      func hexadecimal(_ value: UInt64) {
        var shift = max(0, (63 - value.leadingZeroBitCount) / 4 * 4)
        while shift >= 0 {
          let digit = UInt8(truncatingIfNeeded: (value >> UInt64(shift)) & 0xF)
          buffer[at] = digit < 10 ? 48 + digit : 87 + digit
          at += 1
          shift -= 4
        }
      }
      var divisor = 1
      while divisor <= index / 10 { divisor *= 10 }
      var rest = index
      while divisor > 0 {
        buffer[at] = 48 + UInt8(rest / divisor)
        at += 1
        rest %= divisor
        divisor /= 10
      }
      buffer[at] = UInt8(ascii: " ")
      at += 1
      for (i, x) in numbers.enumerated() {
        if i > 0 { buffer[at] = UInt8(ascii: ","); at += 1 }
        hexadecimal(x.bitPattern)
      }
      let hash = fnv1a(UnsafeMutableBufferPointer(rebasing: buffer[start..<at]), continuing: checksumSeed)
      buffer[at] = UInt8(ascii: " ")
      at += 1
      hexadecimal(hash)
      buffer[at] = UInt8(ascii: "\n")
      return at + 1
    }
    bytes.removeLast(bytes.count - end)
  }

  /// The whole file: header, then every record.
  public var text: String {
    var bytes = Array("\(Self.magic) v2 \(fingerprint)\n".utf8)
    let seed = Self.checksumSeed(fingerprint)
    for (index, numbers) in records { Self.appendLine(index: index, numbers: numbers, checksumSeed: seed, to: &bytes) }
    return String(decoding: bytes, as: UTF8.self)
  }

  /// A non-negative decimal integer of at most 18 digits (no sign).
  static func decimal(_ digits: ArraySlice<UInt8>) -> Int? {
    guard !digits.isEmpty else { return nil }
    var value = 0
    for c in digits {
      guard (48...57).contains(c) else { return nil }
      value = value * 10 + Int(c - 48)
    }
    return value
  }

  /// A lower-case hexadecimal number of 1 to 16 digits.
  static func hexadecimal(_ digits: ArraySlice<UInt8>) -> UInt64? {
    guard !digits.isEmpty, digits.count <= 16 else { return nil }
    var value: UInt64 = 0
    for c in digits {
      let digit: UInt64
      switch c {
      case 48...57: digit = UInt64(c - 48)
      case 97...102: digit = UInt64(c - 87)
      default: return nil
      }
      value = value << 4 | digit
    }
    return value
  }
}

/// 64-bit FNV-1a of `bytes`, or its continuation from the `state` an
/// earlier call returned (the hash of the two byte runs one after the
/// other).
public func fnv1a<Bytes: Sequence<UInt8>>(_ bytes: Bytes, continuing state: UInt64 = 0xCBF2_9CE4_8422_2325) -> UInt64 {
  var hash = state
  for byte in bytes {
    hash ^= UInt64(byte)
    hash = hash &* 0x100_0000_01B3
  }
  return hash
}
