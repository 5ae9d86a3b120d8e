import Numerics
import PIDData
import PIDMath
import Testing

/// The canonical fixtures of Tests/Fixtures/canonical.json (a copy of the
/// project's canonical tables with known PID values).
struct Fixture {
  var name: String
  var joint: JointDistribution
  var expected: [String: Double]

  static func all() throws -> [Fixture] {
    let root = try JSON.parse(try readFile(fixturePath))
    guard case .array(let cases)? = root["cases"] else { throw DataError.malformed(path: fixturePath, line: nil, message: "no cases") }
    return try cases.map { item in
      guard case .string(let name)? = item["name"], let p = item["p"], case .object(let members)? = item["expected"] else {
        throw DataError.malformed(path: fixturePath, line: nil, message: "bad case")
      }
      let nested = try TableFilesAccess.numbers3(p)
      var expected: [String: Double] = [:]
      for (key, value) in members { expected[key] = value.doubleValue }
      return Fixture(name: name, joint: try JointDistribution(nested), expected: expected)
    }
  }
}

/// Where the canonical fixtures live: `PIDBOUNDS_FIXTURES`, else
/// `Tests/Fixtures/canonical.json` inside the package.
let fixturePath: String = {
  if let path = environment("PIDBOUNDS_FIXTURES") { return path }
  let here = #filePath  // .../Tests/PIDMathTests/FixtureTests.swift
  var parts = here.split(separator: "/", omittingEmptySubsequences: false)
  parts.removeLast(3)
  let package = parts.joined(separator: "/")
  return package + "/Tests/Fixtures/canonical.json"
}()

@Suite("Canonical fixtures")
struct FixtureTests {
  @Test("PID terms and mutual informations match to 1e-6 bits with gap <= 1e-9")
  func fixtures() throws {
    let fixtures = try Fixture.all()
    #expect(fixtures.count == 18)
    for fixture in fixtures {
      let pid = PartialInformationDecomposition(joint: fixture.joint)
      let got: [String: Double] = [
        "R": pid.redundancy, "U1": pid.uniqueness1, "U2": pid.uniqueness2, "S": pid.synergy!,
        "I_x1x2y": pid.informationX1X2Y!, "I_x1y": pid.informationX1Y, "I_x2y": pid.informationX2Y,
        "I_x1x2": mutualInformation(fixture.joint.x1x2),
      ]
      for (key, value) in got {
        let expected = try #require(fixture.expected[key], "\(fixture.name) lacks \(key)")
        #expect(value.isApproximatelyEqual(to: expected, absoluteTolerance: 1e-6),
                "\(fixture.name) \(key): got \(value), expected \(expected)")
      }
      #expect(pid.gap <= 1e-9, "\(fixture.name): gap \(pid.gap)")
      #expect(pid.solution.marginalResidual <= 1e-12, "\(fixture.name): residual \(pid.solution.marginalResidual)")
    }
  }
}
