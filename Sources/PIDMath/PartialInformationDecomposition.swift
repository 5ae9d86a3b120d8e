/// The BROJA partial information decomposition of `I(X1, X2; Y)`, in bits.
///
/// With `I_min = min over Δ of I_q(X1, X2; Y)` (Δ: joints with the
/// observed `p(x1, y)` and `p(x2, y)`):
///
///     R  = I(X1;Y) + I(X2;Y) - I_min
///     U1 = I_min - I(X2;Y)        U2 = I_min - I(X1;Y)
///     S  = I(X1,X2;Y) - I_min     (only with the full joint)
///
/// `I_min` is the upper end of its certified interval (the value at an
/// exactly feasible coupling); every term is exact to within `gap` bits.
/// R, U1 and U2 are affine in `I_min`, so the same `gap` bounds each of
/// them. Identities such as `R + U1 = I(X1;Y)` hold to rounding.
public struct PartialInformationDecomposition: Sendable {
  /// Redundancy `R`.
  public var redundancy: Double
  /// Uniqueness of X1, `U1`.
  public var uniqueness1: Double
  /// Uniqueness of X2, `U2`.
  public var uniqueness2: Double
  /// Synergy `S`; `nil` without the full joint.
  public var synergy: Double?
  /// `I_min` (upper end of the certified interval).
  public var minimumInformation: Double
  /// Width of the certified interval of `I_min`, bits.
  public var gap: Double
  /// `I(X1; Y)`.
  public var informationX1Y: Double
  /// `I(X2; Y)`.
  public var informationX2Y: Double
  /// `I(X1, X2; Y)`; `nil` without the full joint.
  public var informationX1X2Y: Double?
  /// The solver's result with its certificate.
  public var solution: CouplingSolution

  /// The identifiable part, from `p(x1, y)` and `p(x2, y)` only.
  public init(x1y: Matrix, x2y: Matrix, options: SolverOptions = SolverOptions()) throws(TableError) {
    let problem = try CouplingProblem(sourceA: x1y, sourceB: x2y)
    self.init(problem: problem, options: options)
  }

  init(problem: CouplingProblem, options: SolverOptions) {
    let solution = problem.solve(options: options)
    let i1 = problem.informationA
    let i2 = problem.informationB
    let iMin = solution.information
    self.redundancy = i1 + i2 - iMin
    self.uniqueness1 = iMin - i2
    self.uniqueness2 = iMin - i1
    self.synergy = nil
    self.minimumInformation = iMin
    self.gap = solution.gap
    self.informationX1Y = i1
    self.informationX2Y = i2
    self.informationX1X2Y = nil
    self.solution = solution
  }

  /// The full decomposition of a joint table, including synergy.
  public init(joint: JointDistribution, options: SolverOptions = SolverOptions()) {
    let problem = try! CouplingProblem(sourceA: joint.x1y, sourceB: joint.x2y)
    self.init(problem: problem, options: options)
    let total = joint.mutualInformationX1X2Y
    self.informationX1X2Y = total
    self.synergy = total - minimumInformation
  }

  /// `R + U1 + U2 + S` when S is known.
  public var total: Double? { synergy.map { redundancy + uniqueness1 + uniqueness2 + $0 } }
}
