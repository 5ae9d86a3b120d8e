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
  /// Enumerate vertices only when the choices of `d` tight cells among
  /// the free ones, `C(free, d)`, are at most this many (the enumeration
  /// visits each at most once); otherwise give the inner estimate.
  public var enumerationLimit: Double = 1e5
  /// Gives the LP engine of the branch-and-bound sharp bound
  /// (`SharpBoundSearch`, any dimension), called only when a polytope
  /// needs it (loading an engine may cost milliseconds), or says why there
  /// is none (then `notes` says so). Without an engine the sharp bound is
  /// computed only by vertex enumeration (within the two limits above), and
  /// above them `upperInner` is a descent estimate.
  public var linearPrograms: (@Sendable () -> Result<any LinearProgramSolver, LinearProgramEngineUnavailable>)? = nil
  /// Work of the branch and bound. The default (500 node LPs) costs about
  /// 0.25 s on a 4x4x3 table on one core, also in every bootstrap
  /// replicate; 0 nodes turns the branch and bound off.
  public var sharpBudget = SharpSearchBudget(nodes: BoundOptions.defaultSharpNodes)
  /// Default node budget of the branch and bound.
  public static let defaultSharpNodes = 500

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
/// The marginals are those of a `witness` joint (the fitted joint of
/// MATH.md section 7, or a full joint table), so they are jointly
/// realizable and every polytope of sections 3–4 is non-empty: every valid
/// lower bound then lies below every valid upper bound, and `violations`
/// lists any number outside its mathematical range (a bug, never data).
///
/// Every lower bound is valid for every joint that matches the marginals
/// (the true one included), except `paperDisagreement` (the paper's
/// variant, reported for reproduction, never used). Certified quantities
/// enter at the conservative end of their intervals: lower bounds use the
/// upper end of `I_min`-type values where that makes them smaller, upper
/// bounds the lower end of `I_min`; `S_R_sharp` uses the log-linear dual
/// bound on the maximum entropy.
public struct SynergyBounds: Sendable {
  /// The pairwise marginals the bounds are computed from.
  public var marginals: PairwiseMarginals
  /// The identifiable PID terms (R, U1, U2) from `p(x1,y)`, `p(x2,y)`.
  public var pid: PartialInformationDecomposition
  /// `I(X1; X2)`.
  public var informationX1X2: Double

  // Lower bounds.
  /// `R - I(X1;X2)` (paper, Theorem 1).
  public var redundancySimple: Double
  /// `R - I(X1;X2) + max(m1, m2)` with two certified renamed-role solves.
  public var redundancyRelaxed: Double
  /// `min over Δ3` of `S(r)` (reached at the maximum-entropy joint), at the
  /// certified lower end given by the log-linear dual.
  public var redundancySharp: Double
  /// Bits between the dual bound on the maximum entropy and the entropy of
  /// the last IPF iterate: how far `redundancySharp` may lie below the
  /// exact value.
  public var redundancySharpGap: Double
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
  /// A certified upper end of `max over Δ3 of I_r(X1,X2;Y) - I_min` (the
  /// sharp bound): exact (to rounding) by vertex enumeration, or the
  /// branch and bound's certified bound, within `upperSharpGap` of the
  /// exact value. Nil when not computed.
  public var upperSharp: Double?
  /// Bits between `upperSharp` and `upperInner` when both come from the
  /// branch and bound (at most 1e-6 when it closed); 0 after enumeration.
  public var upperSharpGap: Double?
  /// The synergy bound of the best joint found, `I_r(X1,X2;Y) - I_min` at
  /// a member `r` of Δ3. With the branch and bound (`upperInnerIsAchieved`)
  /// the exact sharp bound lies between it and `upperSharp`; without it, a
  /// randomized-descent estimate. Never an upper bound on S.
  public var upperInner: Double?
  /// Whether `upperInner` is the value of a member of Δ3 found by the
  /// branch and bound (else a descent estimate, or nil).
  public var upperInnerIsAchieved = false
  /// How the sharp bound was computed (nil when not computed).
  public var sharpMethod: String?
  /// The branch and bound's node LPs, stop reason and remaining gap (nil
  /// when it did not run).
  public var sharpSearch: SharpSearchOutcome?
  /// Things a reader of the numbers must know (e.g. the LP engine could
  /// not be loaded, so the sharp bound fell back to enumeration).
  public var notes: [String] = []
  /// Dimension of the polytope Δ3 (0 when not built).
  public var polytopeDimension: Int
  /// The smallest valid upper bound.
  public var upper: Double

  /// Whether `lower <= upper` (always, up to rounding, for realizable
  /// marginals).
  public var consistent: Bool { lower <= upper + SynergyBounds.slack }

  /// Largest rounding error (bits) tolerated by the range checks.
  public static let slack = 1e-7

  /// The renamed-role certificates (target X1, target X2).
  public var renamedGaps: (Double, Double)

  /// The bounds from the pairwise marginals of `witness`.
  public init(witness: JointDistribution, options: BoundOptions = BoundOptions()) {
    let marginals = witness.pairwise
    self.marginals = marginals
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

    // Maximum-entropy joint: the sharp lower bound,
    // S(r) = R - I(X1;X2) + H(X1,Y) + H(X2,Y) - H(Y) - H_r(X1,X2,Y),
    // smallest where H_r is largest; the dual bound on max H certifies it.
    let maxEnt = MaximumEntropyJoint(marginals)
    maximumEntropyResidual = maxEnt.residual
    let conditionalBase = entropy(x1y.elements) + entropy(x2y.elements) - entropy(x1y.columnSums)
    redundancySharp = redundancySimple + conditionalBase - maxEnt.entropyUpperBound
    redundancySharpGap = max(0, maxEnt.entropyUpperBound - maxEnt.entropyEstimate)

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
    lower = [redundancySimple, redundancyRelaxed, redundancySharp, disagreementL2, disagreementBhattacharyya].max()!

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
    if cells <= options.polytopeCellLimit {
      // The witness is a member of Δ3: the polytope's base point.
      let polytope = MarginalPolytope(n1: marginals.n1, n2: marginals.n2, k: k, base: witness.masses)
      polytopeDimension = polytope.dimension
      let minimizer = ConcaveEntropyMinimizer(polytope: polytope)
      let enumerable = polytope.dimension <= options.sharpDimensionLimit
        && binomial(polytope.free.count, polytope.dimension) <= options.enumerationLimit
      var searched = false
      // Where vertex enumeration is within its limits it is exact and
      // faster than the branch and bound (3x3x2: 0.07 s against 0.4 s).
      if polytope.dimension > 0, !enumerable, options.sharpBudget.nodes > 0 {
        switch options.linearPrograms?() {
        case .success(let solver)?:
          do {
            let search = try SharpBoundSearch(polytope: polytope, solver: solver)
            let outcome = search.run(start: witness.masses, budget: options.sharpBudget, workers: options.workers)
            let sharp = h12 + hY - outcome.entropyLowerBound - iMinLower
            upperSharp = sharp
            upperInner = h12 + hY - outcome.innerEntropy - iMinLower
            upperInnerIsAchieved = true
            upperSharpGap = outcome.gap
            sharpSearch = outcome
            sharpMethod = "branch and bound (\(solver.name))"
            best = min(best, sharp)
            searched = true
          } catch {
            notes.append("the LP engine could not set up the sharp bound's program (\(error)); "
              + "S_upper_sharp is not computed and S_upper_inner is a randomized-descent estimate, not certified")
          }
        case .failure(let unavailable)?:
          notes.append("\(unavailable.reason); the sharp bound's branch and bound did not run: "
            + "S_upper_sharp is not computed (polytope dimension \(polytope.dimension) is past vertex enumeration) and S_upper_inner is a randomized-descent estimate, not certified")
        case nil: break
        }
      }
      if !searched && enumerable {
        // Nodes are independent: each worker searches its own, and the
        // minimum over workers is exact whatever their number.
        var smallest = Double.infinity
        for node in 0..<minimizer.nodeCount where options.workers.owns(node) {
          if let found = minimizer.exactMinimum(node: node) { smallest = min(smallest, found.entropy) }
        }
        smallest = options.workers.minimum([smallest])[0]
        if polytope.dimension == 0 { smallest = entropy(polytope.base) }
        if smallest.isFinite {
          // Vertices are solved from the base in floating point: 1e-9 bits
          // cover their rounding.
          let sharp = h12 + hY - smallest - iMinLower + 1e-9
          upperSharp = sharp
          upperSharpGap = 0
          sharpMethod = "vertex enumeration"
          best = min(best, sharp)
        }
      } else if !searched {
        // Descent needs a start inside the polytope: the maximum-entropy
        // joint (positive on every free cell, its marginals exact to the
        // IPF residual, zero exactly where the marginals are) where IPF
        // converged, the witness otherwise.
        let start = maxEnt.residual <= 1e-12 ? maxEnt.joint : witness.masses
        let found = ConcaveEntropyMinimizer(polytope: polytope.rebased(at: start)).descend(restarts: options.innerRestarts, seed: 0x5EED)
        upperInner = h12 + hY - found.entropy - iMinLower
      }
    } else {
      notes.append("S_upper_sharp is not computed: the table has \(cells) cells (x1 x x2 x y), more than the "
        + "\(options.polytopeCellLimit) up to which the polytope of joints with these marginals is searched "
        + "(polytope_dimension is then 0); S_upper is the best of the other upper bounds")
    }
    upper = best
  }

  /// The numbers outside their mathematical range, in words (empty when
  /// every check holds, up to `slack` bits of rounding): the PID terms are
  /// nonnegative, every valid lower bound lies below every valid upper
  /// bound (the marginals are realizable), and every number is finite.
  public var violations: [String] {
    let tolerance = SynergyBounds.slack + pid.gap + renamedGaps.0 + renamedGaps.1
    var found: [String] = []
    func check(_ ok: Bool, _ what: @autoclosure () -> String) { if !ok { found.append(what()) } }
    for (name, value) in [("R", pid.redundancy), ("U1", pid.uniqueness1), ("U2", pid.uniqueness2)] {
      check(value.isFinite && value >= -tolerance, "\(name) = \(value) is negative")
    }
    let lowers: [(String, Double)] = [
      ("S_R_simple", redundancySimple), ("S_R_relaxed", redundancyRelaxed), ("S_R_sharp", redundancySharp),
      ("S_U_l2", disagreementL2), ("S_U_bc", disagreementBhattacharyya),
    ]
    var uppers: [(String, Double)] = [("S_upper_paper", upperPaper), ("S_upper_meet", upperMeet), ("S_upper_cap", upperCap)]
    if let upperSharp { uppers.append(("S_upper_sharp", upperSharp)) }
    for (name, value) in lowers + uppers + [("alpha", alpha), ("I_x1x2", informationX1X2)] {
      check(value.isFinite, "\(name) = \(value) is not finite")
    }
    for (lowName, low) in lowers {
      for (highName, high) in uppers {
        check(low <= high + tolerance, "\(lowName) = \(low) exceeds \(highName) = \(high)")
      }
    }
    check(upper >= -tolerance, "S_upper = \(upper) is negative")
    if let upperInner { check(upperInner <= upper + tolerance, "S_upper_inner = \(upperInner) exceeds S_upper = \(upper)") }
    if let upperInner, upperInnerIsAchieved {
      // A member of Δ3: its synergy bound lies between the smallest synergy
      // over Δ3 and the certified sharp bound.
      check(upperInner.isFinite, "S_upper_inner = \(upperInner) is not finite")
      if let upperSharp { check(upperInner <= upperSharp + tolerance, "S_upper_inner = \(upperInner) exceeds S_upper_sharp = \(upperSharp)") }
      check(upperInner >= redundancySharp - tolerance, "S_upper_inner = \(upperInner) is below S_R_sharp = \(redundancySharp)")
    }
    if let upperSharpGap { check(upperSharpGap >= 0 && upperSharpGap.isFinite, "S_upper_sharp_gap = \(upperSharpGap) is negative or not finite") }
    return found
  }
}

/// `C(n, d)` as a double (infinity past its range).
func binomial(_ n: Int, _ d: Int) -> Double {
  guard d >= 0, d <= n else { return 0 }
  var value = 1.0
  for i in 0..<min(d, n - d) { value = value * Double(n - i) / Double(i + 1) }
  return value
}
