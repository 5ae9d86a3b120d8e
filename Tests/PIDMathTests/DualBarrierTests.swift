import Testing
@testable import PIDMath

/// The dual barrier method (DualBarrier.swift): the end game of paths
/// that stall above the target.
@Suite struct DualBarrierTests {
  /// On its own, from the solver's starting point, the method certifies a
  /// well-conditioned table to 1e-9 bits and agrees with the primal–dual
  /// path: an independent second solver for the same `I_min`.
  @Test(arguments: [(3, 3, 2, 1), (4, 3, 3, 2), (5, 6, 2, 3)])
  func certifiesAlone(n1: Int, n2: Int, k: Int, seed: UInt64) throws {
    var random = SplitMix64(state: seed)
    let masses = (0..<(n1 * n2 * k)).map { _ in 0.05 + random.unit() }
    let joint = try JointDistribution(n1: n1, n2: n2, k: k, masses: masses)
    let path = PartialInformationDecomposition(joint: joint)
    let problem = try CouplingProblem(sourceA: joint.x1y, sourceB: joint.x2y)
    let k2 = problem.sourceA.columns
    let solver = InteriorPointSolver(pA: problem.sourceA.elements, pB: problem.sourceB.elements,
                                     nA: problem.sourceA.rows, nB: problem.sourceB.rows, k: k2)
    let outcome = try #require(solver.dualBarrier(targetGap: 1e-9, maximumSteps: 400))
    #expect(outcome.gapBits <= 1e-9, "gap \(outcome.gapBits) bits")
    let hT = entropy(problem.target)
    let upper = hT + outcome.upperNats / naturalLogOf2, lower = hT + outcome.lowerNats / naturalLogOf2
    // The two certified intervals overlap.
    #expect(lower <= path.solution.information + 1e-12)
    #expect(path.solution.lowerBound <= upper + 1e-12)
  }

  /// A heavy-tailed 24x22x2 table (scripts/stress-pid.py --family heavy,
  /// trial 92; masses from 4e-20 to 0.2): the path stalls with a certified
  /// gap of 8.3e-7 bits, which the dual barrier and the polished dual end
  /// bring below 1e-8. The certificate stays an interval around the value.
  @Test func heavyTailedEndGame() throws {
    let cells: [(Int, Int, Int, Double)] = [
      (0, 2, 0, 9.918267962046936e-08), (0, 8, 1, 0.00023214022817175247), (0, 21, 1, 4.524476087044259e-20), (1, 0, 0, 5.4979367437274095e-08),
      (1, 11, 1, 1.9498188860731128e-07), (1, 12, 0, 0.0003828306392798692), (1, 13, 1, 0.005792145478058764), (1, 18, 1, 3.7385547926511353e-10),
      (2, 13, 1, 0.019423253281662417), (3, 13, 0, 0.005786629170148283), (3, 17, 0, 2.6445143584213383e-08), (4, 3, 0, 0.0005829292442054461),
      (4, 7, 1, 0.00012587154853765074), (4, 16, 1, 3.6730836018143495e-06), (5, 1, 1, 0.012007938349861049), (5, 5, 1, 7.624930991500243e-05),
      (5, 17, 1, 0.04658382620987365), (5, 18, 0, 0.00033108160478813873), (6, 0, 0, 1.1059530094895148e-05), (6, 8, 1, 0.006656815955430103),
      (6, 21, 0, 1.391720296054667e-05), (7, 0, 0, 0.00010735003059039649), (7, 1, 1, 1.9680535515927666e-11), (7, 7, 0, 2.5258642155392403e-09),
      (7, 12, 1, 0.02147294999419157), (7, 14, 0, 9.57421417371069e-05), (7, 16, 0, 1.3595779048317078e-11), (7, 19, 1, 0.0002606440552812359),
      (8, 3, 1, 2.742248744484645e-13), (8, 6, 0, 0.0021898154231791505), (8, 21, 0, 0.0004132131347900572), (9, 1, 0, 1.897068570558522e-12),
      (9, 3, 0, 1.3731092196787617e-15), (9, 16, 0, 0.0015094067824465234), (10, 4, 1, 0.1172080475917676), (10, 6, 0, 0.027842223300225673),
      (10, 7, 0, 9.468977654783832e-06), (10, 15, 1, 0.07109138225886255), (10, 16, 0, 0.02426304318905788), (11, 7, 0, 5.543161946391793e-05),
      (11, 12, 0, 0.0012810985719794686), (11, 12, 1, 0.219245569220182), (11, 14, 0, 0.00016478121632478374), (12, 6, 1, 0.0019009147886294374),
      (13, 4, 0, 0.07170548491423391), (13, 4, 1, 0.02084484961004508), (13, 5, 0, 0.149543888763828), (13, 5, 1, 7.436135158417321e-07),
      (13, 6, 0, 3.098475207268873e-06), (13, 6, 1, 0.013170069171905918), (13, 8, 1, 0.0648932959003482), (13, 19, 1, 0.00016588840459432654),
      (13, 20, 0, 9.735783134187618e-13), (13, 20, 1, 7.195227359071192e-08), (13, 21, 0, 0.0005718037697359899), (14, 15, 1, 0.00466806770585187),
      (14, 17, 0, 1.3694862428911166e-09), (15, 8, 0, 0.0005427574529299972), (15, 13, 0, 8.622114240915922e-07), (15, 14, 0, 6.925768223343551e-09),
      (15, 21, 1, 0.0002317390531684651), (16, 3, 1, 0.022274574037698017), (16, 14, 0, 0.006622996729944587), (16, 14, 1, 9.801302994677874e-13),
      (17, 14, 0, 3.9734463364763886e-10), (17, 16, 0, 9.123055196063484e-05), (17, 20, 0, 0.00010374689653665392), (18, 7, 0, 0.037181519609066835),
      (18, 12, 0, 8.336461519567906e-12), (19, 7, 1, 1.966782998059801e-05), (19, 19, 0, 1.190931885701028e-10), (19, 21, 0, 4.438153609804582e-13),
      (20, 9, 1, 0.006108541900272302), (20, 11, 1, 0.00012965343909156422), (20, 13, 0, 5.2495614467541e-08), (20, 14, 0, 0.007803033353255818),
      (21, 9, 0, 7.960313463782517e-05), (21, 18, 1, 0.000569618580801045), (21, 19, 1, 1.5840605229039834e-31), (22, 9, 0, 4.469141109841494e-08),
      (22, 12, 0, 0.0018168954978391616), (22, 12, 1, 0.003366803334671789), (22, 15, 1, 5.1185667409162196e-05), (22, 21, 1, 2.00124746807271e-05),
      (23, 6, 1, 5.736408227745507e-06), (23, 11, 0, 3.550036921193424e-06), (23, 11, 1, 0.0002870818512879488), (23, 19, 0, 4.110038514231653e-16),
    ]
    var masses = [Double](repeating: 0, count: 24 * 22 * 2)
    for (a, b, t, p) in cells { masses[(a * 22 + b) * 2 + t] = p }
    let joint = try JointDistribution(n1: 24, n2: 22, k: 2, masses: masses)
    let pid = PartialInformationDecomposition(joint: joint)
    #expect(pid.gap <= 1e-8, "gap \(pid.gap)")
    #expect(pid.solution.lowerBound <= pid.solution.information)
    #expect(pid.solution.marginalResidual <= 1e-12)
  }
}
