/// Byte forms of values sent between ranks: 64-bit little-endian words
/// for sizes, counts and bit patterns, strings as their length and UTF-8
/// bytes, `Float` arrays as their count and bit patterns, `Double` arrays
/// as bit patterns (their count written, or implied, by the caller).
///
/// `ByteReader` never traps on malformed input: every read returns nil
/// when the bytes left cannot hold what it announces, before anything is
/// allocated for it.
struct ByteWriter {
  var bytes: [UInt8] = []

  /// A size or count (non-negative).
  mutating func word(_ value: Int) {
    bits(UInt64(value))
  }

  /// Any 64 bits, as they are.
  mutating func bits(_ value: UInt64) {
    withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
  }

  mutating func byte(_ value: UInt8) {
    bytes.append(value)
  }

  mutating func string(_ utf8: [UInt8]) {
    word(utf8.count)
    bytes += utf8
  }

  /// Doubles as their bit patterns, without a count.
  mutating func doubles(_ values: [Double]) {
    #if _endian(little)
    values.withUnsafeBytes { bytes += $0 }
    #else
    for value in values { bits(value.bitPattern) }
    #endif
  }

  mutating func floats(_ values: [Float]) {
    word(values.count)
    #if _endian(little)
    values.withUnsafeBytes { bytes += $0 }
    #else
    bytes.reserveCapacity(bytes.count + 4 * values.count)
    for value in values { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 } }
    #endif
  }
}

struct ByteReader {
  let bytes: ArraySlice<UInt8>
  var offset: Int

  init(_ bytes: ArraySlice<UInt8>) {
    self.bytes = bytes
    offset = bytes.startIndex
  }

  var isAtEnd: Bool { offset == bytes.endIndex }

  /// Bytes not read yet.
  var remaining: Int { bytes.endIndex - offset }

  /// A size or count: a word of at most 2^48 (no count is larger).
  mutating func word() -> Int? {
    guard let value = bits(), value <= 1 << 48 else { return nil }
    return Int(value)
  }

  /// Any 64 bits.
  mutating func bits() -> UInt64? {
    guard remaining >= 8 else { return nil }
    var value: UInt64 = 0
    withUnsafeMutableBytes(of: &value) { $0.copyBytes(from: bytes[offset..<(offset + 8)]) }
    offset += 8
    return UInt64(littleEndian: value)
  }

  mutating func byte() -> UInt8? {
    guard remaining >= 1 else { return nil }
    defer { offset += 1 }
    return bytes[offset]
  }

  mutating func string() -> [UInt8]? {
    guard let count = word(), count <= remaining else { return nil }
    defer { offset += count }
    return Array(bytes[offset..<(offset + count)])
  }

  /// `count` doubles written by `ByteWriter.doubles`.
  mutating func doubles(count: Int) -> [Double]? {
    bitPatterns(count: count)
  }

  /// Floats written by `ByteWriter.floats` (their count first).
  mutating func floats() -> [Float]? {
    guard let count = word() else { return nil }
    return bitPatterns(count: count)
  }

  /// `count` values of `T` from their little-endian bit patterns.
  private mutating func bitPatterns<T: BinaryFloatingPoint>(count: Int) -> [T]? {
    let size = MemoryLayout<T>.size
    guard count <= remaining / size else { return nil }
    var values = [T](repeating: 0, count: count)
    values.withUnsafeMutableBytes { out in
      bytes[offset..<(offset + size * count)].withUnsafeBytes { out.copyMemory(from: $0) }
      #if _endian(big)
      for i in 0..<count { out[(i * size)..<((i + 1) * size)].reverse() }
      #endif
    }
    offset += size * count
    return values
  }
}
