import Numerics
import PIDMath
import Testing

@Suite("Synergy bounds")
struct BoundTests {
  @Test("Fixtures: S_R_simple, S_upper_paper and alpha match the canonical values")
  func fixtures() throws {
    for fixture in try Fixture.all() {
      let bounds = SynergyBounds(witness: fixture.joint, options: BoundOptions(sharpDimensionLimit: 4))
      let s = PartialInformationDecomposition(joint: fixture.joint).synergy!
      for (key, value) in [("S_R_simple", bounds.redundancySimple), ("S_upper_paper", bounds.upperPaper), ("alpha", bounds.alpha)] {
        let expected = try #require(fixture.expected[key])
        #expect(value.isApproximatelyEqual(to: expected, absoluteTolerance: 1e-6), "\(fixture.name) \(key): \(value) vs \(expected)")
      }
      #expect(bounds.lower <= s + 1e-7, "\(fixture.name): lower \(bounds.lower) > S \(s)")
      #expect(bounds.upper >= s - 1e-7, "\(fixture.name): upper \(bounds.upper) < S \(s)")
    }
  }

  /// Validity over seeded random tables. `count` tables per shape.
  func validity(shape: (Int, Int, Int), count: Int, sharp: Bool) {
    var violations: [String] = []
    for seed in 0..<count {
      let joint = randomJoint(shape.0, shape.1, shape.2, seed: UInt64(seed) &* 2_654_435_761 &+ UInt64(shape.0 * 100 + shape.1 * 10 + shape.2))
      let pid = PartialInformationDecomposition(joint: joint)
      let s = pid.synergy!
      let b = SynergyBounds(witness: joint, options: BoundOptions(sharpDimensionLimit: sharp ? 8 : 0, innerRestarts: 4))
      let slack = 1e-7 + pid.gap + b.pid.gap + b.renamedGaps.0 + b.renamedGaps.1
      func check(_ ok: Bool, _ what: String) { if !ok { violations.append("\(shape) seed \(seed): \(what)") } }
      check(b.lower <= s + slack, "S_lower \(b.lower) > S \(s)")
      check(s <= b.upper + slack, "S \(s) > S_upper \(b.upper)")
      check(b.upper <= b.upperPaper + 1e-12, "S_upper \(b.upper) > paper \(b.upperPaper)")
      check(b.redundancySharp >= b.redundancyRelaxed - 1e-7, "S_R_sharp \(b.redundancySharp) < relaxed \(b.redundancyRelaxed)")
      check(b.violations.isEmpty, "range: \(b.violations)")
      check(b.redundancyRelaxed >= b.redundancySimple - 1e-9, "relaxed < simple")
      check(b.disagreementBhattacharyya >= b.disagreementL2 - 1e-12, "S_U_bc < S_U_l2")
      if sharp, let upperSharp = b.upperSharp { check(s <= upperSharp + slack, "S > S_upper_sharp") }
    }
    #expect(violations.isEmpty, "\(violations.prefix(5))")
  }

  @Test("Validity on 2x2x2 (800 tables, with the sharp upper bound)")
  func valid222() { validity(shape: (2, 2, 2), count: 800, sharp: true) }

  @Test("Validity on 3x3x2 (600 tables, with the sharp upper bound)")
  func valid332() { validity(shape: (3, 3, 2), count: 600, sharp: true) }

  @Test("Validity on 3x3x3 (400 tables)")
  func valid333() { validity(shape: (3, 3, 3), count: 400, sharp: false) }

  @Test("Validity on 4x4x3 (300 tables)")
  func valid443() { validity(shape: (4, 4, 3), count: 300, sharp: false) }

  @Test("On 2x2x2 the sharp upper bound is the exact maximum over the one-dimensional polytope")
  func sharpOnSegment() {
    for seed in 0..<50 {
      let joint = randomJoint(2, 2, 2, seed: UInt64(seed) &+ 31_337)
      let m = joint.pairwise
      let b = SynergyBounds(witness: joint)
      #expect(b.polytopeDimension == 1)
      // Δ3 is the segment r = p + t·e, e = (+1,-1,-1,+1,-1,+1,+1,-1) in
      // [x1][x2][y] order; scan t finely and take the largest I_r.
      let e: [Double] = [1, -1, -1, 1, -1, 1, 1, -1]
      var tLow = -Double.infinity, tHigh = Double.infinity
      for i in 0..<8 {
        if e[i] > 0 { tLow = max(tLow, -joint.masses[i]) } else { tHigh = min(tHigh, joint.masses[i]) }
      }
      let hXX = entropy(m.x1x2.elements), hY = entropy(m.x1y.columnSums)
      // H_r is concave in t: its minimum is at an end of the segment.
      let ends = [tLow, tHigh].map { t in entropy((0..<8).map { max(0, joint.masses[$0] + t * e[$0]) }) }
      let exact = hXX + hY - ends.min()! - b.pid.solution.lowerBound
      let sharp = try! #require(b.upperSharp)
      #expect(sharp.isApproximatelyEqual(to: exact, absoluteTolerance: 1e-8), "seed \(seed): \(sharp) vs \(exact)")
    }
  }
}
