import PIDData
import PIDMath

/// Every number that resampling recomputes (`Quantity`), as a function
/// of the count tables: the pairwise analysis, then (with DL) the plug-in
/// PID of DL. Numbers come in `quantities` order; a failed part becomes
/// NaN.
struct ResampledStatistic {
  var arguments: BoundArguments
  var n1: Int, n2: Int, k: Int
  /// What is recomputed, in record order.
  var quantities: [Quantity]
  /// The point estimate's fitted joint: every refit starts from it.
  var start: [Double]

  /// The largest certified gap (bits) of a replicate's solve that is kept.
  static let replicateGap = 1e-4

  init(_ coded: CodedData, arguments: BoundArguments, start: [Double]) {
    self.arguments = arguments
    self.start = start
    n1 = coded.alphabet1
    n2 = coded.alphabet2
    k = coded.labelCount
    quantities = Quantity.pairwise + (coded.dly.isEmpty ? [] : Quantity.validation)
  }

  var hasValidation: Bool { quantities.count > Quantity.pairwise.count }

  /// The numbers of the full data: `analysis` (the point estimate's) and
  /// DL's counts.
  func point(_ analysis: Analysis, validationCounts: [Double]?) -> QuantityValues {
    QuantityValues(quantities: quantities, values: Quantity.pairwise.map { $0.value(in: analysis) } + validation(validationCounts))
  }

  /// The pairwise part from count tables, through their maximum-likelihood
  /// joint (warm-started from the point estimate's).
  ///
  /// - Throws: `Failure` (70) when a number leaves its mathematical range.
  func pairwise(x1y: Matrix, x2y: Matrix, x1x2: Matrix) throws -> [Double] {
    guard let fit = try? MaximumLikelihoodJoint(x1y: x1y, x2y: x2y, x1x2: x1x2, weights: .counts, start: start) else {
      return [Double](repeating: .nan, count: Quantity.pairwise.count)
    }
    let analysis = Analysis(witness: fit.witness, arguments: arguments)
    try analysis.checkRanges()
    // A replicate whose solve ends above the target gap still has valid
    // bounds (certified ends) and terms exact to its gap; it is kept while
    // that gap is negligible next to sampling error (the largest is
    // reported as bootstrap.largest_gap_bits), and left out (counted as
    // unusable) beyond, since dropping replicates biases the intervals.
    guard analysis.bounds.pid.gap <= max(arguments.targetGap, Self.replicateGap) else {
      return [Double](repeating: .nan, count: Quantity.pairwise.count)
    }
    return Quantity.pairwise.map { $0.value(in: analysis) }
  }

  /// The validation part from DL's joint counts (empty without DL).
  func validation(_ joint: [Double]?) -> [Double] {
    guard hasValidation else { return [] }
    guard let joint, let table = try? JointDistribution(n1: n1, n2: n2, k: k, masses: joint) else {
      return [Double](repeating: .nan, count: Quantity.validation.count)
    }
    let pid = PartialInformationDecomposition(joint: table)
    return Quantity.validation.map { $0.value(in: pid) }
  }

  /// Every number for one (resampled or permuted) dataset.
  func numbers(_ coded: CodedData) throws -> [Double] {
    let tables = coded.pairwiseCounts
    return try pairwise(x1y: tables.x1y, x2y: tables.x2y, x1x2: tables.x1x2) + validation(coded.validationCounts)
  }

  /// The numbers with one row of `cell` deleted. Only the part that
  /// depends on the cell's sample is recomputed; the other part is the
  /// full-data `point`.
  func deleting(_ cell: JackknifeCell, from coded: CodedData, point: [Double]) throws -> [Double] {
    if cell.sample == 3 {
      var joint = coded.validationCounts!
      joint[cell.cell] -= 1
      return Array(point.prefix(Quantity.pairwise.count)) + validation(joint)
    }
    var tables = coded.pairwiseCounts
    switch cell.sample {
    case 0: tables.x1y.elements[cell.cell] -= 1
    case 1: tables.x2y.elements[cell.cell] -= 1
    default: tables.x1x2.elements[cell.cell] -= 1
    }
    return try pairwise(x1y: tables.x1y, x2y: tables.x2y, x1x2: tables.x1x2) + Array(point.dropFirst(Quantity.pairwise.count))
  }
}
