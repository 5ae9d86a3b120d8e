import RealModule

/// The BROJA optimization with generic roles: a target `T` with `k`
/// symbols and two sources `A`, `B`, given by `p(a, t)` and `p(b, t)`.
///
///     I_min = min { I_q(A, B; T) : q(a, t) = p(a, t), q(b, t) = p(b, t) }
///
/// For each target symbol `t` the slice `q(·, ·, t)` is a coupling of
/// `p(·, t)` and `p(·, t)` (the per-label coupling subproblems). With
/// `A = X1, B = X2, T = Y` this is the PID problem; with `T = X1`,
/// `A = X2`, `B = Y` it is the renamed-role problem that the synergy bounds
/// need.
public struct CouplingProblem: Sendable {
  /// `p(a, t)`, `nA x k`, total mass 1.
  public let sourceA: Matrix
  /// `p(b, t)`, `nB x k`, total mass 1, with the same label masses `p(t)`
  /// as `sourceA`.
  public let sourceB: Matrix

  /// Builds the problem from two tables with the same target alphabet.
  ///
  /// Both are normalized. Their target marginals `p(t)` must agree within
  /// `tolerance` in total variation; the remaining rounding-level
  /// difference is removed by rescaling each column of `sourceB` to the
  /// label masses of `sourceA`, so that an exactly feasible coupling exists.
  ///
  /// - Throws: `TableError` for invalid tables or disagreeing `p(t)`.
  public init(sourceA: Matrix, sourceB: Matrix, tolerance: Double = 1e-9) throws(TableError) {
    guard sourceA.columns == sourceB.columns else {
      throw .shapeMismatch("the two sources have \(sourceA.columns) and \(sourceB.columns) target symbols")
    }
    let a = try normalized(sourceA.elements, shape: [sourceA.rows, sourceA.columns], name: "source A table")
    var b = try normalized(sourceB.elements, shape: [sourceB.rows, sourceB.columns], name: "source B table")
    let k = sourceA.columns
    let matrixA = Matrix(rows: sourceA.rows, columns: k, elements: a)
    let labelsA = matrixA.columnSums
    let labelsB = Matrix(rows: sourceB.rows, columns: k, elements: b).columnSums
    let tv = totalVariation(labelsA, labelsB)
    guard tv <= tolerance else {
      throw .inconsistentMarginals("target marginals of the two sources disagree: total variation \(tv) exceeds tolerance \(tolerance)")
    }
    for t in 0..<k {
      let scale = labelsB[t] > 0 ? labelsA[t] / labelsB[t] : 0
      for row in 0..<sourceB.rows { b[row * k + t] *= scale }
    }
    self.sourceA = matrixA
    self.sourceB = Matrix(rows: sourceB.rows, columns: k, elements: b)
  }

  /// `p(t)`.
  public var target: [Double] { sourceA.columnSums }

  /// `I(A; T)` in bits.
  public var informationA: Double { mutualInformation(sourceA) }
  /// `I(B; T)` in bits.
  public var informationB: Double { mutualInformation(sourceB) }
}

/// `I(U; V)` in bits of a joint table `p(u, v)` given as a matrix.
public func mutualInformation(_ joint: Matrix) -> Double {
  max(0, entropy(joint.rowSums) + entropy(joint.columnSums) - entropy(joint.elements))
}

/// The result of minimizing `I_q(A, B; T)` over the couplings, with its
/// certificate.
///
/// `information` is `I_q(A,B;T)` at `coupling`, an exactly feasible point
/// (its marginals equal the problem's up to floating-point rounding,
/// reported in `marginalResidual`), hence an upper end of `I_min`.
/// `lowerBound` is the Lagrange dual value at the solver's multipliers,
/// a rigorous lower end. `I_min` lies in `[lowerBound, information]`.
public struct CouplingSolution: Sendable {
  /// `I_q(A, B; T)` in bits at the feasible coupling (upper end).
  public var information: Double
  /// Dual lower bound on `I_min` in bits.
  public var lowerBound: Double
  /// The feasible coupling `q[a][b][t]`, flattened, total mass 1.
  public var coupling: [Double]
  /// Largest absolute difference between a marginal of `coupling` and the
  /// problem's table.
  public var marginalResidual: Double
  /// Newton steps taken, including those of abandoned crossover attempts
  /// (0 when the answer is closed-form).
  public var newtonSteps: Int

  /// Width of the certified interval, in bits; never negative (infinite
  /// when an end is not a number).
  public var gap: Double { lowerBound.isNaN || information.isNaN ? .infinity : max(0, information - lowerBound) }
}

/// How hard the solver works.
public struct SolverOptions: Sendable {
  /// Stop once the certified gap is at most this many bits.
  public var targetGap: Double
  /// Give up after this many Newton steps, returning the certificate
  /// reached so far.
  public var maximumNewtonSteps: Int

  /// Workers that share the label slices of each Newton system (rows of
  /// the dense Schur complement, by label) when `splitsLabels` allows it;
  /// the result is identical for any number of workers.
  public var workers: any Workers
  /// Split the labels over the workers only from this many labels on ...
  public var labelSplitMinimumLabels: Int
  /// ... and only when forming the Schur complement costs at least this
  /// many multiply-adds per step (`nA · nB² · k²`, `nB` the smaller
  /// alphabet). The defaults are measured by scripts/bench-label-split.py
  /// (README).
  public var labelSplitMinimumWork: Double

  public init(targetGap: Double = 1e-9, maximumNewtonSteps: Int = 400, workers: any Workers = SingleWorker(),
              labelSplitMinimumLabels: Int = 64, labelSplitMinimumWork: Double = 1e8) {
    self.targetGap = targetGap
    self.maximumNewtonSteps = maximumNewtonSteps
    self.workers = workers
    self.labelSplitMinimumLabels = labelSplitMinimumLabels
    self.labelSplitMinimumWork = labelSplitMinimumWork
  }

  /// Whether a solve with `nA x nB x k` (after removing empty rows and
  /// labels; `nB` the side the Schur complement is on) is split over the
  /// workers.
  public func splitsLabels(nA: Int, nB: Int, k: Int) -> Bool {
    let work = Double(nA) * Double(nB) * Double(nB) * Double(k) * Double(k)
    return workers.count > 1 && k >= labelSplitMinimumLabels && work >= labelSplitMinimumWork
  }
}
