/// A joint probability table `p(x1, x2, y)` over codes `0..<n1`, `0..<n2`,
/// `0..<k`.
///
/// Masses are normalized on construction and sum to 1 (up to rounding).
/// Information quantities are in bits with `0 log 0 = 0`; symbols or labels
/// with zero mass are allowed and contribute nothing.
public struct JointDistribution: Equatable, Sendable {
  /// Alphabet sizes of X1, X2 and Y.
  public let n1: Int, n2: Int, k: Int
  /// Masses in `[x1][x2][y]` order, `n1 * n2 * k` of them.
  public let masses: [Double]

  /// Builds a table from counts or probabilities in `[x1][x2][y]` order.
  ///
  /// - Throws: `TableError` for an empty shape, negative or non-finite
  ///   entries, or zero total mass.
  public init(n1: Int, n2: Int, k: Int, masses: [Double]) throws(TableError) {
    precondition(masses.count == n1 * n2 * k, "mass count does not match the shape")
    self.n1 = n1
    self.n2 = n2
    self.k = k
    self.masses = try normalized(masses, shape: [n1, n2, k], name: "joint table")
  }

  /// Builds a table from nested arrays indexed `[x1][x2][y]`.
  public init(_ nested: [[[Double]]]) throws(TableError) {
    let n1 = nested.count
    let n2 = nested.first?.count ?? 0
    let k = nested.first?.first?.count ?? 0
    for row in nested {
      guard row.count == n2, row.allSatisfy({ $0.count == k }) else {
        throw .shapeMismatch("joint table is ragged: every [x1][x2] row needs \(k) labels and every x1 \(n2) x2 rows")
      }
    }
    try self.init(n1: n1, n2: n2, k: k, masses: nested.flatMap { $0.flatMap { $0 } })
  }

  public subscript(x1: Int, x2: Int, y: Int) -> Double {
    masses[(x1 * n2 + x2) * k + y]
  }

  /// `p(x1, y)`, an `n1 x k` matrix.
  public var x1y: Matrix {
    Matrix(rows: n1, columns: k, elements: pairwiseSums(masses, n1: n1, n2: n2, k: k).x1y)
  }

  /// `p(x2, y)`, an `n2 x k` matrix.
  public var x2y: Matrix {
    Matrix(rows: n2, columns: k, elements: pairwiseSums(masses, n1: n1, n2: n2, k: k).x2y)
  }

  /// `p(x1, x2)`, an `n1 x n2` matrix.
  public var x1x2: Matrix {
    Matrix(rows: n1, columns: n2, elements: pairwiseSums(masses, n1: n1, n2: n2, k: k).x1x2)
  }

  /// The three pairwise marginals, what the semi-supervised setting observes.
  public var pairwise: PairwiseMarginals {
    let sums = pairwiseSums(masses, n1: n1, n2: n2, k: k)
    return PairwiseMarginals(
      unchecked: Matrix(rows: n1, columns: k, elements: sums.x1y),
      Matrix(rows: n2, columns: k, elements: sums.x2y),
      Matrix(rows: n1, columns: n2, elements: sums.x1x2))
  }

  /// `p(y)`.
  public var y: [Double] { x1y.columnSums }

  /// `H(X1, X2, Y)` in bits.
  public var entropyX1X2Y: Double { entropy(masses) }

  /// `I(X1, X2; Y) = H(X1,X2) + H(Y) - H(X1,X2,Y)` in bits.
  public var mutualInformationX1X2Y: Double {
    max(0, entropy(x1x2.elements) + entropy(y) - entropyX1X2Y)
  }

  /// `I(X1; X2 | Y) = H(X1,Y) + H(X2,Y) - H(X1,X2,Y) - H(Y)` in bits.
  var conditionalMutualInformationX1X2GivenY: Double {
    max(0, entropy(x1y.elements) + entropy(x2y.elements) - entropyX1X2Y - entropy(y))
  }
}
