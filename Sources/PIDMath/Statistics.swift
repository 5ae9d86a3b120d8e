import RealModule

/// The standard normal distribution function Φ.
func standardNormalCDF(_ x: Double) -> Double {
  0.5 * Double.erfc(-x / 2.0.squareRoot())
}

/// The standard normal quantile Φ⁻¹(p) for `0 < p < 1` (Newton's method on
/// Φ inside a shrinking bracket; accurate to about 1e-14). Returns -∞ for
/// `p <= 0`, +∞ for `p >= 1` and NaN for NaN.
public func standardNormalQuantile(_ p: Double) -> Double {
  guard !p.isNaN else { return .nan }
  if p <= 0 { return -.infinity }
  if p >= 1 { return .infinity }
  var low = -40.0, high = 40.0, x = 0.0
  for _ in 0..<200 {
    let f = standardNormalCDF(x) - p
    if f < 0 { low = x } else { high = x }
    let density = Double.exp(-x * x / 2) / (2 * Double.pi).squareRoot()
    var next = density > 0 ? x - f / density : .nan
    if !(next > low && next < high) { next = (low + high) / 2 }
    if abs(next - x) <= 1e-15 * max(1, abs(x)) { return next }
    x = next
  }
  return x
}

/// The `p`-quantile of sorted values by linear interpolation between order
/// statistics (Hyndman–Fan type 7). `sorted` must be non-empty.
func interpolatedQuantile(sorted: [Double], _ p: Double) -> Double {
  let h = Double(sorted.count - 1) * min(max(p, 0), 1)
  let i = Int(h.rounded(.down)), j = min(i + 1, sorted.count - 1)
  return sorted[i] + (h - Double(i)) * (sorted[j] - sorted[i])
}

/// One independent sample's delete-one jackknife values, grouped by
/// distinct observation: deleting any of the `weight` identical rows of a
/// cell gives the same `value`.
public struct JackknifeSample: Sendable {
  /// Rows in the sample (the sum of the weights).
  public var size: Int
  public var values: [(value: Double, weight: Int)]

  public init(size: Int, values: [(value: Double, weight: Int)]) {
    self.size = size
    self.values = values
  }
}

/// The BCa acceleration of a statistic of several independent samples,
/// from delete-one jackknife values (Davison and Hinkley 1997, sections 3.2
/// and 5.3.2):
///
///     a = Σ_s n_s⁻³ Σ_i l_si³ / (6 (Σ_s n_s⁻² Σ_i l_si²)^(3/2)),
///     l_si = (n_s − 1)(mean_s − value_si).
///
/// Returns 0 when the statistic does not move, NaN when a value is not
/// finite.
public func jackknifeAcceleration(_ samples: [JackknifeSample]) -> Double {
  var cubes = 0.0, squares = 0.0
  for sample in samples where sample.size > 1 {
    let n = Double(sample.size)
    var mean = 0.0
    for (value, weight) in sample.values {
      guard value.isFinite else { return .nan }
      mean += Double(weight) * value
    }
    mean /= n
    for (value, weight) in sample.values {
      let l = (n - 1) * (mean - value) / n
      cubes += Double(weight) * l * l * l
      squares += Double(weight) * l * l
    }
  }
  guard squares > 0 else { return 0 }
  return cubes / (6 * Double.pow(squares, 1.5))
}

/// A bootstrap confidence interval.
public struct BootstrapInterval: Sendable, Equatable {
  public var lower: Double
  public var upper: Double

  /// The percentile interval `[q(α/2), q(1 − α/2)]` of the replicates
  /// (`α = 1 − confidence`); nil with fewer than two finite replicates.
  public static func percentile(replicates: [Double], confidence: Double) -> BootstrapInterval? {
    let sorted = replicates.filter(\.isFinite).sorted()
    guard sorted.count >= 2 else { return nil }
    let alpha = (1 - confidence) / 2
    return BootstrapInterval(lower: interpolatedQuantile(sorted: sorted, alpha),
                             upper: interpolatedQuantile(sorted: sorted, 1 - alpha))
  }

  /// The bias-corrected and accelerated (BCa) interval (Efron 1987): the
  /// percentile interval at the adjusted levels
  /// `Φ(z0 + (z0 + z)/(1 − a (z0 + z)))` for `z = Φ⁻¹(α/2), Φ⁻¹(1 − α/2)`,
  /// with `z0 = Φ⁻¹(share of replicates below the estimate, ties counted
  /// half)`.
  ///
  /// Returns nil when it is undefined: fewer than two finite replicates, a
  /// non-finite estimate or acceleration, every replicate on one side of
  /// the estimate, or an adjusted level outside (0, 1).
  public static func bca(estimate: Double, replicates: [Double], acceleration: Double,
                         confidence: Double) -> BootstrapInterval? {
    let sorted = replicates.filter(\.isFinite).sorted()
    guard sorted.count >= 2, estimate.isFinite, acceleration.isFinite else { return nil }
    let tolerance = 1e-12 * max(1, abs(estimate))
    var below = 0.0
    for x in sorted {
      if x < estimate - tolerance { below += 1 } else if x <= estimate + tolerance { below += 0.5 }
    }
    let share = below / Double(sorted.count)
    guard share > 0, share < 1 else { return nil }
    let z0 = standardNormalQuantile(share)
    let alpha = (1 - confidence) / 2
    func level(_ p: Double) -> Double? {
      let z = standardNormalQuantile(p)
      let denominator = 1 - acceleration * (z0 + z)
      guard denominator > 0 else { return nil }
      return standardNormalCDF(z0 + (z0 + z) / denominator)
    }
    guard let low = level(alpha), let high = level(1 - alpha) else { return nil }
    return BootstrapInterval(lower: interpolatedQuantile(sorted: sorted, low),
                             upper: interpolatedQuantile(sorted: sorted, high))
  }
}

/// Counts of values in equal-width bins over `[lower, upper]`, the range
/// of the finite values (both ends included: the last bin is closed).
/// Non-finite values are left out. With one distinct value every count
/// lands in one bin of zero width.
public struct Histogram: Sendable, Equatable {
  public var lower: Double
  public var upper: Double
  public var counts: [Int]

  /// - Precondition: `bins >= 1`.
  public init(_ values: [Double], bins: Int) {
    precondition(bins >= 1, "a histogram needs at least one bin")
    let finite = values.filter(\.isFinite)
    lower = finite.min() ?? 0
    upper = finite.max() ?? 0
    counts = Array(repeating: 0, count: bins)
    let width = (upper - lower) / Double(bins)
    for x in finite {
      let index = width > 0 ? Int(((x - lower) / width).rounded(.down)) : 0
      counts[min(max(index, 0), bins - 1)] += 1
    }
  }
}

/// The Miller–Madow corrected mutual information (bits) of a count table:
/// each plug-in entropy gets `(m − 1)/(2N)` nats added, `m` its number of
/// occupied cells, so
///
///     I_MM = I_plug-in − ((m_ab − 1) − (m_a − 1) − (m_b − 1)) / (2 N ln 2).
///
/// The correction is the first-order bias of the plug-in estimate for
/// multinomial sampling of `N` rows. Zero for an empty table.
public func millerMadowInformation(counts: Matrix) -> Double {
  let total = counts.elements.reduce(0, +)
  guard total > 0 else { return 0 }
  var occupied = 0
  var rowsUsed = 0, columnsUsed = 0
  for r in 0..<counts.rows where (0..<counts.columns).contains(where: { counts[r, $0] > 0 }) { rowsUsed += 1 }
  for c in 0..<counts.columns where (0..<counts.rows).contains(where: { counts[$0, c] > 0 }) { columnsUsed += 1 }
  for x in counts.elements where x > 0 { occupied += 1 }
  let plugIn = mutualInformation(Matrix(rows: counts.rows, columns: counts.columns, elements: counts.elements.map { $0 / total }))
  let excess = Double((occupied - 1) - (rowsUsed - 1) - (columnsUsed - 1))
  return plugIn - excess / (2 * total * naturalLogOf2)
}

/// `P(X >= x)` for `X` chi-square with `degreesOfFreedom` degrees of
/// freedom: the regularized upper incomplete gamma function `Q(d/2, x/2)`,
/// by its series below `d/2 + 1` and its continued fraction above
/// (relative accuracy about 1e-14). Returns 1 for `x <= 0`.
public func chiSquareSurvival(_ x: Double, degreesOfFreedom: Int) -> Double {
  precondition(degreesOfFreedom >= 1)
  guard x > 0 else { return 1 }
  guard x.isFinite else { return 0 }
  let a = Double(degreesOfFreedom) / 2, z = x / 2
  let logPrefix = a * Double.log(z) - z - Double.logGamma(a)
  if z < a + 1 {
    // P(a, z) = z^a e^-z / Γ(a+1) Σ z^n / ((a+1)...(a+n)).
    var term = 1 / a, sum = term, n = 0.0
    while n < 10_000 {
      n += 1
      term *= z / (a + n)
      sum += term
      if abs(term) < abs(sum) * 1e-16 { break }
    }
    return max(0, 1 - sum * Double.exp(logPrefix))
  }
  // Q(a, z) by the Lentz continued fraction.
  let tiny = 1e-300
  var b = z + 1 - a, c = 1 / tiny, d = 1 / b, h = d
  var i = 0.0
  while i < 10_000 {
    i += 1
    let an = -i * (i - a)
    b += 2
    d = an * d + b
    if abs(d) < tiny { d = tiny }
    c = b + an / c
    if abs(c) < tiny { c = tiny }
    d = 1 / d
    let delta = d * c
    h *= delta
    if abs(delta - 1) < 1e-16 { break }
  }
  return min(1, Double.exp(logPrefix) * h)
}
