import Testing
@testable import PIDMath

/// Tables on which the solver once failed to certify.
@Suite struct RegressionTests {
  /// A reconciled 3x3x2 sample (coverage study, N = 500): the certified gap
  /// was 11128 bits.
  @Test func reconciledThreeByThree() throws {
    let fit = try Reconciliation(
      x1y: Matrix([[118, 26], [29, 151], [22, 154]]), x2y: Matrix([[114, 31], [25, 157], [30, 143]]),
      x1x2: Matrix([[137, 19, 10], [12, 155, 11], [16, 16, 124]]))
    let pid = try PartialInformationDecomposition(x1y: fit.marginals.x1y, x2y: fit.marginals.x2y)
    #expect(pid.gap <= 1e-9)
    let m = fit.marginals
    let roleX1 = try CouplingProblem(sourceA: m.x1x2.transposed, sourceB: m.x1y.transposed, tolerance: 1).solve()
    let roleX2 = try CouplingProblem(sourceA: m.x1x2, sourceB: m.x2y.transposed, tolerance: 1).solve()
    #expect(roleX1.gap <= 1e-9)
    #expect(roleX2.gap <= 1e-9)
  }

  /// A bootstrap replicate of the synergy example (1000 rows, 20x20x2):
  /// the solve stalled at a certified gap of 1.1e-5 bits.
  @Test func synergyReplicate() throws {
    let fit = try Reconciliation(
      x1y: Matrix([[24, 31], [20, 15], [35, 52], [21, 17], [36, 22], [36, 35], [19, 12], [35, 38], [39, 28], [19, 14], [22, 26], [23, 30], [24, 20], [22, 17], [10, 38], [13, 21], [15, 17], [28, 35], [11, 22], [39, 19]]),
      x2y: Matrix([[20, 19], [47, 42], [37, 26], [40, 42], [44, 28], [9, 5], [15, 18], [20, 32], [19, 34], [28, 19], [34, 22], [26, 38], [21, 26], [13, 22], [23, 25], [9, 16], [25, 36], [19, 26], [11, 20], [20, 24]]),
      x1x2: Matrix([[1, 1, 11, 5, 10, 2, 3, 1, 2, 3, 3, 8, 1, 0, 3, 3, 1, 2, 2, 1], [3, 2, 5, 5, 5, 0, 2, 3, 2, 0, 0, 2, 0, 0, 4, 2, 9, 1, 1, 0], [3, 0, 5, 1, 2, 3, 0, 3, 2, 0, 8, 0, 7, 2, 6, 1, 3, 4, 0, 10], [0, 2, 1, 4, 5, 0, 0, 1, 2, 2, 4, 12, 2, 0, 4, 0, 2, 0, 2, 0], [1, 1, 5, 13, 1, 2, 4, 3, 4, 3, 0, 5, 2, 3, 5, 4, 3, 3, 2, 3], [2, 3, 4, 2, 5, 5, 8, 13, 4, 2, 5, 6, 0, 3, 3, 2, 2, 3, 4, 2], [0, 3, 3, 2, 3, 0, 3, 4, 8, 2, 2, 2, 0, 3, 3, 0, 3, 2, 3, 1], [1, 4, 7, 3, 3, 0, 4, 9, 1, 1, 2, 4, 2, 1, 3, 2, 1, 0, 6, 1], [0, 7, 2, 1, 2, 0, 2, 7, 0, 0, 5, 9, 1, 4, 6, 2, 3, 5, 0, 3], [0, 1, 1, 2, 1, 6, 5, 1, 0, 5, 0, 1, 0, 1, 4, 4, 4, 10, 1, 0], [0, 1, 4, 0, 1, 2, 1, 3, 4, 3, 3, 0, 1, 6, 0, 1, 0, 1, 0, 0], [0, 7, 2, 1, 4, 0, 3, 1, 4, 5, 2, 3, 2, 2, 4, 0, 1, 1, 0, 4], [2, 8, 1, 1, 6, 1, 1, 2, 0, 1, 4, 2, 0, 4, 0, 0, 4, 5, 3, 2], [5, 2, 3, 0, 3, 0, 0, 0, 0, 1, 1, 0, 0, 0, 3, 1, 7, 0, 0, 2], [3, 6, 2, 6, 2, 2, 3, 1, 4, 2, 5, 5, 5, 5, 0, 3, 4, 4, 0, 11], [0, 1, 4, 0, 1, 0, 4, 3, 3, 0, 1, 0, 2, 3, 2, 5, 6, 2, 1, 4], [3, 0, 1, 0, 5, 0, 3, 0, 1, 0, 2, 5, 2, 1, 2, 0, 1, 1, 0, 0], [0, 2, 2, 3, 5, 0, 2, 3, 3, 6, 1, 4, 2, 1, 3, 1, 3, 2, 0, 0], [0, 3, 7, 6, 5, 1, 1, 0, 0, 0, 1, 3, 2, 3, 0, 1, 2, 0, 0, 4], [2, 5, 7, 11, 8, 3, 0, 2, 3, 1, 0, 2, 0, 0, 1, 1, 1, 5, 2, 5]]))
    let pid = try PartialInformationDecomposition(x1y: fit.marginals.x1y, x2y: fit.marginals.x2y)
    #expect(pid.gap <= 1e-9)
  }

  /// The matrix-free path (Schur complement of 1,000 rows or more: CG on
  /// the Newton systems, CG in the crossover) certifies too.
  @Test func matrixFreePath() throws {
    var g = PIDMath.SplitMix64(seed: 7)
    let joint = JointDistribution.dirichlet(n1: 60, n2: 40, k: 25, generator: &g)
    let pid = PartialInformationDecomposition(joint: joint, options: SolverOptions(targetGap: 1e-6))
    #expect(pid.gap <= 1e-6)
    #expect(abs(pid.redundancy + pid.uniqueness1 - pid.informationX1Y) <= 1e-6)
    #expect(pid.solution.marginalResidual <= 1e-12)
  }
}
