import RealModule

/// Bounds on the accuracy of the best multimodal classifier (MATH.md
/// section 5, paper Theorem 5), from a bracket on `I(X1,X2;Y)`.
///
/// - `lowerUnclipped = 2^{-H(Y|X)}` (Feder–Merhav) with the low end of I;
/// - `upperUnclipped = 1 - Pe_min` (exact Fano inversion) with the high end;
/// - `upperPaper = (I + 1) / log2 k` with the high end: the paper's form,
///   for reproduction only (not clipped, wrong for skewed labels);
/// - `unimodal1`, `unimodal2`: Bayes accuracies `Σ_x max_y p(x, y)`.
/// The reported bracket is clipped below by `max(A1, A2)` (a multimodal
/// model can ignore a modality) and above by 1. `estimate` is the midpoint
/// of the clipped bracket.
public struct PerformanceBounds: Sendable {
  public var unimodal1: Double
  public var unimodal2: Double
  public var lowerUnclipped: Double
  public var upperUnclipped: Double
  public var upperPaper: Double?
  public var lower: Double
  public var upper: Double
  public var estimate: Double

  /// - Parameters:
  ///   - information: bracket `[lo, hi]` on `I(X1,X2;Y)` in bits.
  public init(x1y: Matrix, x2y: Matrix, information: (low: Double, high: Double)) {
    unimodal1 = bayesAccuracy(x1y)
    unimodal2 = bayesAccuracy(x2y)
    let labels = x1y.columnSums
    let hY = entropy(labels)
    let k = labels.filter { $0 > 0 }.count
    let conditionalHigh = max(0, hY - information.low)
    let conditionalLow = max(0, hY - information.high)
    lowerUnclipped = Double.exp2(-conditionalHigh)
    upperUnclipped = 1 - fanoMinimumError(conditionalEntropy: conditionalLow, labels: k)
    upperPaper = k >= 2 ? (information.high + 1) / Double.log2(Double(k)) : nil
    let floor = max(unimodal1, unimodal2)
    lower = min(1, max(lowerUnclipped, floor))
    upper = min(1, max(upperUnclipped, floor))
    estimate = (lower + upper) / 2
  }
}

extension PerformanceBounds {
  /// The numbers outside their mathematical range, in words (empty when
  /// every check holds): accuracies in [0, 1], the bracket ordered.
  public var violations: [String] {
    var found: [String] = []
    let slack = 1e-9
    let values: [(String, Double)] = [
      ("acc_unimodal_1", unimodal1), ("acc_unimodal_2", unimodal2), ("acc_lower", lower), ("acc_upper", upper),
      ("acc_lower_unclipped", lowerUnclipped), ("acc_upper_unclipped", upperUnclipped),
    ]
    for (name, value) in values where !(value >= -slack && value <= 1 + slack) {
      found.append("\(name) = \(value) is outside [0, 1]")
    }
    if lowerUnclipped > upperUnclipped + slack {
      found.append("acc_lower_unclipped = \(lowerUnclipped) exceeds acc_upper_unclipped = \(upperUnclipped)")
    }
    if lower > upper + slack { found.append("acc_lower = \(lower) exceeds acc_upper = \(upper)") }
    return found
  }
}

/// `Σ_x max_y p(x, y)`: accuracy of the Bayes classifier of Y from X.
func bayesAccuracy(_ joint: Matrix) -> Double {
  (0..<joint.rows).reduce(0.0) { sum, row in
    sum + (0..<joint.columns).map { joint[row, $0] }.max()!
  }
}

/// The smallest error probability `Pe ∈ [0, (k-1)/k]` with
/// `h(Pe) + Pe log2(k-1) >= H` (Fano's inequality inverted), by bisection
/// on the increasing left side. Returns `(k-1)/k` when `H >= log2 k`.
func fanoMinimumError(conditionalEntropy h: Double, labels k: Int) -> Double {
  guard k >= 2, h > 0 else { return 0 }
  let top = Double(k - 1) / Double(k)
  func fano(_ pe: Double) -> Double {
    let binary = pe <= 0 || pe >= 1 ? 0 : -(pe * Double.log2(pe) + (1 - pe) * Double.log2(1 - pe))
    return binary + pe * Double.log2(Double(k - 1))
  }
  if fano(top) <= h { return top }
  var low = 0.0, high = top
  for _ in 0..<200 {
    let mid = (low + high) / 2
    if fano(mid) >= h { high = mid } else { low = mid }
    if high - low < 1e-15 { break }
  }
  return high
}
