import LinearProgramming
import Numerics
@testable import PIDMath
import Testing

/// The rigorous steps of the sharp bound's nodes checked on members of Δ3:
/// box tightening never loses one, and the grouped Lagrangian bound never
/// exceeds `H` at one.
@Suite("Sharp bound: box tightening and grouped bound")
struct SharpBoundTighteningTests {
  /// The test's members are computed in floating point: they meet the
  /// marginals, and so the box ends, to rounding only.
  static let slack = 1e-15
  static let shapes = [(3, 3, 3), (3, 3, 4), (4, 3, 3), (2, 2, 5), (4, 4, 3)]

  static func search(_ n1: Int, _ n2: Int, _ k: Int, seed: UInt64) throws -> SharpBoundSearch {
    var g = PIDMath.SplitMix64(seed: seed)
    let joint = JointDistribution.dirichlet(n1: n1, n2: n2, k: k, generator: &g)
    let polytope = MarginalPolytope(n1: n1, n2: n2, k: k, base: joint.masses)
    return try SharpBoundSearch(polytope: polytope, solver: ClpSolver())
  }

  /// Members of Δ3 as LP variables (free cells): points on random rays
  /// from the base inside the polytope, and the vertices reached from them.
  static func members(_ search: SharpBoundSearch, count: Int, seed: UInt64) -> [[Double]] {
    let polytope = search.polytope
    var g = PIDMath.SplitMix64(seed: seed)
    var points: [[Double]] = []
    while points.count < count {
      let u = (0..<polytope.dimension).map { _ in g.unit() - 0.5 }
      let ray = polytope.point(u).enumerated().map { $0.element - polytope.base[$0.offset] }
      var longest = Double.infinity
      for i in polytope.free where ray[i] < -1e-15 { longest = min(longest, polytope.base[i] / -ray[i]) }
      guard longest.isFinite else { continue }
      let t = longest * g.unit()
      let r = zip(polytope.base, ray).map { max(0, $0 + t * $1) }
      points.append(search.variables.map { r[$0] })
      if let vertex = polytope.vertex(near: r) { points.append(search.variables.map { vertex.joint[$0] }) }
    }
    return points
  }

  /// A random box inside the root box that holds `x`.
  static func box(around x: [Double], _ search: SharpBoundSearch, generator g: inout PIDMath.SplitMix64) -> ([Double], [Double]) {
    var lower = search.rootLower, upper = search.rootUpper
    for j in x.indices {
      lower[j] = x[j] - g.unit() * (x[j] - lower[j])
      upper[j] = x[j] + g.unit() * (upper[j] - x[j])
    }
    return (lower, upper)
  }

  @Test("the root box and propagated boxes keep every member of Δ3 they held", arguments: shapes)
  func propagationKeepsMembers(shape: (Int, Int, Int)) throws {
    let search = try Self.search(shape.0, shape.1, shape.2, seed: 11)
    var g = PIDMath.SplitMix64(seed: 12)
    for x in Self.members(search, count: 60, seed: 13) {
      for j in x.indices {
        #expect(x[j] >= search.rootLower[j] - Self.slack && x[j] <= search.rootUpper[j] + Self.slack, "\(shape): root box loses a member at \(j)")
      }
      var (lower, upper) = Self.box(around: x, search, generator: &g)
      let before = (lower, upper)
      #expect(search.propagate(lower: &lower, upper: &upper) == .feasible, "\(shape): a box holding a member proven empty")
      for j in x.indices {
        #expect(x[j] >= lower[j] - Self.slack && x[j] <= upper[j] + Self.slack, "\(shape): propagation cut off a member at \(j)")
        #expect(lower[j] >= before.0[j] && upper[j] <= before.1[j])
      }
    }
  }

  @Test("propagation proves empty a box whose row cannot reach its marginal")
  func propagationProvesEmpty() throws {
    let search = try Self.search(3, 3, 3, seed: 5)
    var lower = search.rootLower, upper = search.rootUpper
    // Every variable of row 0 below a third of its share: Σ u < b.
    let row = search.rowMembers[0], b = search.constraints.rightHandSide[0]
    for j in row { upper[j] = min(upper[j], b / Double(row.count) / 3); lower[j] = min(lower[j], upper[j]) }
    #expect(search.propagate(lower: &lower, upper: &upper) == .empty)
  }

  @Test("the grouped bound lies between the all-rows bound and H at every member of the box", arguments: shapes)
  func groupedBoundIsValid(shape: (Int, Int, Int)) throws {
    let search = try Self.search(shape.0, shape.1, shape.2, seed: 21)
    #expect(!search.groupFamilies.isEmpty)
    var g = PIDMath.SplitMix64(seed: 22)
    for x in Self.members(search, count: 40, seed: 23) {
      var (lower, upper) = Self.box(around: x, search, generator: &g)
      _ = search.propagate(lower: &lower, upper: &upper)
      let h = x.reduce(0) { $0 + SharpBoundSearch.f($1) }
      // Multipliers of any size: the bounds hold for every y.
      let y = (0..<search.constraints.rows).map { _ in 4 * (g.unit() - 0.5) }
      let relaxed = search.lagrangianBound(y, lower: lower, upper: upper)
      #expect(relaxed <= h)
      for family in search.groupFamilies {
        let groups = try #require(search.groupVertices(family: family, lower: lower, upper: upper))
        var kept = y
        for row in kept.indices where search.rowFamily[row] == family { kept[row] = 0 }
        let grouped = search.groupedBound(y, family: family, groups: groups).bound
        #expect(grouped <= h, "\(shape) family \(family): \(grouped) above H = \(h)")
        #expect(grouped >= search.lagrangianBound(kept, lower: lower, upper: upper) - 1e-12,
                "\(shape) family \(family): weaker than relaxing every row")
      }
      let improved = search.improvedGroupedBound(y, lower: lower, upper: upper, target: h + 1, steps: 20)
      #expect(improved <= h, "\(shape): subgradient steps gave \(improved) above H = \(h)")
    }
  }
}
