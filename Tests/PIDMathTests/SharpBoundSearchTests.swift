import LinearProgramming
import Numerics
import PIDMath
import Testing

/// The branch-and-bound sharp bound (SharpBoundSearch) against vertex
/// enumeration, the true synergy and its own budgets.
@Suite("Sharp bound by branch and bound")
struct SharpBoundSearchTests {
  /// Options with the Clp engine and vertex enumeration turned off, so the
  /// branch and bound runs at every dimension.
  static func searchOptions(nodes: Int, seconds: Double? = nil) -> BoundOptions {
    var options = BoundOptions(sharpDimensionLimit: 0)
    options.linearPrograms = { Result { try ClpSolver() as any LinearProgramSolver }.mapError { LinearProgramEngineUnavailable("\($0)") } }
    options.sharpBudget = SharpSearchBudget(nodes: nodes, seconds: seconds)
    return options
  }

  static func random(_ n1: Int, _ n2: Int, _ k: Int, seed: UInt64) -> JointDistribution {
    var g = PIDMath.SplitMix64(seed: seed)
    return JointDistribution.dirichlet(n1: n1, n2: n2, k: k, generator: &g)
  }

  /// Tables where enumeration is exact today: the canonical fixtures of
  /// dimension 1 to 8 within the enumeration limit, and random ones of
  /// dimension 4.
  static func enumerableTables() throws -> [(String, JointDistribution)] {
    var tables = try Fixture.all().map { ($0.name, $0.joint) }
    for (shape, seed) in [((3, 3, 2), 1 as UInt64), ((2, 3, 3), 2), ((2, 2, 5), 3), ((3, 2, 3), 4)] {
      tables.append(("random \(shape) seed \(seed)", Self.random(shape.0, shape.1, shape.2, seed: seed)))
    }
    return tables
  }

  @Test("closes on the value of vertex enumeration to 1e-6 bits, never below it")
  func matchesEnumeration() throws {
    var compared = 0
    for (name, joint) in try Self.enumerableTables() {
      let exact = SynergyBounds(witness: joint)
      guard let enumerated = exact.upperSharp, exact.sharpMethod == "vertex enumeration", exact.polytopeDimension > 0 else { continue }
      let searched = SynergyBounds(witness: joint, options: Self.searchOptions(nodes: 20000))
      let outcome = try #require(searched.sharpSearch, "\(name): no search")
      #expect(outcome.stop == .closed, "\(name): \(outcome.stop) after \(outcome.nodes) nodes, gap \(outcome.gap)")
      let sharp = try #require(searched.upperSharp)
      #expect(sharp.isApproximatelyEqual(to: enumerated, absoluteTolerance: 1e-6), "\(name): \(sharp) vs \(enumerated)")
      // Enumeration adds 1e-9 for its own rounding.
      #expect(sharp >= enumerated - 2e-9, "\(name): certified \(sharp) below the exact \(enumerated)")
      #expect(searched.upperInner! <= sharp + 1e-12)
      #expect(searched.violations.isEmpty, "\(name): \(searched.violations)")
      compared += 1
    }
    #expect(compared >= 8)
  }

  @Test("a budget too small to close still gives a bound at or above the exact sharp bound")
  func unclosedIsValid() throws {
    for seed: UInt64 in 1...4 {
      let joint = Self.random(3, 3, 2, seed: seed)
      let enumerated = try #require(SynergyBounds(witness: joint).upperSharp)
      for nodes in [1, 3, 10] {
        let b = SynergyBounds(witness: joint, options: Self.searchOptions(nodes: nodes))
        let outcome = try #require(b.sharpSearch)
        #expect(outcome.nodes <= nodes)
        #expect(try #require(b.upperSharp) >= enumerated - 2e-9, "seed \(seed), \(nodes) nodes")
        #expect(try #require(b.upperInner) <= enumerated + 1e-9, "seed \(seed), \(nodes) nodes: inner above the exact sharp bound")
      }
    }
  }

  @Test("beyond enumeration: the true S <= inner <= certified bound <= the majorization bound, and the inner joint is a member of Δ3",
        arguments: [(3, 3, 3), (4, 4, 3), (3, 3, 4)])
  func bracketsTrueSynergy(shape: (Int, Int, Int)) throws {
    for seed: UInt64 in 1...2 {
      let joint = Self.random(shape.0, shape.1, shape.2, seed: seed)
      let trueS = try #require(PartialInformationDecomposition(joint: joint).synergy)
      let b = SynergyBounds(witness: joint, options: Self.searchOptions(nodes: 150))
      let sharp = try #require(b.upperSharp), inner = try #require(b.upperInner)
      #expect(b.upperInnerIsAchieved)
      // The search starts from the witness (here the true joint).
      #expect(inner >= trueS - 1e-9, "\(shape) seed \(seed): inner \(inner) below true S \(trueS)")
      #expect(inner <= sharp)
      #expect(sharp <= b.upperMeet + 1e-9, "\(shape) seed \(seed): the root bound is weaker than the meets?")
      #expect(b.violations.isEmpty, "\(b.violations)")
      let outcome = try #require(b.sharpSearch)
      #expect(outcome.nodes == 150 && outcome.stop == .nodeBudget)
      let r = outcome.innerJoint
      #expect(r.allSatisfy { $0 >= 0 })
      let candidate = try JointDistribution(n1: joint.n1, n2: joint.n2, k: joint.k, masses: r)
      for (x, y) in zip(candidate.pairwise.x1x2.elements + candidate.pairwise.x1y.elements + candidate.pairwise.x2y.elements,
                        joint.pairwise.x1x2.elements + joint.pairwise.x1y.elements + joint.pairwise.x2y.elements) {
        #expect(abs(x - y) <= 1e-12)
      }
      #expect(entropy(r).isApproximatelyEqual(to: outcome.innerEntropy, absoluteTolerance: 1e-12))
    }
  }

  @Test("a time budget stops the search and says so; the bound stays valid")
  func timeBudget() throws {
    let joint = Self.random(4, 4, 3, seed: 9)
    let trueS = try #require(PartialInformationDecomposition(joint: joint).synergy)
    let start = ContinuousClock.now
    let b = SynergyBounds(witness: joint, options: Self.searchOptions(nodes: 1_000_000_000, seconds: 0.5))
    let elapsed = ContinuousClock.now - start
    let outcome = try #require(b.sharpSearch)
    #expect(outcome.stop == .timeBudget)
    #expect(outcome.nodes > 0)
    #expect(elapsed < .seconds(30))
    #expect(try #require(b.upperSharp) >= trueS)
  }

  @Test("the same node budget gives the same numbers twice")
  func repeatable() throws {
    let joint = Self.random(4, 4, 3, seed: 5)
    let a = SynergyBounds(witness: joint, options: Self.searchOptions(nodes: 64))
    let b = SynergyBounds(witness: joint, options: Self.searchOptions(nodes: 64))
    #expect(a.upperSharp == b.upperSharp)
    #expect(a.upperInner == b.upperInner)
  }

  @Test("without an engine the bounds fall back to enumeration or the descent estimate, with a note")
  func missingEngine() throws {
    var options = BoundOptions()
    options.linearPrograms = { .failure(LinearProgramEngineUnavailable("no engine here")) }
    let b = SynergyBounds(witness: Self.random(4, 4, 3, seed: 2), options: options)
    #expect(b.upperSharp == nil)
    #expect(b.upperInner != nil && !b.upperInnerIsAchieved)
    #expect(b.notes.count == 1 && b.notes[0].hasPrefix("no engine here"))
  }
}
