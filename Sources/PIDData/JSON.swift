/// A JSON value. Objects keep their keys in insertion order, so that the
/// output of the tool is byte-for-byte deterministic.
public indirect enum JSON: Equatable, Sendable {
  case null
  case bool(Bool)
  /// An integer, written without a decimal point.
  case integer(Int)
  /// A number; non-finite numbers are written as `null`.
  case number(Double)
  case string(String)
  case array([JSON])
  case object([(String, JSON)])

  public static func == (lhs: JSON, rhs: JSON) -> Bool {
    switch (lhs, rhs) {
    case (.null, .null): return true
    case (.bool(let a), .bool(let b)): return a == b
    case (.integer(let a), .integer(let b)): return a == b
    case (.number(let a), .number(let b)): return a == b
    case (.string(let a), .string(let b)): return a == b
    case (.array(let a), .array(let b)): return a == b
    case (.object(let a), .object(let b)):
      return a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
    default: return false
    }
  }

  /// The member named `key` of an object, or nil.
  public subscript(key: String) -> JSON? {
    guard case .object(let members) = self else { return nil }
    return members.first { $0.0 == key }?.1
  }

  /// A number (integer or not) as `Double`, or nil.
  public var doubleValue: Double? {
    switch self {
    case .number(let x): return x
    case .integer(let n): return Double(n)
    default: return nil
    }
  }

  /// A short name of the value's kind, for error messages.
  public var kindName: String {
    switch self {
    case .null: return "null"
    case .bool: return "a boolean"
    case .integer, .number: return "a number"
    case .string: return "a string"
    case .array: return "an array"
    case .object: return "an object"
    }
  }
}

// MARK: - Reading

/// A syntax error in JSON text, with the 1-based line where it was found.
public struct JSONSyntaxError: Error, Equatable, Sendable {
  public var line: Int
  public var message: String
}

extension JSON {
  /// Parses UTF-8 JSON text (RFC 8259). Numbers are parsed with correct
  /// rounding; `NaN` and `Infinity` are not JSON and are rejected.
  public static func parse(_ bytes: [UInt8]) throws(JSONSyntaxError) -> JSON {
    var parser = JSONParser(bytes: bytes)
    // A UTF-8 byte order mark before the text is ignored (RFC 8259 8.1).
    if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { parser.position = 3 }
    parser.skipWhitespace()
    let value = try parser.parseValue(depth: 0)
    parser.skipWhitespace()
    guard parser.position == bytes.count else { throw parser.error("unexpected text after the JSON value") }
    return value
  }
}

private struct JSONParser {
  let bytes: [UInt8]
  var position = 0
  var line = 1

  init(bytes: [UInt8]) { self.bytes = bytes }

  func error(_ message: String) -> JSONSyntaxError { JSONSyntaxError(line: line, message: message) }

  mutating func skipWhitespace() {
    while position < bytes.count {
      switch bytes[position] {
      case UInt8(ascii: "\n"): line += 1; position += 1
      case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"): position += 1
      default: return
      }
    }
  }

  mutating func parseValue(depth: Int) throws(JSONSyntaxError) -> JSON {
    guard depth < 512 else { throw error("nesting too deep") }
    guard position < bytes.count else { throw error("unexpected end of input") }
    switch bytes[position] {
    case UInt8(ascii: "{"): return try parseObject(depth: depth)
    case UInt8(ascii: "["): return try parseArray(depth: depth)
    case UInt8(ascii: "\""): return .string(try parseString())
    case UInt8(ascii: "t"): try expectWord("true"); return .bool(true)
    case UInt8(ascii: "f"): try expectWord("false"); return .bool(false)
    case UInt8(ascii: "n"): try expectWord("null"); return .null
    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
    case UInt8(ascii: "N"), UInt8(ascii: "I"):
      throw error("NaN and Infinity are not numbers in JSON (non-finite value)")
    default:
      throw error("unexpected character '\(String(decoding: [bytes[position]], as: UTF8.self))'")
    }
  }

  mutating func expectWord(_ word: String) throws(JSONSyntaxError) {
    let utf8 = Array(word.utf8)
    guard position + utf8.count <= bytes.count, Array(bytes[position..<position + utf8.count]) == utf8 else {
      throw error("invalid literal (expected '\(word)')")
    }
    position += utf8.count
  }

  mutating func parseObject(depth: Int) throws(JSONSyntaxError) -> JSON {
    position += 1
    var members: [(String, JSON)] = []
    var keys = Set<String>()
    skipWhitespace()
    if position < bytes.count && bytes[position] == UInt8(ascii: "}") {
      position += 1
      return .object(members)
    }
    while true {
      skipWhitespace()
      guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else {
        throw error("expected a string key in object")
      }
      let key = try parseString()
      // Which of two equal keys counts is undefined in JSON: refuse
      // rather than pick one silently.
      guard keys.insert(key).inserted else { throw error("duplicate key \"\(key)\" in object") }
      skipWhitespace()
      guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else { throw error("expected ':' after key \"\(key)\"") }
      position += 1
      skipWhitespace()
      members.append((key, try parseValue(depth: depth + 1)))
      skipWhitespace()
      guard position < bytes.count else { throw error("unexpected end of input in object") }
      if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
      if bytes[position] == UInt8(ascii: "}") { position += 1; return .object(members) }
      throw error("expected ',' or '}' in object")
    }
  }

  mutating func parseArray(depth: Int) throws(JSONSyntaxError) -> JSON {
    position += 1
    var elements: [JSON] = []
    skipWhitespace()
    if position < bytes.count && bytes[position] == UInt8(ascii: "]") {
      position += 1
      return .array(elements)
    }
    while true {
      skipWhitespace()
      elements.append(try parseValue(depth: depth + 1))
      skipWhitespace()
      guard position < bytes.count else { throw error("unexpected end of input in array") }
      if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
      if bytes[position] == UInt8(ascii: "]") { position += 1; return .array(elements) }
      throw error("expected ',' or ']' in array")
    }
  }

  mutating func parseString() throws(JSONSyntaxError) -> String {
    position += 1
    var out = [UInt8]()
    while position < bytes.count {
      let c = bytes[position]
      position += 1
      switch c {
      case UInt8(ascii: "\""):
        return String(decoding: out, as: UTF8.self)
      case UInt8(ascii: "\\"):
        guard position < bytes.count else { break }
        let e = bytes[position]
        position += 1
        switch e {
        case UInt8(ascii: "\""): out.append(e)
        case UInt8(ascii: "\\"): out.append(e)
        case UInt8(ascii: "/"): out.append(e)
        case UInt8(ascii: "b"): out.append(8)
        case UInt8(ascii: "f"): out.append(12)
        case UInt8(ascii: "n"): out.append(10)
        case UInt8(ascii: "r"): out.append(13)
        case UInt8(ascii: "t"): out.append(9)
        case UInt8(ascii: "u"):
          var scalar = try hex4()
          if (0xD800..<0xDC00).contains(scalar), position + 1 < bytes.count,
            bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u")
          {
            position += 2
            let low = try hex4()
            guard (0xDC00..<0xE000).contains(low) else { throw error("invalid \\u surrogate pair") }
            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
          }
          out.append(contentsOf: Array(String(Character(Unicode.Scalar(scalar) ?? "\u{FFFD}")).utf8))
        default: throw error("invalid escape in string")
        }
      case 0..<0x20:
        throw error("control character in string")
      default:
        out.append(c)
      }
    }
    throw error("unterminated string")
  }

  mutating func hex4() throws(JSONSyntaxError) -> UInt32 {
    guard position + 4 <= bytes.count else { throw error("truncated \\u escape") }
    var value: UInt32 = 0
    for _ in 0..<4 {
      let c = bytes[position]
      position += 1
      let digit: UInt32
      switch c {
      case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(c - UInt8(ascii: "0"))
      case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(c - UInt8(ascii: "a") + 10)
      case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(c - UInt8(ascii: "A") + 10)
      default: throw error("invalid \\u escape")
      }
      value = value * 16 + digit
    }
    return value
  }

  mutating func parseNumber() throws(JSONSyntaxError) -> JSON {
    let start = position
    func digits(_ p: inout Int) -> Int {
      let s = p
      while p < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[p]) { p += 1 }
      return p - s
    }
    var p = position
    if bytes[p] == UInt8(ascii: "-") { p += 1 }
    let intDigits = digits(&p)
    guard intDigits > 0 else {
      if p < bytes.count, bytes[p] == UInt8(ascii: "I") {
        throw error("NaN and Infinity are not numbers in JSON (non-finite value)")
      }
      throw error("invalid number")
    }
    if intDigits > 1 && bytes[p - intDigits] == UInt8(ascii: "0") { throw error("invalid number (leading zero)") }
    var isInteger = true
    if p < bytes.count, bytes[p] == UInt8(ascii: ".") {
      p += 1
      isInteger = false
      guard digits(&p) > 0 else { throw error("invalid number (no digits after '.')") }
    }
    if p < bytes.count, bytes[p] == UInt8(ascii: "e") || bytes[p] == UInt8(ascii: "E") {
      p += 1
      isInteger = false
      if p < bytes.count, bytes[p] == UInt8(ascii: "+") || bytes[p] == UInt8(ascii: "-") { p += 1 }
      guard digits(&p) > 0 else { throw error("invalid number (no exponent digits)") }
    }
    position = p
    let text = String(decoding: bytes[start..<p], as: UTF8.self)
    if isInteger, let n = Int(text) { return .integer(n) }
    guard let x = Double(text) else { throw error("invalid number '\(text)'") }
    return .number(x)
  }
}

// MARK: - Writing

extension JSON {
  /// The text of this value: two-space indentation, keys in insertion
  /// order, numbers in the shortest form that reads back to the same
  /// `Double`, and a final newline. Deterministic for equal values.
  public func rendered() -> String {
    var out = ""
    write(to: &out, indent: 0)
    out += "\n"
    return out
  }

  private func write(to out: inout String, indent: Int) {
    switch self {
    case .null: out += "null"
    case .bool(let b): out += b ? "true" : "false"
    case .integer(let n): out += String(n)
    case .number(let x): out += JSON.format(x)
    case .string(let s): JSON.writeString(s, to: &out)
    case .array(let elements):
      if elements.isEmpty { out += "[]"; return }
      if elements.allSatisfy({ $0.isScalar }) {
        out += "["
        for (i, e) in elements.enumerated() {
          if i > 0 { out += ", " }
          e.write(to: &out, indent: indent)
        }
        out += "]"
        return
      }
      out += "[\n"
      for (i, e) in elements.enumerated() {
        out += String(repeating: " ", count: indent + 2)
        e.write(to: &out, indent: indent + 2)
        out += i + 1 < elements.count ? ",\n" : "\n"
      }
      out += String(repeating: " ", count: indent) + "]"
    case .object(let members):
      if members.isEmpty { out += "{}"; return }
      out += "{\n"
      for (i, (key, value)) in members.enumerated() {
        out += String(repeating: " ", count: indent + 2)
        JSON.writeString(key, to: &out)
        out += ": "
        value.write(to: &out, indent: indent + 2)
        out += i + 1 < members.count ? ",\n" : "\n"
      }
      out += String(repeating: " ", count: indent) + "}"
    }
  }

  /// Whether the value is neither an array nor an object.
  public var isScalar: Bool {
    switch self {
    case .array, .object: return false
    default: return true
    }
  }

  /// Shortest round-trip text of `x`; `null` when not finite; `-0` as `0`.
  public static func format(_ x: Double) -> String {
    guard x.isFinite else { return "null" }
    if x == 0 { return "0" }
    return x.description
  }

  private static func writeString(_ s: String, to out: inout String) {
    out += "\""
    for scalar in s.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      case let c where c.value < 0x20:
        let hex = String(c.value, radix: 16)
        out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
      default: out.unicodeScalars.append(scalar)
      }
    }
    out += "\""
  }
}

// MARK: - Byte form

extension JSON {
  /// Nesting deeper than this is refused by `init?(bytes:)`.
  static let byteFormDepth = 512

  /// A byte form that `init?(bytes:)` restores exactly: numbers as their
  /// bit patterns (NaN payloads and the sign of zero included), integers
  /// kept apart from numbers, members in order. For values sent between
  /// ranks, not for files.
  public var bytes: [UInt8] {
    var out = ByteWriter()
    write(to: &out)
    return out.bytes
  }

  private func write(to out: inout ByteWriter) {
    switch self {
    case .null: out.byte(0)
    case .bool(let value): out.byte(value ? 2 : 1)
    case .integer(let value):
      out.byte(3)
      out.bits(UInt64(bitPattern: Int64(value)))
    case .number(let value):
      out.byte(4)
      out.bits(value.bitPattern)
    case .string(let text):
      out.byte(5)
      out.string(Array(text.utf8))
    case .array(let elements):
      out.byte(6)
      out.word(elements.count)
      for element in elements { element.write(to: &out) }
    case .object(let members):
      out.byte(7)
      out.word(members.count)
      for (key, value) in members {
        out.string(Array(key.utf8))
        value.write(to: &out)
      }
    }
  }

  /// Decodes the form of `bytes`; nil when malformed (an unknown tag, a
  /// count beyond the bytes, text that is not UTF-8, nesting deeper than
  /// `byteFormDepth`, or bytes left over).
  public init?(bytes: [UInt8]) {
    var input = ByteReader(bytes[...])
    guard let value = Self.read(&input, depth: 0), input.isAtEnd else { return nil }
    self = value
  }

  private static func read(_ input: inout ByteReader, depth: Int) -> JSON? {
    guard depth < byteFormDepth, let tag = input.byte() else { return nil }
    switch tag {
    case 0: return .null
    case 1: return .bool(false)
    case 2: return .bool(true)
    case 3:
      guard let bits = input.bits(), let value = Int(exactly: Int64(bitPattern: bits)) else { return nil }
      return .integer(value)
    case 4: return input.bits().map { .number(Double(bitPattern: $0)) }
    case 5:
      guard let utf8 = input.string(), let text = String(validating: utf8, as: UTF8.self) else { return nil }
      return .string(text)
    case 6:
      // Every element takes at least its tag byte. (Nothing is reserved
      // for the count: reserves at every level of a deep nesting would add
      // up to far more than the bytes.)
      guard let count = input.word(), count <= input.remaining else { return nil }
      var elements: [JSON] = []
      for _ in 0..<count {
        guard let element = read(&input, depth: depth + 1) else { return nil }
        elements.append(element)
      }
      return .array(elements)
    case 7:
      // Every member takes at least its key's length word and a tag byte.
      guard let count = input.word(), count <= input.remaining / 9 else { return nil }
      var members: [(String, JSON)] = []
      for _ in 0..<count {
        guard let utf8 = input.string(), let key = String(validating: utf8, as: UTF8.self),
              let value = read(&input, depth: depth + 1)
        else { return nil }
        members.append((key, value))
      }
      return .object(members)
    default: return nil
    }
  }
}
