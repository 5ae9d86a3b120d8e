import PIDData
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
}
