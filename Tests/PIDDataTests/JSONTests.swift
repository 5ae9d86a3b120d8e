import PIDData
import PIDMath
import Testing

@Suite("JSON reading and writing")
struct JSONTests {
  @Test("Round trip keeps key order, integers and shortest doubles")
  func roundTrip() throws {
    let value = JSON.object([
      ("b", .integer(2)), ("a", .number(0.1)), ("s", .string("x\"y\n")),
      ("list", .array([.number(1e-300), .bool(true), .null])),
    ])
    let text = value.rendered()
    #expect(text.contains("\"b\": 2,\n  \"a\": 0.1"))
    #expect(try JSON.parse(Array(text.utf8)) == value)
    #expect(JSON.number(.nan).rendered() == "null\n")
  }

  @Test("Syntax errors carry the line number")
  func lineNumbers() {
    do {
      _ = try JSON.parse(Array("{\n\"p\": [1,\n 2,,]\n}".utf8))
      Issue.record("expected an error")
    } catch {
      #expect(error.line == 3)
    }
  }

  @Test("NaN and Infinity are named as non-finite", arguments: ["[NaN]", "[Infinity]", "[-Infinity]"])
  func nonFinite(text: String) {
    #expect(throws: JSONSyntaxError.self) { try JSON.parse(Array(text.utf8)) }
    do { _ = try JSON.parse(Array(text.utf8)) } catch { #expect(error.message.contains("non-finite")) }
  }

  @Test("Pairwise table files: shapes and shared marginals are checked")
  func pairwise() throws {
    let good = #"{"p_x1y": [[1, 1], [2, 0]], "p_x2y": [[2, 0], [1, 1]], "p_x1x2": [[1, 1], [1, 1]]}"#
    let tables = try TableFiles.pairwise(from: Array(good.utf8), path: "good.json", tolerance: 1e-9)
    #expect(tables.k == 2 && tables.n1 == 2)
    let bad = #"{"p_x1y": [[1, 1], [2, 0]], "p_x2y": [[1, 1], [1, 1]], "p_x1x2": [[1, 1], [1, 1]]}"#
    #expect(throws: DataError.self) { try TableFiles.pairwise(from: Array(bad.utf8), path: "bad.json", tolerance: 1e-9) }
  }

  /// Whether two values are the same to the bit (numbers by bit pattern,
  /// so NaN payloads and the sign of zero count).
  func sameBits(_ a: JSON, _ b: JSON) -> Bool {
    switch (a, b) {
    case (.number(let x), .number(let y)): return x.bitPattern == y.bitPattern
    case (.array(let x), .array(let y)): return x.count == y.count && zip(x, y).allSatisfy { sameBits($0, $1) }
    case (.string(let x), .string(let y)): return Array(x.utf8) == Array(y.utf8)
    case (.object(let x), .object(let y)):
      return x.count == y.count && zip(x, y).allSatisfy { Array($0.0.utf8) == Array($1.0.utf8) && sameBits($0.1, $1.1) }
    default: return a == b
    }
  }

  /// A generated value: every kind, numbers from raw bit patterns and
  /// special values, strings beyond ASCII, nesting up to `depth`.
  func generated(_ g: inout SplitMix64, depth: Int) -> JSON {
    let specials: [Double] = [0, -0.0, .nan, -.nan, .infinity, -.infinity, .leastNonzeroMagnitude, .greatestFiniteMagnitude, 0.1]
    switch g.next() % (depth > 0 ? 8 : 6) {
    case 0: return .null
    case 1: return .bool(g.next() % 2 == 0)
    case 2: return .integer([Int.min, Int.max, -1, 0, Int(truncatingIfNeeded: g.next())][Int(g.next() % 5)])
    case 3: return .number(g.next() % 3 == 0 ? specials[Int(g.next() % UInt64(specials.count))] : Double(bitPattern: g.next()))
    case 4, 5: return .string(["", "x1", "Größe \u{1F600}", "a\"b\n", String(repeating: "z", count: Int(g.next() % 300))][Int(g.next() % 5)])
    case 6: return .array((0..<Int(g.next() % 5)).map { _ in generated(&g, depth: depth - 1) })
    default: return .object((0..<Int(g.next() % 5)).map { i in ("k\(i)\u{E9}", generated(&g, depth: depth - 1)) })
    }
  }

  @Test("The byte form restores every value to the bit")
  func byteFormRoundTrip() throws {
    var g = SplitMix64(seed: 21)
    for _ in 0..<2_000 {
      let value = generated(&g, depth: 4)
      let restored = try #require(JSON(bytes: value.bytes))
      #expect(sameBits(restored, value), "\(value)")
    }
  }

  @Test("A damaged byte form is refused, never trapped on")
  func damagedByteForm() throws {
    var g = SplitMix64(seed: 22)
    var refused = 0, decoded = 0
    for _ in 0..<500 {
      let bytes = generated(&g, depth: 3).bytes
      // Every proper prefix is refused, and so is a byte more.
      for length in 0..<bytes.count { #expect(JSON(bytes: Array(bytes[..<length])) == nil) }
      #expect(JSON(bytes: bytes + [0]) == nil)
      // A changed byte: refused or some value, never a crash.
      var damaged = bytes
      damaged[Int(g.next() % UInt64(damaged.count))] ^= UInt8(truncatingIfNeeded: g.next() | 1)
      if JSON(bytes: damaged) == nil { refused += 1 } else { decoded += 1 }
    }
    #expect(refused > 0 && refused + decoded == 500)
    // Counts no bytes can hold are refused before anything is reserved.
    let huge = withUnsafeBytes(of: UInt64(1 << 47).littleEndian) { Array($0) }
    #expect(JSON(bytes: [6] + huge) == nil)
    #expect(JSON(bytes: [7] + huge) == nil)
    #expect(JSON(bytes: [5] + huge) == nil)
    // An unknown tag, and text that is not UTF-8.
    #expect(JSON(bytes: [8]) == nil)
    #expect(JSON(bytes: [5, 1, 0, 0, 0, 0, 0, 0, 0, 0xFF]) == nil)
    // Nesting: 512 levels are refused, 511 are not.
    let one = withUnsafeBytes(of: UInt64(1).littleEndian) { Array($0) }
    func nested(_ levels: Int) -> [UInt8] { Array(repeating: [6] + one, count: levels).flatMap { $0 } + [0] }
    #expect(JSON(bytes: nested(511)) != nil)
    #expect(JSON(bytes: nested(512)) == nil)
  }
}
