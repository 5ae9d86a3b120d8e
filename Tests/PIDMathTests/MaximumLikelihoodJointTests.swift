import Numerics
import PIDData
import Testing

@testable import PIDMath

/// The maximum-likelihood joint of MATH.md section 7, against the
/// independent reference of `scripts/fit-reference.py` (plain EM in numpy,
/// itself checked against a quasi-Newton fit) on Tests/Fixtures/fit.
@Suite("Maximum-likelihood joint")
struct MaximumLikelihoodJointTests {
  static let directory: String = {
    var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)
    return parts.joined(separator: "/") + "/Tests/Fixtures/fit"
  }()

  static func tables(_ json: JSON) throws -> (Matrix, Matrix, Matrix) {
    func matrix(_ key: String) throws -> Matrix {
      guard case .array(let rows)? = json[key] else { throw DataError.malformed(path: key, line: nil, message: "missing") }
      return Matrix(try rows.map { row in
        guard case .array(let cells) = row else { throw DataError.malformed(path: key, line: nil, message: "row") }
        return cells.map { $0.doubleValue ?? .nan }
      })
    }
    return (try matrix("p_x1y"), try matrix("p_x2y"), try matrix("p_x1x2"))
  }

  @Test("Matches the reference fit: log-likelihood, G², fitted marginals, total variations", arguments: ["a", "b", "c", "d"])
  func reference(_ name: String) throws {
    let input = try Self.tables(try JSON.parse(try readFile("\(Self.directory)/case-\(name).json")))
    for (suffix, weights) in [("ref", FitWeights.counts), ("ref-equal-weight", .equalPerTable)] {
      let expected = try JSON.parse(try readFile("\(Self.directory)/case-\(name).\(suffix).json"))
      let fit = try MaximumLikelihoodJoint(x1y: input.0, x2y: input.1, x1x2: input.2, weights: weights)
      #expect(fit.converged)
      let l = try #require(expected["log_likelihood"]?.doubleValue)
      #expect(fit.logLikelihood.isApproximatelyEqual(to: l, relativeTolerance: 1e-8), "\(name) \(suffix): ℓ \(fit.logLikelihood) vs \(l)")
      // The certificate bounds the distance to the optimum: the reference
      // (itself within 1e-10 N of it) is not above ℓ + certificate.
      #expect(l <= fit.logLikelihood + fit.certificate + 1e-9 * fit.total)
      let g2 = try #require(expected["G2"]?.doubleValue)
      #expect(fit.deviance.isApproximatelyEqual(to: g2, absoluteTolerance: 1e-6), "\(name) \(suffix): G² \(fit.deviance) vs \(g2)")
      let reference = try Self.tables(expected)
      for (got, want) in [(fit.marginals.x1y, reference.0), (fit.marginals.x2y, reference.1), (fit.marginals.x1x2, reference.2)] {
        for (a, b) in zip(got.elements, want.elements) {
          #expect(a.isApproximatelyEqual(to: b, absoluteTolerance: 1e-6), "\(name) \(suffix): marginal \(a) vs \(b)")
        }
      }
      let tv = try #require(expected["total_variation"])
      #expect(fit.shifts.x1y.isApproximatelyEqual(to: tv["p_x1y"]!.doubleValue!, absoluteTolerance: 1e-6))
      #expect(fit.shifts.x2y.isApproximatelyEqual(to: tv["p_x2y"]!.doubleValue!, absoluteTolerance: 1e-6))
      #expect(fit.shifts.x1x2.isApproximatelyEqual(to: tv["p_x1x2"]!.doubleValue!, absoluteTolerance: 1e-6))
    }
  }

  @Test("The fitted marginals are exactly those of the fitted joint, which is a probability table")
  func witness() throws {
    let input = try Self.tables(try JSON.parse(try readFile("\(Self.directory)/case-c.json")))
    let fit = try MaximumLikelihoodJoint(x1y: input.0, x2y: input.1, x1x2: input.2)
    #expect(fit.joint.allSatisfy { $0 >= 0 })
    #expect(fit.joint.reduce(0, +).isApproximatelyEqual(to: 1, absoluteTolerance: 1e-14))
    let sums = pairwiseSums(fit.joint, n1: fit.n1, n2: fit.n2, k: fit.k)
    #expect(sums.x1y == fit.marginals.x1y.elements)
    #expect(sums.x2y == fit.marginals.x2y.elements)
    #expect(sums.x1x2 == fit.marginals.x1x2.elements)
  }

  @Test("Realizable tables are reproduced, zeros of the AND table included (sublinear EM polished)")
  func realizable() throws {
    for joint in [try JointDistribution([[[0.25, 0], [0.25, 0]], [[0.25, 0], [0, 0.25]]]), randomJoint(3, 4, 2, seed: 7)] {
      let m = joint.pairwise
      let fit = try MaximumLikelihoodJoint(x1y: m.x1y, x2y: m.x2y, x1x2: m.x1x2, weights: .equalPerTable)
      #expect(fit.shifts.x1y < 1e-9 && fit.shifts.x2y < 1e-9 && fit.shifts.x1x2 < 1e-9, "\(fit.shifts)")
      #expect(fit.deviance < 1e-9)
    }
  }

  @Test("A warm start reaches the same marginals")
  func warmStart() throws {
    let input = try Self.tables(try JSON.parse(try readFile("\(Self.directory)/case-b.json")))
    let cold = try MaximumLikelihoodJoint(x1y: input.0, x2y: input.1, x1x2: input.2)
    var perturbed = input.0
    perturbed[0, 0] += 3
    let other = try MaximumLikelihoodJoint(x1y: perturbed, x2y: input.1, x1x2: input.2)
    let warm = try MaximumLikelihoodJoint(x1y: input.0, x2y: input.1, x1x2: input.2, start: other.joint)
    for (a, b) in zip(cold.marginals.x1x2.elements + cold.marginals.x1y.elements, warm.marginals.x1x2.elements + warm.marginals.x1y.elements) {
      #expect(a.isApproximatelyEqual(to: b, absoluteTolerance: 1e-7))
    }
  }

  /// The p-value of the contract of `deviancePValue`, written out here:
  /// draw `rows` cells per table by inverting its cumulative sums (the
  /// first cell whose running sum reaches `u × total`), with `u` from one
  /// SplitMix64 stream seeded `seed ^ 0x625EED`, tables x1y, x2y, x1x2 in
  /// turn; refit from the fit's joint (1e-9, 1,000 evaluations); count the
  /// draws whose `G²` reaches the fit's (an unfittable draw counts as not).
  func referencePValue(_ fit: MaximumLikelihoodJoint, draws: Int, seed: UInt64) -> Double {
    let outcomes = referenceDraws(fit, draws: draws, seed: seed)
    return Double(1 + outcomes.filter { $0 }.count) / Double(draws + 1)
  }

  /// Whether each draw's G² reaches the fit's, from one stream in order.
  func referenceDraws(_ fit: MaximumLikelihoodJoint, draws: Int, seed: UInt64) -> [Bool] {
    var generator = PIDMath.SplitMix64(seed: seed ^ 0x6_2_5EED)
    func counts(_ p: [Double], _ rows: Double) -> [Double] {
      var running: [Double] = []
      var total = 0.0
      for x in p {
        total += x
        running.append(total)
      }
      var drawn = [Double](repeating: 0, count: p.count)
      for _ in 0..<Int(rows.rounded()) {
        let u = generator.unit() * total
        drawn[running.firstIndex { $0 >= u } ?? p.count - 1] += 1
      }
      return drawn
    }
    var outcomes: [Bool] = []
    for _ in 0..<draws {
      let a = counts(fit.marginals.x1y.elements, fit.tableTotals.x1y)
      let b = counts(fit.marginals.x2y.elements, fit.tableTotals.x2y)
      let c = counts(fit.marginals.x1x2.elements, fit.tableTotals.x1x2)
      if let refit = try? MaximumLikelihoodJoint(
        x1y: Matrix(rows: fit.n1, columns: fit.k, elements: a), x2y: Matrix(rows: fit.n2, columns: fit.k, elements: b),
        x1x2: Matrix(rows: fit.n1, columns: fit.n2, elements: c), weights: .counts, start: fit.joint,
        tolerance: 1e-9, maximumIterations: 1_000), refit.deviance >= fit.deviance - 1e-9
      {
        outcomes.append(true)
      } else {
        outcomes.append(false)
      }
    }
    return outcomes
  }

  @Test("Draws through the guide table find the cell bisection finds, for every u (zero cells, masses of every scale, ties)")
  func guideTableSearch() {
    var g = SplitMix64(state: 99)
    for trial in 0..<400 {
      let n = 1 + Int(g.next() % 300)
      let masses: [Double] = (0..<n).map { i in
        switch g.next() % 6 {
        case 0: return 0
        case 1: return Double(g.next() % 5)
        case 2: return g.unit() * 1e-12
        case 3: return g.unit() * 1e9
        default: return trial % 7 == 0 && i > 0 ? 1 : g.unit()
        }
      }
      let cells = CumulativeMasses(masses)
      var probes = cells.sums + [0, cells.total, cells.total.nextDown, cells.total.nextUp]
      probes += cells.sums.flatMap { [$0.nextDown, $0.nextUp] }
      probes += (0..<2_000).map { _ in g.unit() * cells.total }
      for u in probes where u >= 0 {
        #expect(cells.firstReaching(u) == CumulativeMasses.binarySearch(cells.sums, u), "trial \(trial), u = \(u)")
      }
    }
  }

  @Test("The G² p-value draw by draw: the value of deviancePValue, only once every draw is made; it tells consistent samples from inconsistent ones")
  func devianceTestDrawByDraw() throws {
    let input = try Self.tables(try JSON.parse(try readFile("\(Self.directory)/case-b.json")))
    let fit = try MaximumLikelihoodJoint(x1y: input.0, x2y: input.1, x1x2: input.2)
    var test = try #require(MaximumLikelihoodJoint.DevianceTest(fit, draws: 9, seed: 5))
    var made = 0
    while test.pValue == nil {
      #expect(made < 9)
      test.drawNext()
      made += 1
    }
    #expect(made == 9 && test.done == 9 && !test.drawNext() && test.done == 9)
    #expect(test.pValue == fit.deviancePValue(draws: 9, seed: 5))
    #expect(test.pValue == referencePValue(fit, draws: 9, seed: 5))
    // Draws made apart (as ranks make them: draw d on rank d mod 3), each
    // jumping to its place in the stream: the draws of one stream, and
    // their p-value once recorded.
    let reference = referenceDraws(fit, draws: 40, seed: 5)
    #expect(reference.contains(true) && reference.contains(false))
    let apart = try #require(MaximumLikelihoodJoint.DevianceTest(fit, draws: 40, seed: 5))
    #expect((0..<40).map { apart.exceeds(draw: $0) } == reference)
    var shared = apart
    for rank in 0..<3 {
      let mine = stride(from: rank, to: 40, by: 3)
      shared.record(count: Array(mine).count, exceeding: mine.filter { apart.exceeds(draw: $0) }.count)
    }
    #expect(shared.pValue == referencePValue(fit, draws: 40, seed: 5))
    // Only counts have a sampling distribution; no draws, no test.
    let weighted = try MaximumLikelihoodJoint(x1y: input.0, x2y: input.1, x1x2: input.2, weights: .equalPerTable)
    #expect(MaximumLikelihoodJoint.DevianceTest(weighted, draws: 9, seed: 5) == nil)
    #expect(MaximumLikelihoodJoint.DevianceTest(fit, draws: 0, seed: 5) == nil)
    // Y = X1 and Y = X2 but X1 = 1 - X2: no joint has these tables, and no
    // draw from the fit comes near its G² (the smallest p-value, 1/10).
    let inconsistent = try MaximumLikelihoodJoint(
      x1y: Matrix([[500, 0], [0, 500]]), x2y: Matrix([[500, 0], [0, 500]]), x1x2: Matrix([[0, 500], [500, 0]]))
    #expect(inconsistent.deviancePValue(draws: 9, seed: 5) == 0.1)
    // The counts of one table of 1,000 rows (cells (x1, x2, y): 150, 150,
    // 50, 150, 100, 100, 100, 200): G² = 0, which every draw reaches.
    let consistent = try MaximumLikelihoodJoint(
      x1y: Matrix([[200, 300], [200, 300]]), x2y: Matrix([[250, 250], [150, 350]]), x1x2: Matrix([[300, 200], [200, 300]]))
    #expect(consistent.deviance < 1e-6)
    #expect(consistent.deviancePValue(draws: 9, seed: 5) == 1)
  }

  @Test("Bad tables are refused: negative, non-finite, empty, shapes")
  func refusals() {
    #expect(throws: TableError.self) { try MaximumLikelihoodJoint(x1y: Matrix([[1, -1]]), x2y: Matrix([[1, 1]]), x1x2: Matrix([[1]])) }
    #expect(throws: TableError.self) { try MaximumLikelihoodJoint(x1y: Matrix([[1, .nan]]), x2y: Matrix([[1, 1]]), x1x2: Matrix([[1]])) }
    #expect(throws: TableError.self) { try MaximumLikelihoodJoint(x1y: Matrix([[0, 0]]), x2y: Matrix([[1, 1]]), x1x2: Matrix([[1]])) }
    #expect(throws: TableError.self) { try MaximumLikelihoodJoint(x1y: Matrix([[1, 1, 1]]), x2y: Matrix([[1, 1]]), x1x2: Matrix([[1]])) }
  }

  @Test("Chi-square survival: closed forms and table values")
  func chiSquare() {
    // df = 2: exp(-x/2).
    #expect(chiSquareSurvival(2, degreesOfFreedom: 2).isApproximatelyEqual(to: Double.exp(-1), relativeTolerance: 1e-12))
    #expect(chiSquareSurvival(30, degreesOfFreedom: 2).isApproximatelyEqual(to: Double.exp(-15), relativeTolerance: 1e-10))
    // The 5% critical values of df 1 and 10.
    #expect(chiSquareSurvival(3.841458820694124, degreesOfFreedom: 1).isApproximatelyEqual(to: 0.05, relativeTolerance: 1e-9))
    #expect(chiSquareSurvival(18.307038053275146, degreesOfFreedom: 10).isApproximatelyEqual(to: 0.05, relativeTolerance: 1e-9))
    #expect(chiSquareSurvival(0, degreesOfFreedom: 5) == 1)
  }
}

@Suite("Maximum-entropy joint")
struct MaximumEntropyJointTests {
  @Test("The dual bound is above the entropy of every member of Δ3 and tight on interior tables")
  func dualBound() {
    for seed in 0..<20 {
      let joint = randomJoint(3, 3, 2, seed: UInt64(seed) &+ 99)
      let maxEnt = MaximumEntropyJoint(joint.pairwise)
      #expect(maxEnt.entropyUpperBound >= joint.entropyX1X2Y - 1e-12)
      #expect(maxEnt.entropyUpperBound - maxEnt.entropyEstimate < 1e-9, "seed \(seed): \(maxEnt.entropyUpperBound) vs \(maxEnt.entropyEstimate)")
    }
  }

  @Test("AND: the certified S_R_sharp is within 1e-4 bits below the exact 0.5 (a zero IPF reaches only sublinearly)")
  func and() throws {
    let joint = try JointDistribution([[[0.25, 0], [0.25, 0]], [[0.25, 0], [0, 0.25]]])
    let bounds = SynergyBounds(witness: joint)
    #expect(bounds.redundancySharp <= 0.5 + 1e-12)
    #expect(bounds.redundancySharp >= 0.5 - 1e-4)
    #expect(bounds.violations.isEmpty)
  }
}
