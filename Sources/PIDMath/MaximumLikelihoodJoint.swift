import RealModule

/// How the three tables of a fit weigh against each other.
public enum FitWeights: String, Sendable, Equatable {
  /// Entries are counts of rows: a table weighs as many rows as it holds.
  case counts
  /// Entries are probabilities without sample sizes: each table is
  /// normalized to total 1 and weighs the same.
  case equalPerTable = "equal per table"
}

/// The maximum-likelihood joint `r(x1, x2, y)` of three samples that each
/// miss one coordinate (MATH.md section 7): D1 observes `(x1, y)`, D2
/// `(x2, y)` and DM `(x1, x2)`, all drawn from one joint.
///
/// It maximizes
/// `ℓ(r) = Σ n1(x1,y) log r(x1,y) + Σ n2(x2,y) log r(x2,y) + Σ nm(x1,x2) log r(x1,x2)`
/// over joints `r` (natural logarithms). `ℓ` is strictly concave in the
/// three pairwise marginals of `r`, so the fitted `marginals` are unique;
/// the joint itself is one maximizer and witnesses that the marginals are
/// **jointly realizable**, which every bound of MATH.md sections 3–4
/// requires.
///
/// Algorithm: EM (`r⁺(c) = r(c) g_c(r) / N`, with
/// `g_c = n1(x1,y)/r(x1,y) + n2(x2,y)/r(x2,y) + nm(x1,x2)/r(x1,x2)` and `N`
/// the total weight) accelerated by SQUAREM extrapolation, each
/// extrapolated point kept only when it does not lower `ℓ` below plain EM.
///
/// Guarantees:
/// - `joint` is nonnegative and sums to 1; `marginals` are its exact sums.
/// - `certificate = max_c g_c(r̂) − N ≥ ℓ* − ℓ(r̂)` (nats, weighted by the
///   counts): since `ℓ` is homogeneous, `Σ_c r(c) g_c = N` and the
///   Frank–Wolfe gap bounds the distance to the optimum. `converged` says
///   whether it fell to `tolerance × N`.
/// - Cells whose KKT condition `g_c(r) < N` says they vanish at the optimum
///   are exact zeros once they are negligible, so downstream solvers never
///   see masses such as 1e-300; the certificate is computed after that.
/// - Only cells touched by some positive count can carry mass; a symbol
///   (or label) with no count anywhere gets none.
public struct MaximumLikelihoodJoint: Sendable {
  public let n1: Int, n2: Int, k: Int
  /// The fitted joint in `[x1][x2][y]` order, total 1.
  public private(set) var joint: [Double]
  /// The pairwise marginals of `joint`.
  public private(set) var marginals: PairwiseMarginals
  public let weights: FitWeights
  /// The total weight `N` (rows of D1, D2 and DM with `.counts`, 3 with
  /// `.equalPerTable`).
  public let total: Double
  /// Rows (weights) of the three tables: `x1y`, `x2y`, `x1x2`.
  public let tableTotals: (x1y: Double, x2y: Double, x1x2: Double)
  /// `ℓ(r̂)`, nats.
  public private(set) var logLikelihood: Double
  /// `ℓ` of the saturated model (each table at its own empirical pmf), nats.
  public let saturatedLogLikelihood: Double
  /// Upper bound on `ℓ* − ℓ(r̂)`, nats.
  public private(set) var certificate: Double
  /// Largest certificate accepted, as a fraction of `total`.
  public let tolerance: Double
  public private(set) var converged: Bool
  /// EM evaluations used (each SQUAREM cycle costs about four).
  public private(set) var iterations: Int

  /// The fitted joint as a table (the witness of the marginals'
  /// realizability).
  public var witness: JointDistribution {
    // The joint is nonnegative with total 1: the check cannot fail.
    try! JointDistribution(n1: n1, n2: n2, k: k, masses: joint)
  }

  /// `G² = 2 (ℓ_saturated − ℓ(r̂))`: the likelihood-ratio statistic of
  /// "the three samples come from one joint" (0 for realizable tables).
  public var deviance: Double { max(0, 2 * (saturatedLogLikelihood - logLikelihood)) }

  /// Total-variation distance of each normalized table to its fitted
  /// marginal.
  public private(set) var shifts: (x1y: Double, x2y: Double, x1x2: Double)

  /// Symbols seen in the data (positive count in some table): x1 codes,
  /// x2 codes, labels.
  public let observedSymbols: (x1: Int, x2: Int, y: Int)

  /// Degrees of freedom of `G²` against its chi-square reference when the
  /// fit is interior: the single marginals' agreement constraints,
  /// `n1 + n2 + k − 3` over the observed symbols. (Realizability adds
  /// inequality constraints only, which the chi-square reference ignores:
  /// the p-value is approximate.)
  public var degreesOfFreedom: Int { max(1, observedSymbols.x1 + observedSymbols.x2 + observedSymbols.y - 3) }

  /// Fits the joint.
  ///
  /// - Parameters:
  ///   - x1y, x2y, x1x2: the three tables (`n1 x k`, `n2 x k`, `n1 x n2`),
  ///     counts or probabilities as `weights` says.
  ///   - start: a joint to start from (e.g. the point estimate's fit when
  ///     fitting a bootstrap replicate); it is mixed with the uniform table
  ///     on the cells that may carry mass, so no such cell starts at zero.
  ///   - tolerance: stop when `certificate <= tolerance × N`.
  ///   - maximumIterations: at most this many EM evaluations.
  /// - Throws: `TableError` for invalid entries, empty tables or
  ///   inconsistent shapes.
  public init(x1y: Matrix, x2y: Matrix, x1x2: Matrix, weights: FitWeights = .counts,
              start: [Double]? = nil, tolerance: Double = 1e-13, maximumIterations: Int = 200_000) throws(TableError) {
    try checkPairwiseShapes(x1y: x1y, x2y: x2y, x1x2: x1x2)
    let n1 = x1y.rows, n2 = x2y.rows, k = x1y.columns
    self.n1 = n1
    self.n2 = n2
    self.k = k
    let p1 = try normalized(x1y.elements, shape: [n1, k], name: "p_x1y")
    let p2 = try normalized(x2y.elements, shape: [n2, k], name: "p_x2y")
    let pm = try normalized(x1x2.elements, shape: [n1, n2], name: "p_x1x2")
    self.weights = weights
    let c1: [Double], c2: [Double], cm: [Double]
    switch weights {
    case .counts: (c1, c2, cm) = (x1y.elements, x2y.elements, x1x2.elements)
    case .equalPerTable: (c1, c2, cm) = (p1, p2, pm)
    }
    tableTotals = (c1.reduce(0, +), c2.reduce(0, +), cm.reduce(0, +))
    let total = tableTotals.x1y + tableTotals.x2y + tableTotals.x1x2
    self.total = total
    self.tolerance = tolerance
    func saturated(_ counts: [Double], _ p: [Double]) -> Double {
      var sum = 0.0
      for i in counts.indices where counts[i] > 0 { sum += counts[i] * Double.log(p[i]) }
      return sum
    }
    saturatedLogLikelihood = saturated(c1, p1) + saturated(c2, p2) + saturated(cm, pm)

    var seen1 = [Bool](repeating: false, count: n1), seen2 = [Bool](repeating: false, count: n2)
    var seenY = [Bool](repeating: false, count: k)
    for a in 0..<n1 { for y in 0..<k where c1[a * k + y] > 0 { seen1[a] = true; seenY[y] = true } }
    for b in 0..<n2 { for y in 0..<k where c2[b * k + y] > 0 { seen2[b] = true; seenY[y] = true } }
    for a in 0..<n1 { for b in 0..<n2 where cm[a * n2 + b] > 0 { seen1[a] = true; seen2[b] = true } }
    observedSymbols = (seen1.filter { $0 }.count, seen2.filter { $0 }.count, seenY.filter { $0 }.count)

    var fitter = EMFitter(n1: n1, n2: n2, k: k, x1y: c1, x2y: c2, x1x2: cm, total: total)
    var r = fitter.uniformStart()
    if let start, start.count == r.count {
      // Mix: 0.9 of the given joint (on allowed cells) and 0.1 uniform.
      var mass = 0.0
      for c in r.indices where r[c] > 0 { mass += start[c] }
      if mass > 0 {
        for c in r.indices where r[c] > 0 { r[c] = 0.9 * start[c] / mass + 0.1 * r[c] }
      }
    }
    // About 5e8 cell updates at most, whatever the table size.
    let budget = min(maximumIterations, max(200, 500_000_000 / max(1, r.count)))
    let outcome = fitter.maximize(&r, tolerance: tolerance, maximumIterations: budget)
    joint = r
    logLikelihood = outcome.logLikelihood
    certificate = outcome.certificate
    converged = outcome.certificate <= tolerance * total
    iterations = outcome.iterations
    let sums = pairwiseSums(r, n1: n1, n2: n2, k: k)
    let fitted = PairwiseMarginals(
      unchecked: Matrix(rows: n1, columns: k, elements: sums.x1y),
      Matrix(rows: n2, columns: k, elements: sums.x2y),
      Matrix(rows: n1, columns: n2, elements: sums.x1x2))
    marginals = fitted
    shifts = (totalVariation(p1, sums.x1y), totalVariation(p2, sums.x2y), totalVariation(pm, sums.x1x2))
  }
}

extension MaximumLikelihoodJoint {
  /// The parametric-bootstrap p-value of `G²` under "the three samples come
  /// from one joint": `draws` sets of three tables are drawn from the
  /// fitted marginals at the observed table sizes, each is fitted, and the
  /// p-value is `(1 + #{G²_draw >= G²}) / (draws + 1)`. The chi-square
  /// reference does not hold here: realizability adds inequality
  /// constraints, and sparse tables inflate `G²`.
  ///
  /// Each draw is fitted to a certificate of 1e-9 N or 1,000 EM
  /// evaluations: an unfinished fit can only overstate a draw's `G²`, which
  /// makes the p-value larger (the test more reluctant to call the samples
  /// different), never smaller. Deterministic for a given `seed`. Nil
  /// unless the tables hold counts.
  public func deviancePValue(draws: Int, seed: UInt64) -> Double? {
    guard var test = DevianceTest(self, draws: draws, seed: seed) else { return nil }
    while test.drawNext() {}
    return test.pValue
  }

  /// `deviancePValue(draws:seed:)` one draw at a time, for a caller that
  /// interleaves the draws with other work: the draws come from one random
  /// stream in order, so the p-value is the same however the calls are
  /// spread. Draw `i` starts where the stream stands after the rows of the
  /// `i` draws before it, which `exceeds(draw:)` jumps to: draws can also
  /// be made apart (on other processes) and `record`ed.
  public struct DevianceTest: Sendable {
    public let fit: MaximumLikelihoodJoint
    public let draws: Int
    /// The stream at draw 0, and the numbers one draw takes from it.
    private let start: SplitMix64
    private let numbersPerDraw: UInt64
    /// Draws made, and those whose `G²` reached the fit's.
    public private(set) var done = 0
    private var exceed = 0

    /// Nil unless `fit`'s tables hold counts and `draws > 0`.
    public init?(_ fit: MaximumLikelihoodJoint, draws: Int, seed: UInt64) {
      guard fit.weights == .counts, draws > 0 else { return nil }
      self.fit = fit
      self.draws = draws
      start = SplitMix64(seed: seed ^ 0x6_2_5EED)
      let totals = fit.tableTotals
      numbersPerDraw = UInt64(Int(totals.x1y.rounded()) + Int(totals.x2y.rounded()) + Int(totals.x1x2.rounded()))
    }

    /// The p-value once every draw is made.
    public var pValue: Double? { done == draws ? Double(1 + exceed) / Double(draws + 1) : nil }

    /// Makes the next draw (three tables at the observed sizes, fitted);
    /// returns whether draws remain.
    @discardableResult
    public mutating func drawNext() -> Bool {
      guard done < draws else { return false }
      if exceeds(draw: done) { exceed += 1 }
      done += 1
      return done < draws
    }

    /// Whether draw `index` (`0..<draws`) reaches the fit's `G²`: the draw
    /// `drawNext` makes as its `index`-th, made alone.
    public func exceeds(draw index: Int) -> Bool {
      precondition((0..<draws).contains(index), "draw \(index) of \(draws)")
      // SplitMix64 steps its state by a constant: jump over the numbers of
      // the draws before this one.
      var generator = start
      generator.state &+= UInt64(index) &* numbersPerDraw &* SplitMix64.increment
      let m = fit.marginals, totals = fit.tableTotals
      let a = Self.sample(m.x1y.elements, totals.x1y, &generator)
      let b = Self.sample(m.x2y.elements, totals.x2y, &generator)
      let c = Self.sample(m.x1x2.elements, totals.x1x2, &generator)
      guard let refit = try? MaximumLikelihoodJoint(
        x1y: Matrix(rows: fit.n1, columns: fit.k, elements: a), x2y: Matrix(rows: fit.n2, columns: fit.k, elements: b),
        x1x2: Matrix(rows: fit.n1, columns: fit.n2, elements: c), weights: .counts, start: fit.joint,
        tolerance: 1e-9, maximumIterations: 1_000)
      else { return false }
      return refit.deviance >= fit.deviance - 1e-9
    }

    /// Records the draws `done..<done + count`, made apart, of which
    /// `exceeding` reached the fit's `G²`.
    public mutating func record(count: Int, exceeding: Int) {
      precondition(count >= 0 && done + count <= draws && (0...count).contains(exceeding), "record \(exceeding)/\(count)")
      done += count
      exceed += exceeding
    }

    /// Counts of `rows` draws from `p`: each draw is the first cell whose
    /// cumulative mass reaches `u · Σp`, `u` uniform from the stream (one
    /// number per row).
    private static func sample(_ p: [Double], _ rows: Double, _ generator: inout SplitMix64) -> [Double] {
      let cells = CumulativeMasses(p)
      var counts = [Double](repeating: 0, count: p.count)
      for _ in 0..<Int(rows.rounded()) {
        counts[cells.firstReaching(generator.unit() * cells.total)] += 1
      }
      return counts
    }
  }
}

/// The running sums of nonnegative masses, searched through a guide table:
/// `firstReaching(u)` is the first cell whose running sum is at least `u`
/// (the last cell when none is), found from the cell the guide gives for
/// `u`'s slice of `[0, total)` by a few comparisons instead of a binary
/// search. The answer is the binary search's exactly: the guide only
/// skips cells whose running sum is below `u`.
struct CumulativeMasses {
  /// Running sums; the last is `total`.
  let sums: [Double]
  let total: Double
  /// Slice `j` of `[0, total)` (`slices` of them, `u · scale` truncated)
  /// starts the search at `guide[j]`: the first cell whose running sum
  /// lies in slice `j` or later. Empty when `total` is not positive and
  /// finite (then the search is binary).
  private let guide: [Int]
  private let scale: Double

  init(_ masses: [Double]) {
    var sums = [Double](repeating: 0, count: masses.count)
    var total = 0.0
    for i in masses.indices {
      total += masses[i]
      sums[i] = total
    }
    self.sums = sums
    self.total = total
    guard total > 0, total.isFinite, !masses.isEmpty else {
      guide = []
      scale = 0
      return
    }
    let slices = 2 * masses.count
    scale = Double(slices) / total
    var guide = [Int](repeating: 0, count: slices)
    var i = 0
    for j in 0..<slices {
      while i < sums.count - 1 && Self.slice(sums[i], scale, slices) < j { i += 1 }
      guide[j] = i
    }
    self.guide = guide
  }

  /// The slice of `value` (monotone in `value`: a larger value is never in
  /// an earlier slice).
  @inline(__always)
  private static func slice(_ value: Double, _ scale: Double, _ slices: Int) -> Int {
    let x = value * scale
    return x < Double(slices) ? Int(x) : slices - 1
  }

  /// The first cell whose running sum is at least `u` (the last cell when
  /// none is); `u >= 0`.
  @inline(__always)
  func firstReaching(_ u: Double) -> Int {
    guard !guide.isEmpty else { return Self.binarySearch(sums, u) }
    var i = guide[Self.slice(u, scale, guide.count)]
    while i < sums.count - 1 && sums[i] < u { i += 1 }
    return i
  }

  /// The same answer by bisection.
  static func binarySearch(_ sums: [Double], _ u: Double) -> Int {
    var low = 0, high = sums.count - 1
    while low < high {
      let mid = (low + high) / 2
      if sums[mid] < u { low = mid + 1 } else { high = mid }
    }
    return low
  }
}

/// The EM map of `MaximumLikelihoodJoint` and its acceleration, on flat
/// arrays (cell `c = (x1 n2 + x2) k + y`).
struct EMFitter {
  let n1: Int, n2: Int, k: Int
  let x1y: [Double], x2y: [Double], x1x2: [Double]
  let total: Double
  // Scratch: the marginals of the current point and the count ratios.
  var m1y: [Double], m2y: [Double], m12: [Double]
  var w1y: [Double], w2y: [Double], w12: [Double]

  init(n1: Int, n2: Int, k: Int, x1y: [Double], x2y: [Double], x1x2: [Double], total: Double) {
    self.n1 = n1
    self.n2 = n2
    self.k = k
    self.x1y = x1y
    self.x2y = x2y
    self.x1x2 = x1x2
    self.total = total
    m1y = [Double](repeating: 0, count: n1 * k)
    m2y = [Double](repeating: 0, count: n2 * k)
    m12 = [Double](repeating: 0, count: n1 * n2)
    w1y = m1y
    w2y = m2y
    w12 = m12
  }

  /// Uniform on the cells touched by a positive count.
  func uniformStart() -> [Double] {
    var r = [Double](repeating: 0, count: n1 * n2 * k)
    var allowed = 0
    for a in 0..<n1 {
      for b in 0..<n2 {
        for y in 0..<k where x1y[a * k + y] > 0 || x2y[b * k + y] > 0 || x1x2[a * n2 + b] > 0 {
          r[(a * n2 + b) * k + y] = 1
          allowed += 1
        }
      }
    }
    let share = 1 / Double(max(1, allowed))
    for c in r.indices where r[c] > 0 { r[c] = share }
    return r
  }

  /// Computes the marginals of `r`, the ratios `n / m`, and returns `ℓ(r)`
  /// (−∞ when a positive count meets a zero marginal). Without
  /// `likelihood`, returns 0 where `ℓ(r)` is finite (and −∞ where not)
  /// without its logarithms: for callers that only test finiteness. (The
  /// two agree unless `Σ n log m` overflows, which needs counts near
  /// 1e305.)
  mutating func evaluate(_ r: [Double], likelihood: Bool = true) -> Double {
    accumulatePairwiseSums(r, n1: n1, n2: n2, k: k, into: &m12, &m1y, &m2y)
    var value = 0.0
    func ratios(_ counts: [Double], _ m: [Double], _ w: inout [Double]) {
      precondition(m.count == counts.count && w.count == counts.count)
      counts.withUnsafeBufferPointer { n in
        m.withUnsafeBufferPointer { m in
          w.withUnsafeMutableBufferPointer { w in
            for i in 0..<n.count {
              if n[i] > 0 {
                w[i] = n[i] / m[i]
                if likelihood {
                  value += n[i] * Double.log(m[i])
                } else if !(m[i] > 0 && m[i].isFinite) {
                  // log(0) = −∞, log of NaN is NaN (both end as −∞ below).
                  value = -.infinity
                }
              } else {
                w[i] = 0
              }
            }
          }
        }
      }
    }
    ratios(x1y, m1y, &w1y)
    ratios(x2y, m2y, &w2y)
    ratios(x1x2, m12, &w12)
    return value.isNaN ? -.infinity : value
  }

  /// `g_c` of the last evaluated point.
  @inline(__always) func gradient(_ a: Int, _ b: Int, _ y: Int) -> Double {
    w1y[a * k + y] + w2y[b * k + y] + w12[a * n2 + b]
  }

  /// One EM step from the last evaluated point `r` into `next`
  /// (normalized).
  func step(_ r: [Double], into next: inout [Double]) {
    precondition(r.count == n1 * n2 * k && next.count == r.count)
    let n1 = self.n1, n2 = self.n2, k = self.k, total = self.total
    r.withUnsafeBufferPointer { r in
      next.withUnsafeMutableBufferPointer { next in
        w1y.withUnsafeBufferPointer { w1y in
          w2y.withUnsafeBufferPointer { w2y in
            w12.withUnsafeBufferPointer { w12 in
              var sum = 0.0
              for a in 0..<n1 {
                for b in 0..<n2 {
                  let base = (a &* n2 &+ b) &* k
                  let wm = w12[a &* n2 &+ b]
                  for y in 0..<k {
                    let x = r[base &+ y]
                    let v = x > 0 ? x * (w1y[a &* k &+ y] + w2y[b &* k &+ y] + wm) / total : 0
                    next[base &+ y] = v
                    sum += v
                  }
                }
              }
              if sum > 0 { for c in 0..<next.count { next[c] /= sum } }
            }
          }
        }
      }
    }
  }

  /// `max_c g_c − N` at the last evaluated point, over every cell, and the
  /// cell where it is reached.
  func certificate() -> (value: Double, cell: Int) {
    let n1 = self.n1, n2 = self.n2, k = self.k
    var largest = -Double.infinity, cell = 0
    w1y.withUnsafeBufferPointer { w1y in
      w2y.withUnsafeBufferPointer { w2y in
        w12.withUnsafeBufferPointer { w12 in
          for a in 0..<n1 {
            for b in 0..<n2 {
              for y in 0..<k {
                let g = w1y[a &* k &+ y] + w2y[b &* k &+ y] + w12[a &* n2 &+ b]
                if g > largest {
                  largest = g
                  cell = (a &* n2 &+ b) &* k &+ y
                }
              }
            }
          }
        }
      }
    }
    return (largest - total, cell)
  }

  /// Sets to zero the cells of `r` (the last evaluated point) that are
  /// negligible and whose KKT condition says they vanish (`g_c` clearly
  /// below `N`). Returns whether any changed.
  func dropVanishing(_ r: inout [Double]) -> Bool {
    var changed = false
    let largest = r.max() ?? 0
    for a in 0..<n1 {
      for b in 0..<n2 {
        for y in 0..<k {
          let c = (a * n2 + b) * k + y
          let x = r[c]
          if x > 0 && x <= 1e-14 * largest && gradient(a, b, y) < total * (1 - 1e-6) {
            r[c] = 0
            changed = true
          }
        }
      }
    }
    if changed {
      let sum = r.reduce(0, +)
      for c in r.indices { r[c] /= sum }
    }
    return changed
  }

  /// Maximizes `ℓ` from `r` in place.
  ///
  /// Where the optimum has zeros that the KKT test cannot tell
  /// (`g_c → N` as `r_c → 0`), EM converges only sublinearly and the fitted
  /// marginals stay off by about the square root of the certificate. When
  /// the certificate stalls, cells below 1e-6 (then 1e-4, then 1e-2) of the
  /// largest are set to zero and the ascent goes on from there (a zero cell
  /// that the optimum needs is revived by the certificate test); a polished
  /// point is kept only if its certificate, computed over every cell, ends
  /// smaller.
  mutating func maximize(_ r: inout [Double], tolerance: Double, maximumIterations: Int)
    -> (logLikelihood: Double, certificate: Double, iterations: Int)
  {
    var outcome = ascend(&r, tolerance: tolerance, maximumIterations: maximumIterations)
    var iterations = outcome.iterations
    // Vanishing cells of a sublinear ascent are small but not negligible:
    // try successively larger thresholds.
    for threshold in [1e-6, 1e-4, 1e-2] where outcome.certificate > tolerance * total && iterations < maximumIterations {
      let largest = r.max() ?? 0
      var polished = r
      var dropped = false
      for c in polished.indices where polished[c] > 0 && polished[c] < threshold * largest {
        polished[c] = 0
        dropped = true
      }
      guard dropped else { continue }
      let sum = polished.reduce(0, +)
      for c in polished.indices { polished[c] /= sum }
      let next = ascend(&polished, tolerance: tolerance, maximumIterations: maximumIterations - iterations)
      iterations += next.iterations
      if next.logLikelihood.isFinite && next.certificate < outcome.certificate {
        r = polished
        outcome = next
      }
    }
    return (outcome.logLikelihood, outcome.certificate, iterations)
  }

  /// EM with SQUAREM from `r` until the certificate meets the tolerance.
  mutating func ascend(_ r: inout [Double], tolerance: Double, maximumIterations: Int)
    -> (logLikelihood: Double, certificate: Double, iterations: Int)
  {
    var r1 = r, r2 = r, candidate = r, next = r
    var value = evaluate(r)
    var iterations = 1
    var revived = 0
    var cycles = 0
    var checkpoint = Double.infinity
    while true {
      if dropVanishing(&r) {
        value = evaluate(r)
        iterations += 1
      }
      let (gap, cell) = certificate()
      if gap <= tolerance * total || iterations >= maximumIterations { return (value, gap, iterations) }
      // Stalled: 200 cycles without halving the certificate.
      cycles += 1
      if cycles % 200 == 0 {
        if gap > 0.5 * checkpoint { return (value, gap, iterations) }
        checkpoint = gap
      }
      if r[cell] == 0 && gap > 1e-9 * total && revived < 1000 {
        // A dropped (or never reached) cell that the optimum needs.
        r[cell] = 1e-12
        revived += 1
        value = evaluate(r)
        iterations += 1
        continue
      }
      // SQUAREM (Varadhan and Roland 2008, scheme S3) with step-back.
      step(r, into: &r1)
      let value1 = evaluate(r1, likelihood: false)
      step(r1, into: &r2)
      let value2 = evaluate(r2)
      iterations += 2
      var ss = 0.0, vv = 0.0
      withBuffers(r, r1, r2) { r, r1, r2 in
        for c in 0..<r.count {
          let s = r1[c] - r[c]
          let v = r2[c] - 2 * r1[c] + r[c]
          ss += s * s
          vv += v * v
        }
      }
      var accepted = false
      if vv > 0 && value1.isFinite && value2.isFinite {
        var alpha = min(-1, -(ss / vv).squareRoot())
        for attempt in 0..<12 {
          var negative = false
          withBuffers(r, r1, r2) { r, r1, r2 in
            candidate.withUnsafeMutableBufferPointer { candidate in
              for c in 0..<r.count {
                let s = r1[c] - r[c]
                let v = r2[c] - 2 * r1[c] + r[c]
                let x = r[c] - 2 * alpha * s + alpha * alpha * v
                if x < 0 { negative = true; break }
                candidate[c] = x
              }
            }
          }
          if !negative { break }
          alpha = attempt < 10 ? (alpha - 1) / 2 : -1
          if alpha == -1 { candidate = r2; break }
        }
        let sum = candidate.reduce(0, +)
        if sum > 0 {
          for c in candidate.indices { candidate[c] /= sum }
          let extrapolated = evaluate(candidate, likelihood: false)
          iterations += 1
          if extrapolated.isFinite {
            step(candidate, into: &next)
            let stabilized = evaluate(next)
            iterations += 1
            if stabilized >= value2 {
              swap(&r, &next)
              value = stabilized
              accepted = true
            }
          }
        }
      }
      if !accepted {
        // Plain EM: r2 is at least as likely as r.
        swap(&r, &r2)
        value = evaluate(r)
        iterations += 1
      }
    }
  }
}

/// Runs `body` with read-only views of three arrays of SQUAREM (the point
/// and its two EM steps).
@inline(__always)
private func withBuffers<T>(_ a: [Double], _ b: [Double], _ c: [Double],
                            _ body: (UnsafeBufferPointer<Double>, UnsafeBufferPointer<Double>, UnsafeBufferPointer<Double>) -> T) -> T {
  a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { b in c.withUnsafeBufferPointer { c in body(a, b, c) } } }
}
