import RealModule

/// Options of the synergy bounds.
public struct BoundOptions: Sendable {
  /// Solver options of the three certified solves.
  public var solver: SolverOptions
  /// Solve the sharp upper bound exactly (vertex enumeration) when the
  /// polytope dimension is at most this.
  public var sharpDimensionLimit: Int
  /// Concave-descent restarts for the inner estimate above that limit.
  public var innerRestarts: Int
  /// Skip the polytope work (sharp bound, inner estimate) above this many
  /// cells `n1 n2 k`.
  public var polytopeCellLimit: Int

  /// Workers sharing the sharp bound's search nodes (and, through
  /// `solver.workers`, the label slices of the solves).
  public var workers: any Workers { solver.workers }

  public init(solver: SolverOptions = SolverOptions(), sharpDimensionLimit: Int = 8,
              innerRestarts: Int = 32, polytopeCellLimit: Int = 400) {
    self.solver = solver
    self.sharpDimensionLimit = sharpDimensionLimit
    self.innerRestarts = innerRestarts
    self.polytopeCellLimit = polytopeCellLimit
  }
}

/// Bounds on synergy from the three pairwise marginals only (MATH.md
/// sections 3 and 4), in bits.
///
/// Every lower bound is valid for every joint that matches the marginals
/// (the true one included), except `paperDisagreement` (the paper's
/// variant, reported for reproduction, never used). Certified quantities
/// enter at the conservative end of their intervals: lower bounds use the
/// upper end of `I_min`-type values where that makes them smaller, upper
/// bounds the lower end of `I_min`.
public struct SynergyBounds: Sendable {
  /// The identifiable PID terms (R, U1, U2) from `p(x1,y)`, `p(x2,y)`.
  public var pid: PartialInformationDecomposition
  /// `I(X1; X2)`.
  public var informationX1X2: Double

  // Lower bounds.
  /// `R - I(X1;X2)` (paper, Theorem 1).
  public var redundancySimple: Double
  /// `R - I(X1;X2) + max(m1, m2)` with two certified renamed-role solves.
  public var redundancyRelaxed: Double
  /// `min over Δ3` of `S(r)`, at the maximum-entropy joint; nil with
  /// `sharpUnavailableReason` when IPF did not converge.
  public var redundancySharp: Double?
  public var sharpUnavailableReason: String?
  /// IPF residual of the maximum-entropy joint.
  public var maximumEntropyResidual: Double
  /// `α = Σ p(x1,x2) ||p(y|x1) - p(y|x2)||²`.
  public var alpha: Double
  /// `α - max(U1, U2)`: the paper's variant, not a valid bound in general.
  public var paperDisagreement: Double
  /// `α / (4 ln 2) - (U1+U2)/2`.
  public var disagreementL2: Double
  /// `Σ p(x1,x2) (-log2 BC) - (U1+U2)/2`.
  public var disagreementBhattacharyya: Double
  /// The largest valid lower bound (may be negative; see `lowerClipped`).
  public var lower: Double
  public var lowerClipped: Double { max(0, lower) }

  // Upper bounds.
  /// The paper's three majorization-meet bounds.
  public var upperPaper: Double
  /// With the three per-label/conditional meet bounds as well.
  public var upperMeet: Double
  /// `min(H(X1,X2), H(Y)) - I_min`.
  public var upperCap: Double
  /// Exact `max over Δ3 of I_r(X1,X2;Y) - I_min`, when computed.
  public var upperSharp: Double?
  /// Best vertex found above the exact range: an estimate, not a bound.
  public var upperInner: Double?
  /// Dimension of the polytope Δ3 (0 when not built).
  public var polytopeDimension: Int
  /// The smallest valid upper bound.
  public var upper: Double

  /// Whether `lower <= upper`. A crossing means no joint has these
  /// marginals (estimated tables whose sampling noise makes them jointly
  /// unrealizable): the bounds then disagree and should not be trusted.
  public var consistent: Bool { lower <= upper + 1e-9 }

  /// The renamed-role certificates (target X1, target X2).
  public var renamedGaps: (Double, Double)

  public init(_ marginals: PairwiseMarginals, options: BoundOptions = BoundOptions()) {
    let x1y = marginals.x1y, x2y = marginals.x2y, x1x2 = marginals.x1x2
    let problem = try! CouplingProblem(sourceA: x1y, sourceB: x2y, tolerance: 1)
    let pid = PartialInformationDecomposition(problem: problem, options: options.solver)
    self.pid = pid
    let i12 = mutualInformation(x1x2)
    informationX1X2 = i12
    let iMinLower = pid.solution.lowerBound

    redundancySimple = pid.redundancy - i12
    // m1: target X1, sources X2 (p(x2,x1)) and Y (p(y,x1)); m1 = I_min' - I(X1;Y).
    let roleX1 = try! CouplingProblem(sourceA: x1x2.transposed, sourceB: x1y.transposed, tolerance: 1).solve(options: options.solver)
    let roleX2 = try! CouplingProblem(sourceA: x1x2, sourceB: x2y.transposed, tolerance: 1).solve(options: options.solver)
    renamedGaps = (roleX1.gap, roleX2.gap)
    let m1 = roleX1.lowerBound - pid.informationX1Y
    let m2 = roleX2.lowerBound - pid.informationX2Y
    redundancyRelaxed = redundancySimple + max(m1, m2)

    // Maximum-entropy joint: the sharp lower bound.
    let maxEnt = MaximumEntropyJoint(marginals)
    maximumEntropyResidual = maxEnt.residual
    // Quantities evaluated at IPF-based joints are off by about the IPF
    // residual; they are moved by this allowance in the safe direction.
    let allowance = 1e3 * maxEnt.residual
    if maxEnt.converged {
      let r = maxEnt.joint
      let sums = pairwiseSums(r, n1: marginals.n1, n2: marginals.n2, k: marginals.k)
      let conditional = entropy(sums.x1y) + entropy(sums.x2y) - entropy(r) - entropy(x1y.columnSums)
      redundancySharp = redundancySimple + conditional - allowance
      sharpUnavailableReason = nil
    } else {
      redundancySharp = nil
      sharpUnavailableReason = "the pairwise marginals are not jointly realizable (IPF residual \(maxEnt.residual))"
    }

    // Disagreement bounds from the Bayes-optimal unimodal classifiers.
    let k = marginals.k
    var alpha = 0.0, bhattacharyya = 0.0
    let p1 = x1y.rowSums, p2 = x2y.rowSums
    for a in 0..<marginals.n1 where p1[a] > 0 {
      for b in 0..<marginals.n2 where p2[b] > 0 {
        let w = x1x2[a, b]
        guard w > 0 else { continue }
        var squared = 0.0, coefficient = 0.0
        for y in 0..<k {
          let u = x1y[a, y] / p1[a], v = x2y[b, y] / p2[b]
          squared += (u - v) * (u - v)
          coefficient += (u * v).squareRoot()
        }
        alpha += w * squared
        // BC = 0 with p(x1,x2) > 0 means no joint has these marginals; the
        // floor keeps the number finite (about 997 bits).
        bhattacharyya += w * -Double.log(min(1, max(coefficient, 1e-300))) / naturalLogOf2
      }
    }
    self.alpha = alpha
    let u1 = pid.uniqueness1, u2 = pid.uniqueness2
    paperDisagreement = alpha - max(u1, u2)
    disagreementL2 = alpha / (4 * naturalLogOf2) - (u1 + u2) / 2
    disagreementBhattacharyya = bhattacharyya - (u1 + u2) / 2
    lower = [redundancySimple, redundancyRelaxed, redundancySharp ?? -.infinity, disagreementL2, disagreementBhattacharyya].max()!

    // Upper bounds: lower bounds on H_r(X1,X2,Y) over Δ3.
    let hY = entropy(x1y.columnSums), h12 = entropy(x1x2.elements)
    let paperMeets = [
      meetEntropy(x1x2.elements, x1y.columnSums),
      meetEntropy(x1y.elements, x2y.rowSums),
      meetEntropy(x2y.elements, x1y.rowSums),
    ].max()!
    var conditionalMeets = [hY, entropy(p1), entropy(p2)]
    for y in 0..<k {
      let py = x1y.columnSums[y]
      guard py > 0 else { continue }
      conditionalMeets[0] += py * meetEntropy((0..<marginals.n1).map { x1y[$0, y] / py }, (0..<marginals.n2).map { x2y[$0, y] / py })
    }
    for a in 0..<marginals.n1 where p1[a] > 0 {
      conditionalMeets[1] += p1[a] * meetEntropy((0..<marginals.n2).map { x1x2[a, $0] / p1[a] }, (0..<k).map { x1y[a, $0] / p1[a] })
    }
    for b in 0..<marginals.n2 where p2[b] > 0 {
      conditionalMeets[2] += p2[b] * meetEntropy((0..<marginals.n1).map { x1x2[$0, b] / p2[b] }, (0..<k).map { x2y[b, $0] / p2[b] })
    }
    let allMeets = max(paperMeets, conditionalMeets.max()!)
    upperPaper = h12 + hY - paperMeets - iMinLower
    upperMeet = h12 + hY - allMeets - iMinLower
    upperCap = min(h12, hY) - iMinLower
    var best = min(upperMeet, upperCap)

    // Sharp upper bound over the polytope, when small enough.
    upperSharp = nil
    upperInner = nil
    polytopeDimension = 0
    let cells = marginals.n1 * marginals.n2 * k
    if maxEnt.converged && cells <= options.polytopeCellLimit {
      let polytope = MarginalPolytope(n1: marginals.n1, n2: marginals.n2, k: k, base: maxEnt.joint)
      polytopeDimension = polytope.dimension
      let minimizer = ConcaveEntropyMinimizer(polytope: polytope)
      if polytope.dimension <= options.sharpDimensionLimit {
        // Nodes are independent: each worker searches its own, and the
        // minimum over workers is exact whatever their number.
        var smallest = Double.infinity
        for node in 0..<minimizer.nodeCount where options.workers.owns(node) {
          if let found = minimizer.exactMinimum(node: node) { smallest = min(smallest, found.entropy) }
        }
        smallest = options.workers.minimum([smallest])[0]
        if polytope.dimension == 0 { smallest = entropy(polytope.base) }
        if smallest.isFinite {
          // Vertices are computed from the IPF point, whose marginals are
          // exact to its residual: allow for it.
          let sharp = h12 + hY - smallest - iMinLower + 1e-9 + allowance
          upperSharp = sharp
          best = min(best, sharp)
        }
      } else {
        let found = minimizer.descend(restarts: options.innerRestarts, seed: 0x5EED)
        upperInner = h12 + hY - found.entropy - iMinLower
      }
    }
    upper = best
  }
}
