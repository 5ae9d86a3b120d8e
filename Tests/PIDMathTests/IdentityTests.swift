import Numerics
import PIDMath
import Testing

/// A small deterministic generator (SplitMix64) for seeded random tables.
struct SplitMix64 {
  var state: UInt64
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
  /// Uniform in (0, 1].
  mutating func unit() -> Double { Double(next() >> 11 + 1) / Double(1 << 53) }
}

/// A random joint table of the given shape with entries Dirichlet(1)-like
/// (exponential draws), a fraction of them set to exactly zero.
func randomJoint(_ n1: Int, _ n2: Int, _ k: Int, seed: UInt64, zeros: Double = 0) -> JointDistribution {
  var rng = SplitMix64(state: seed)
  var masses = (0..<(n1 * n2 * k)).map { _ in -Double.log(rng.unit()) }
  if zeros > 0 {
    for i in masses.indices where rng.unit() < zeros { masses[i] = 0 }
    if masses.allSatisfy({ $0 == 0 }) { masses[0] = 1 }
  }
  return try! JointDistribution(n1: n1, n2: n2, k: k, masses: masses)
}

func checkIdentities(_ joint: JointDistribution, _ label: String) {
  let pid = PartialInformationDecomposition(joint: joint)
  let tolerance = 1e-9 + pid.gap
  let i1 = mutualInformation(joint.x1y), i2 = mutualInformation(joint.x2y)
  #expect(pid.gap <= 1e-9, "\(label): gap \(pid.gap)")
  #expect((pid.redundancy + pid.uniqueness1).isApproximatelyEqual(to: i1, absoluteTolerance: tolerance), "\(label): R+U1")
  #expect((pid.redundancy + pid.uniqueness2).isApproximatelyEqual(to: i2, absoluteTolerance: tolerance), "\(label): R+U2")
  #expect(pid.total!.isApproximatelyEqual(to: joint.mutualInformationX1X2Y, absoluteTolerance: tolerance), "\(label): sum")
  for (name, term) in [("R", pid.redundancy), ("U1", pid.uniqueness1), ("U2", pid.uniqueness2), ("S", pid.synergy!)] {
    #expect(term >= -tolerance, "\(label): \(name) = \(term)")
  }
  #expect(pid.solution.marginalResidual <= 1e-12, "\(label): residual \(pid.solution.marginalResidual)")
  // The certificate brackets the reported value.
  #expect(pid.solution.lowerBound <= pid.solution.information + 1e-15)
}

@Suite("PID identities on seeded random tables")
struct IdentityTests {
  @Test("R+U1 = I(X1;Y), R+U2 = I(X2;Y), R+U1+U2+S = I(X1,X2;Y), terms >= -gap",
        arguments: [(2, 2, 2), (3, 2, 2), (3, 3, 3), (4, 3, 2), (2, 5, 3), (5, 4, 3), (6, 6, 4), (8, 3, 5)])
  func identities(shape: (Int, Int, Int)) {
    for seed in 1...12 {
      let joint = randomJoint(shape.0, shape.1, shape.2, seed: UInt64(seed * 7919 + shape.0 * 31 + shape.1 * 7 + shape.2))
      checkIdentities(joint, "\(shape) seed \(seed)")
    }
  }

  @Test("Sparse tables with many structural zeros", arguments: [0.3, 0.6, 0.85])
  func sparse(zeros: Double) {
    for seed in 1...12 {
      let joint = randomJoint(5, 4, 3, seed: UInt64(seed) &* 104_729, zeros: zeros)
      checkIdentities(joint, "sparse \(zeros) seed \(seed)")
    }
  }

  @Test("Invariance under relabeling symbols and swapping X1 and X2")
  func invariance() throws {
    for seed in 1...8 {
      let (n1, n2, k) = (4, 3, 3)
      let joint = randomJoint(n1, n2, k, seed: UInt64(seed) &* 7_777)
      let base = PartialInformationDecomposition(joint: joint)
      // Permute every alphabet.
      let p1 = [2, 0, 3, 1], p2 = [1, 2, 0], py = [2, 1, 0]
      var permuted = [Double](repeating: 0, count: n1 * n2 * k)
      var swapped = [Double](repeating: 0, count: n1 * n2 * k)
      for a in 0..<n1 {
        for b in 0..<n2 {
          for y in 0..<k {
            permuted[(p1[a] * n2 + p2[b]) * k + py[y]] = joint[a, b, y]
            swapped[(b * n1 + a) * k + y] = joint[a, b, y]
          }
        }
      }
      let relabeled = PartialInformationDecomposition(joint: try JointDistribution(n1: n1, n2: n2, k: k, masses: permuted))
      let mirrored = PartialInformationDecomposition(joint: try JointDistribution(n1: n2, n2: n1, k: k, masses: swapped))
      let tolerance = 1e-9
      #expect(relabeled.redundancy.isApproximatelyEqual(to: base.redundancy, absoluteTolerance: tolerance))
      #expect(relabeled.synergy!.isApproximatelyEqual(to: base.synergy!, absoluteTolerance: tolerance))
      #expect(mirrored.redundancy.isApproximatelyEqual(to: base.redundancy, absoluteTolerance: tolerance))
      #expect(mirrored.uniqueness1.isApproximatelyEqual(to: base.uniqueness2, absoluteTolerance: tolerance))
      #expect(mirrored.uniqueness2.isApproximatelyEqual(to: base.uniqueness1, absoluteTolerance: tolerance))
    }
  }

  @Test("Renamed roles: target X1 with sources X2 and Y is the same solver")
  func renamedRoles() throws {
    let joint = randomJoint(3, 4, 2, seed: 99)
    // p(x2, x1) and p(y, x1): target X1.
    let x1x2 = joint.x1x2, x1y = joint.x1y
    let problem = try CouplingProblem(sourceA: x1x2.transposed, sourceB: x1y.transposed)
    let solution = problem.solve()
    #expect(solution.gap <= 1e-9)
    // I_min over couplings with those marginals lies between max(I(X2;X1), I(Y;X1))
    // and the value at the true joint, I(X2,Y; X1).
    let iX2 = mutualInformation(x1x2), iY = mutualInformation(x1y)
    let atJoint = entropy(x1x2.rowSums) + entropy(joint.x2y.elements) - joint.entropyX1X2Y
    #expect(solution.information >= max(iX2, iY) - 1e-9)
    #expect(solution.information <= atJoint + 1e-9)
  }
}

@Suite("Degenerate inputs")
struct DegenerateTests {
  @Test("A label with zero mass gives the same PID as the table without it")
  func zeroLabel() throws {
    let joint = randomJoint(3, 3, 2, seed: 5)
    var padded = [Double]()
    for a in 0..<3 { for b in 0..<3 { padded += [joint[a, b, 0], 0, joint[a, b, 1]] } }
    let withZero = PartialInformationDecomposition(joint: try JointDistribution(n1: 3, n2: 3, k: 3, masses: padded))
    let plain = PartialInformationDecomposition(joint: joint)
    #expect(withZero.redundancy.isApproximatelyEqual(to: plain.redundancy, absoluteTolerance: 1e-9))
    #expect(withZero.synergy!.isApproximatelyEqual(to: plain.synergy!, absoluteTolerance: 1e-9))
    #expect(withZero.gap <= 1e-9)
  }

  @Test("Symbols with zero mass")
  func zeroSymbols() throws {
    let joint = randomJoint(2, 2, 2, seed: 8)
    var padded = [Double](repeating: 0, count: 3 * 4 * 2)
    for a in 0..<2 { for b in 0..<2 { for y in 0..<2 { padded[(a * 4 + b + 1) * 2 + y] = joint[a, b, y] } } }
    let pid = PartialInformationDecomposition(joint: try JointDistribution(n1: 3, n2: 4, k: 2, masses: padded))
    let plain = PartialInformationDecomposition(joint: joint)
    #expect(pid.redundancy.isApproximatelyEqual(to: plain.redundancy, absoluteTolerance: 1e-9))
    #expect(pid.uniqueness1.isApproximatelyEqual(to: plain.uniqueness1, absoluteTolerance: 1e-9))
  }

  @Test("Deterministic Y: everything is zero")
  func deterministicLabel() throws {
    let joint = try JointDistribution([[[1, 0], [2, 0]], [[3, 0], [4, 0]]])
    let pid = PartialInformationDecomposition(joint: joint)
    for term in [pid.redundancy, pid.uniqueness1, pid.uniqueness2, pid.synergy!] {
      #expect(abs(term) <= 1e-12)
    }
  }

  @Test("Single-symbol alphabets")
  func singleSymbols() throws {
    // X2 constant: R = U2 = S = 0, U1 = I(X1;Y).
    let joint = try JointDistribution([[[0.3, 0.1]], [[0.1, 0.5]]])
    let pid = PartialInformationDecomposition(joint: joint)
    #expect(pid.uniqueness1.isApproximatelyEqual(to: mutualInformation(joint.x1y), absoluteTolerance: 1e-12))
    #expect(abs(pid.redundancy) <= 1e-12 && abs(pid.synergy!) <= 1e-12 && abs(pid.uniqueness2) <= 1e-12)
    let one = try JointDistribution([[[2]]])
    let trivial = PartialInformationDecomposition(joint: one)
    #expect(trivial.redundancy == 0 && trivial.synergy == 0)
  }

  @Test("Invalid tables are refused with the entry named")
  func invalidTables() {
    #expect(throws: TableError.negative("joint table", index: [0, 1, 0], value: -1)) {
      try JointDistribution(n1: 1, n2: 2, k: 1, masses: [1, -1])
    }
    #expect(throws: TableError.zeroMass("joint table")) {
      try JointDistribution(n1: 1, n2: 1, k: 2, masses: [0, 0])
    }
    #expect(throws: TableError.nonFinite("joint table", index: [0, 0, 1])) {
      try JointDistribution(n1: 1, n2: 1, k: 2, masses: [1, .nan])
    }
  }
}

@Suite("Solver robustness")
struct RobustnessTests {
  @Test("A near-deterministic table with tiny masses (1e-6 mixture) is still certified to 1e-9")
  func tinyMasses() throws {
    let eps = 1e-6
    let k = 4
    let m = Matrix((0..<k).map { i in (0..<k).map { j in (i == j ? 0.25 : 0) * (1 - eps) + eps / 16 } })
    let pid = try PartialInformationDecomposition(x1y: m, x2y: m)
    #expect(pid.gap <= 1e-9, "gap \(pid.gap)")
    // Y = X1 = X2 up to the mixture: almost all information is redundant.
    #expect(pid.redundancy > 1.99 && pid.redundancy <= pid.informationX1Y + 1e-12)
  }
}
