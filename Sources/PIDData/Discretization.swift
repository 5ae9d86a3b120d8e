import PIDMath
import RealModule

/// How a modality's features become discrete codes (MATH.md section 7).
public struct DiscretizationOptions: Sendable {
  /// Number of k-means clusters.
  public var clusters: Int
  /// PCA components kept (0 = no PCA).
  public var components: Int
  /// Scale every row to unit L2 norm first.
  public var normalizeRows: Bool
  /// k-means restarts (k-means++ seeding each); the lowest inertia wins.
  public var restarts: Int
  public var maximumIterations: Int
  public var seed: UInt64

  public init(clusters: Int = 20, components: Int = 5, normalizeRows: Bool = false, restarts: Int = 4,
              maximumIterations: Int = 100, seed: UInt64 = 0) {
    self.clusters = clusters
    self.components = components
    self.normalizeRows = normalizeRows
    self.restarts = restarts
    self.maximumIterations = maximumIterations
    self.seed = seed
  }
}

/// A fitted discretization of one modality: optional row normalization,
/// PCA projection, nearest k-means centroid. Deterministic for a given seed
/// and input order.
public struct Codebook: Sendable {
  public let dimension: Int
  public let normalizeRows: Bool
  public let mean: [Double]
  /// `reduced x dimension` projection (rows are principal axes).
  public let axes: [Double]
  public let reduced: Int
  /// `clusters x reduced` centroids.
  public let centroids: [Double]
  public let clusters: Int
  /// Fraction of the variance kept by the PCA (1 without PCA).
  public let varianceKept: Double

  /// Fits on every row of `sources` (flat row-major arrays of `dimension`
  /// columns), in order: `Projection` then every restart.
  public init(fitting sources: [[Float]], dimension: Int, options: DiscretizationOptions) {
    self.init(Projection(fitting: sources, dimension: dimension, options: options))
  }

  /// The codebook of `projection` with every restart of its problem run
  /// here, in order.
  public init(_ projection: Projection) {
    self.init(projection, runs: projection.problem.restarts.map(projection.problem.run))
  }

  /// The codebook of `projection` with the centroids of the run of least
  /// inertia among `runs` (the first of them on a tie), which are the runs
  /// of `projection.problem`'s restarts in order: at least one (a
  /// precondition; callers holding runs from elsewhere check them first,
  /// as `ClusteringProblem.accepts` does).
  public init(_ projection: Projection, runs: [ClusteringRun]) {
    precondition(!runs.isEmpty, "Codebook: no k-means run")
    dimension = projection.dimension
    normalizeRows = projection.normalizeRows
    mean = projection.mean
    axes = projection.axes
    reduced = projection.reduced
    clusters = projection.clusters
    varianceKept = projection.varianceKept
    var best: ClusteringRun? = nil
    for run in runs where best == nil || run.inertia < best!.inertia { best = run }
    var centroids = best!.centroids
    // Fewer rows than clusters cannot happen (refused earlier); pad anyway.
    while centroids.count < clusters * reduced { centroids += [Double](repeating: .infinity, count: reduced) }
    self.centroids = centroids
  }

  /// A codebook before its centroids: the normalization and PCA fitted on
  /// the rows, and the rows projected for k-means (`problem`).
  public struct Projection: Sendable {
    public let dimension: Int
    public let normalizeRows: Bool
    public let mean: [Double]
    public let axes: [Double]
    public let reduced: Int
    public let clusters: Int
    public let varianceKept: Double
    public let problem: ClusteringProblem

    /// Fits the normalization and PCA on every row of `sources` (flat
    /// row-major arrays of `dimension` columns), in order, and projects them.
    public init(fitting sources: [[Float]], dimension: Int, options: DiscretizationOptions) {
      self.dimension = dimension
      normalizeRows = options.normalizeRows
      let rows = sources.reduce(0) { $0 + $1.count / max(dimension, 1) }
      func row(_ source: [Float], _ r: Int, into out: inout [Double]) {
        var norm = 0.0
        for j in 0..<dimension {
          let v = Double(source[r * dimension + j])
          out[j] = v
          norm += v * v
        }
        if options.normalizeRows && norm > 0 {
          let inverse = 1 / norm.squareRoot()
          for j in 0..<dimension { out[j] *= inverse }
        }
      }
      // Mean and covariance.
      var mean = [Double](repeating: 0, count: dimension)
      var buffer = [Double](repeating: 0, count: dimension)
      for source in sources {
        for r in 0..<(source.count / max(dimension, 1)) {
          row(source, r, into: &buffer)
          for j in 0..<dimension { mean[j] += buffer[j] }
        }
      }
      for j in 0..<dimension { mean[j] /= Double(max(rows, 1)) }
      self.mean = mean
      let usePCA = options.components > 0 && options.components < dimension
      var axes: [Double]
      var kept = 1.0
      if usePCA {
        var covariance = [Double](repeating: 0, count: dimension * dimension)
        // Rows two at a time, in order (a last odd one alone).
        var previous = [Double](repeating: 0, count: dimension)
        var pending = false
        for source in sources {
          for r in 0..<(source.count / dimension) {
            row(source, r, into: &buffer)
            for i in 0..<dimension { buffer[i] -= mean[i] }
            if pending {
              Codebook.addOuterProducts(previous, buffer, into: &covariance)
            } else {
              swap(&previous, &buffer)
            }
            pending.toggle()
          }
        }
        if pending { Codebook.addOuterProducts(previous, nil, into: &covariance) }
        for i in 0..<dimension { for j in 0..<i { covariance[i * dimension + j] = covariance[j * dimension + i] } }
        let (values, vectors) = symmetricEigen(covariance, dimension)
        let order = values.indices.sorted { values[$0] > values[$1] || (values[$0] == values[$1] && $0 < $1) }
        let total = values.reduce(0) { $0 + max(0, $1) }
        axes = []
        var keptSum = 0.0
        for index in order.prefix(options.components) {
          var v = (0..<dimension).map { vectors[$0 * dimension + index] }
          // Sign convention: the largest component is positive.
          if let big = v.indices.max(by: { abs(v[$0]) < abs(v[$1]) }), v[big] < 0 { v = v.map { -$0 } }
          axes += v
          keptSum += max(0, values[index])
        }
        kept = total > 0 ? keptSum / total : 1
      } else {
        axes = []
      }
      self.axes = axes
      varianceKept = kept
      // Project every row.
      var points = [Double]()
      points.reserveCapacity(rows * (usePCA ? options.components : dimension))
      var projected = [Double](repeating: 0, count: usePCA ? options.components : dimension)
      for source in sources {
        for r in 0..<(source.count / max(dimension, 1)) {
          row(source, r, into: &buffer)
          Codebook.project(buffer, mean: mean, axes: axes, reduced: projected.count, usePCA: usePCA, into: &projected)
          points += projected
        }
      }
      reduced = projected.count
      clusters = options.clusters
      problem = ClusteringProblem(points: points, rows: rows, dimension: projected.count,
                                  clusters: min(options.clusters, max(rows, 1)), iterations: options.maximumIterations,
                                  seed: options.seed, restarts: max(1, options.restarts))
    }
  }

  /// Adds `a[i] a[j]`, then `b[i] b[j]` when `b` is given, to `c[i d + j]`
  /// for `j >= i` (the upper triangle, `d = a.count`): each entry's running
  /// sum takes the rows' products in order, one product and one sum each,
  /// entries two at a time in SIMD lanes (the same sums as one entry and
  /// one row at a time).
  static func addOuterProducts(_ a: [Double], _ b: [Double]?, into c: inout [Double]) {
    let d = a.count
    let second = b ?? a
    precondition(second.count == d && c.count >= d * d, "addOuterProducts: sizes")
    let both = b != nil
    a.withUnsafeBufferPointer { ap in
      second.withUnsafeBufferPointer { bp in
        c.withUnsafeMutableBufferPointer { cp in
          let a = ap.baseAddress!, b = bp.baseAddress!, c = cp.baseAddress!
          let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
          for i in 0..<d {
            let ai = a[i], bi = b[i]
            let pa = SIMD2(repeating: ai), pb = SIMD2(repeating: bi)
            let row = UnsafeMutableRawPointer(c + i &* d)
            var j = i
            if both {
              while j &+ 2 <= d {
                let o = j &* 8
                var sum = row.loadUnaligned(fromByteOffset: o, as: SIMD2<Double>.self)
                sum += pa * ra.loadUnaligned(fromByteOffset: o, as: SIMD2<Double>.self)
                sum += pb * rb.loadUnaligned(fromByteOffset: o, as: SIMD2<Double>.self)
                row.storeBytes(of: sum, toByteOffset: o, as: SIMD2<Double>.self)
                j &+= 2
              }
              if j < d { c[i &* d &+ j] = c[i &* d &+ j] + ai * a[j] + bi * b[j] }
            } else {
              while j &+ 2 <= d {
                let o = j &* 8
                let sum = row.loadUnaligned(fromByteOffset: o, as: SIMD2<Double>.self)
                  + pa * ra.loadUnaligned(fromByteOffset: o, as: SIMD2<Double>.self)
                row.storeBytes(of: sum, toByteOffset: o, as: SIMD2<Double>.self)
                j &+= 2
              }
              if j < d { c[i &* d &+ j] += ai * a[j] }
            }
          }
        }
      }
    }
  }

  static func project(_ x: [Double], mean: [Double], axes: [Double], reduced: Int, usePCA: Bool, into out: inout [Double]) {
    let d = x.count
    if usePCA {
      for c in 0..<reduced {
        var s = 0.0
        for j in 0..<d { s += (x[j] - mean[j]) * axes[c * d + j] }
        out[c] = s
      }
    } else {
      for j in 0..<d { out[j] = x[j] - mean[j] }
    }
  }

  /// Codes of every row of `features` (row-major, `dimension` columns).
  public func encode(_ features: [Float]) -> [Int] {
    let n = features.count / max(dimension, 1)
    var codes = [Int](repeating: 0, count: n)
    var buffer = [Double](repeating: 0, count: dimension)
    var projected = [Double](repeating: 0, count: reduced)
    let usePCA = !axes.isEmpty
    for r in 0..<n {
      var norm = 0.0
      for j in 0..<dimension {
        let v = Double(features[r * dimension + j])
        buffer[j] = v
        norm += v * v
      }
      if normalizeRows && norm > 0 {
        let inverse = 1 / norm.squareRoot()
        for j in 0..<dimension { buffer[j] *= inverse }
      }
      Codebook.project(buffer, mean: mean, axes: axes, reduced: reduced, usePCA: usePCA, into: &projected)
      codes[r] = nearest(projected, centroids, clusters: clusters, dimension: reduced)
    }
    return codes
  }
}

func nearest(_ x: [Double], _ centroids: [Double], clusters: Int, dimension: Int) -> Int {
  var best = 0
  var bestDistance = Double.infinity
  for c in 0..<clusters {
    var d2 = 0.0
    for j in 0..<dimension {
      let t = x[j] - centroids[c * dimension + j]
      d2 += t * t
    }
    if d2 < bestDistance { bestDistance = d2; best = c }
  }
  return best
}

/// `Σ_j (x[j] - y[j])²` in the order of `j`.
@inline(__always)
private func distanceSquared(_ x: UnsafePointer<Double>, _ y: UnsafePointer<Double>, _ dimension: Int) -> Double {
  var d2 = 0.0
  for j in 0..<dimension {
    let t = x[j] - y[j]
    d2 += t * t
  }
  return d2
}

/// The k-means problem of one modality: its projected rows and the
/// restarts to run. Each restart has its own seed, so restarts can run in
/// any order or on any process and give the same centroids.
public struct ClusteringProblem: Sendable {
  /// `rows x dimension`, row-major.
  public let points: [Double]
  public let rows: Int, dimension: Int, clusters: Int, iterations: Int
  public let seed: UInt64
  /// The restarts, `0..<count`.
  public let restarts: Range<Int>

  public init(points: [Double], rows: Int, dimension: Int, clusters: Int, iterations: Int, seed: UInt64, restarts: Int) {
    self.points = points
    self.rows = rows
    self.dimension = dimension
    self.clusters = clusters
    self.iterations = iterations
    self.seed = seed
    self.restarts = 0..<restarts
  }

  /// Whether `run` can be a run of this problem: `clusters x dimension`
  /// finite centroids (none without rows) and a finite, non-negative
  /// inertia.
  public func accepts(_ run: ClusteringRun) -> Bool {
    run.centroids.count == (rows > 0 ? clusters * dimension : 0) && run.inertia >= 0 && run.inertia.isFinite
      && run.centroids.allSatisfy(\.isFinite)
  }

  /// Restart `restart`: k-means++ seeding from its own stream, then Lloyd's
  /// iterations.
  public func run(_ restart: Int) -> ClusteringRun {
    var generator = SplitMix64(seed: seed &* 0x9E37_79B9 &+ UInt64(restart) &+ 1)
    let result = kMeans(points, rows: rows, dimension: dimension, clusters: clusters,
                        iterations: iterations, generator: &generator)
    return ClusteringRun(inertia: result.inertia, centroids: result.centroids)
  }
}

/// The outcome of one k-means restart.
public struct ClusteringRun: Sendable, Equatable {
  /// Sum of squared distances from the rows to their centroids.
  public let inertia: Double
  /// `clusters x dimension`, row-major.
  public let centroids: [Double]

  public init(inertia: Double, centroids: [Double]) {
    self.inertia = inertia
    self.centroids = centroids
  }
}

/// Lloyd's k-means with k-means++ seeding. Returns the centroids and the
/// inertia (sum of squared distances). Empty clusters keep their centroid.
///
/// Deterministic: every sum runs in a fixed order (rows in order, then
/// coordinates in order), so the same points and generator give the same
/// centroids bit for bit.
func kMeans(_ points: [Double], rows: Int, dimension: Int, clusters k: Int, iterations: Int,
            generator: inout SplitMix64) -> (inertia: Double, centroids: [Double]) {
  guard rows > 0, k > 0 else { return (0, []) }
  var centroids = [Double](repeating: 0, count: k * dimension)
  let inertia = points.withUnsafeBufferPointer { P in
    centroids.withUnsafeMutableBufferPointer { C in
      let space = KMeansWorkspace(rows: rows, clusters: k, dimension: dimension)
      defer { space.deallocate() }
      seedCentroids(P.baseAddress!, rows: rows, dimension: dimension, clusters: k, into: C.baseAddress!,
                    distance: space.upper, generator: &generator)
      return lloyd(P.baseAddress!, rows: rows, dimension: dimension, clusters: k, iterations: iterations,
                   centroids: C.baseAddress!, space: space)
    }
  }
  return (inertia, centroids)
}

/// Scratch of `kMeans`, allocated once per run.
private struct KMeansWorkspace {
  /// Per row: its centroid (-1 before the first pass), and Hamerly's
  /// upper and lower bounds.
  let assignment: UnsafeMutablePointer<Int>
  let upper: UnsafeMutablePointer<Double>, lower: UnsafeMutablePointer<Double>
  /// Per centroid: half the distance to the nearest other one, its last
  /// move, the number of its rows; and the sums of its rows' coordinates.
  let halfGap: UnsafeMutablePointer<Double>, drift: UnsafeMutablePointer<Double>
  let counts: UnsafeMutablePointer<Int>, sums: UnsafeMutablePointer<Double>
  /// The centroids by coordinate (`transposed[j paddedClusters + c]`),
  /// their count rounded up to a multiple of 4 (padding centroids at 0),
  /// and one row's squared distances to them.
  let paddedClusters: Int
  let transposed: UnsafeMutablePointer<Double>, distances: UnsafeMutablePointer<Double>

  init(rows: Int, clusters k: Int, dimension: Int) {
    paddedClusters = (k + 3) / 4 * 4
    transposed = .allocate(capacity: dimension * paddedClusters)
    transposed.initialize(repeating: 0, count: dimension * paddedClusters)
    distances = .allocate(capacity: paddedClusters)
    distances.initialize(repeating: 0, count: paddedClusters)
    assignment = .allocate(capacity: rows)
    assignment.initialize(repeating: -1, count: rows)
    upper = .allocate(capacity: rows)
    upper.initialize(repeating: .infinity, count: rows)
    lower = .allocate(capacity: rows)
    lower.initialize(repeating: 0, count: rows)
    halfGap = .allocate(capacity: k)
    halfGap.initialize(repeating: 0, count: k)
    drift = .allocate(capacity: k)
    drift.initialize(repeating: 0, count: k)
    counts = .allocate(capacity: k)
    counts.initialize(repeating: 0, count: k)
    sums = .allocate(capacity: k * dimension)
    sums.initialize(repeating: 0, count: k * dimension)
  }

  func deallocate() {
    assignment.deallocate()
    upper.deallocate()
    lower.deallocate()
    halfGap.deallocate()
    drift.deallocate()
    counts.deallocate()
    sums.deallocate()
    transposed.deallocate()
    distances.deallocate()
  }
}

/// Writes `distanceSquared(x, centroid c)` for every centroid to
/// `space.distances[c]`, four centroids at a time: each lane adds the same
/// terms in the same order as `distanceSquared`, so the values are
/// identical to it.
@inline(__always)
private func distancesToCentroids(_ x: UnsafePointer<Double>, dimension: Int, space: KMeansWorkspace) {
  let width = space.paddedClusters
  let columns = UnsafeRawPointer(space.transposed), out = UnsafeMutableRawPointer(space.distances)
  let stride = MemoryLayout<Double>.stride
  for c in Swift.stride(from: 0, to: width, by: 4) {
    var d2 = SIMD4<Double>()
    for j in 0..<dimension {
      let t = SIMD4<Double>(repeating: x[j]) - columns.loadUnaligned(fromByteOffset: (j &* width &+ c) &* stride, as: SIMD4<Double>.self)
      d2 += t * t
    }
    out.storeBytes(of: d2, toByteOffset: c &* stride, as: SIMD4<Double>.self)
  }
}

/// k-means++ seeding: the first centroid a uniformly drawn row, each next
/// one a row drawn with probability proportional to its squared distance
/// to the nearest centroid so far (uniformly when all distances are 0).
/// Draws exactly `k` numbers from `generator`. `distance` is `rows` of
/// scratch, left holding +infinity.
private func seedCentroids(_ points: UnsafePointer<Double>, rows: Int, dimension: Int, clusters k: Int,
                           into centroids: UnsafeMutablePointer<Double>, distance: UnsafeMutablePointer<Double>,
                           generator: inout SplitMix64) {
  var first = Int(generator.next() % UInt64(rows))
  centroids.update(from: points + first &* dimension, count: dimension)
  distance.update(repeating: .infinity, count: rows)
  for c in 1..<max(k, 1) {
    let previous = centroids + (c &- 1) &* dimension
    var total = 0.0
    for r in 0..<rows {
      let nearer = min(distance[r], distanceSquared(points + r &* dimension, previous, dimension))
      distance[r] = nearer
      total += nearer
    }
    if total > 0 {
      var target = generator.unit() * total
      first = rows - 1
      for r in 0..<rows {
        target -= distance[r]
        if target <= 0 { first = r; break }
      }
    } else {
      first = Int(generator.next() % UInt64(rows))
    }
    (centroids + c &* dimension).update(from: points + first &* dimension, count: dimension)
  }
  distance.update(repeating: .infinity, count: rows)
}

/// Lloyd's iterations from the seeded `centroids` (updated in place), at
/// most `iterations` (at least one); returns the inertia of the last
/// assignment pass.
///
/// Hamerly's bounds: `upper[r]` is at least the distance from row r to its
/// centroid, `lower[r]` at most its distance to any other centroid. A row
/// whose upper bound is below both its lower bound and half the distance
/// from its centroid to the nearest other one keeps its centroid without a
/// scan. The bounds are compared with a relative margin far above
/// rounding, so a row is skipped only where the full scan would choose the
/// same centroid as the unique strict minimum: the assignments, the
/// inertia (the squared distance to the assigned centroid, computed the
/// same way) and the centroids are those of the plain algorithm.
private func lloyd(_ points: UnsafePointer<Double>, rows: Int, dimension: Int, clusters k: Int, iterations: Int,
                   centroids: UnsafeMutablePointer<Double>, space: KMeansWorkspace) -> Double {
  let assignment = space.assignment, upper = space.upper, lower = space.lower
  let halfGap = space.halfGap, drift = space.drift, counts = space.counts, sums = space.sums
  let distances = space.distances
  var inertia = 0.0
  var previousInertia = Double.infinity
  let margin = 1e-9
  for _ in 0..<max(1, iterations) {
    var changed = false
    inertia = 0
    for c in 0..<k {
      var nearest = Double.infinity
      for other in 0..<k where other != c {
        nearest = min(nearest, distanceSquared(centroids + c &* dimension, centroids + other &* dimension, dimension))
      }
      halfGap[c] = 0.5 * nearest.squareRoot()
      for j in 0..<dimension { space.transposed[j &* space.paddedClusters &+ c] = centroids[c &* dimension &+ j] }
    }
    for r in 0..<rows {
      let x = points + r &* dimension
      let current = assignment[r]
      if current >= 0 {
        let bound = max(halfGap[current], lower[r]) * (1 - margin)
        if upper[r] * (1 + margin) < bound {
          inertia += distanceSquared(x, centroids + current &* dimension, dimension)
          continue
        }
        let d2 = distanceSquared(x, centroids + current &* dimension, dimension)
        upper[r] = d2.squareRoot()
        if upper[r] * (1 + margin) < bound {
          inertia += d2
          continue
        }
      }
      // Full scan: the first centroid of least squared distance.
      distancesToCentroids(x, dimension: dimension, space: space)
      var best = 0
      var bestDistance = Double.infinity
      var second = Double.infinity
      for c in 0..<k {
        let d2 = distances[c]
        if d2 < bestDistance {
          second = bestDistance
          bestDistance = d2
          best = c
        } else if d2 < second {
          second = d2
        }
      }
      inertia += bestDistance
      upper[r] = bestDistance.squareRoot()
      lower[r] = second.squareRoot()
      if current != best { assignment[r] = best; changed = true }
    }
    sums.update(repeating: 0, count: k &* dimension)
    counts.update(repeating: 0, count: k)
    for r in 0..<rows {
      let c = assignment[r]
      counts[c] &+= 1
      let sum = sums + c &* dimension, x = points + r &* dimension
      for j in 0..<dimension { sum[j] += x[j] }
    }
    var largestDrift = 0.0, secondDrift = 0.0
    for c in 0..<k {
      drift[c] = 0
      guard counts[c] > 0 else { continue }
      var moved = 0.0
      let centroid = centroids + c &* dimension, sum = sums + c &* dimension
      for j in 0..<dimension {
        let updated = sum[j] / Double(counts[c])
        let t = updated - centroid[j]
        moved += t * t
        centroid[j] = updated
      }
      drift[c] = moved.squareRoot()
      if drift[c] > largestDrift {
        secondDrift = largestDrift
        largestDrift = drift[c]
      } else if drift[c] > secondDrift {
        secondDrift = drift[c]
      }
    }
    // Bounds moved by the centroids' drift (a row's lower bound by the
    // largest drift of the other centroids).
    for r in 0..<rows where assignment[r] >= 0 {
      let c = assignment[r]
      upper[r] += drift[c]
      lower[r] = max(0, lower[r] - (drift[c] == largestDrift ? secondDrift : largestDrift))
    }
    // Converged: no reassignment, or the inertia no longer improves by a
    // relative 1e-9 (deterministic: the same data give the same stop).
    if !changed || previousInertia - inertia <= 1e-9 * inertia { break }
    previousInertia = inertia
  }
  return inertia
}

/// Eigenvalues and eigenvectors (columns of the row-major result) of a
/// symmetric `n x n` matrix, by cyclic Jacobi rotations.
func symmetricEigen(_ matrix: [Double], _ n: Int) -> (values: [Double], vectors: [Double]) {
  var a = matrix
  var v = [Double](repeating: 0, count: n * n)
  for i in 0..<n { v[i * n + i] = 1 }
  for _ in 0..<100 {
    var off = 0.0
    for i in 0..<n { for j in (i + 1)..<max(i + 1, n) { off += a[i * n + j] * a[i * n + j] } }
    if off < 1e-22 { break }
    for p in 0..<n {
      for q in (p + 1)..<max(p + 1, n) {
        let apq = a[p * n + q]
        guard abs(apq) > 1e-300 else { continue }
        let theta = (a[q * n + q] - a[p * n + p]) / (2 * apq)
        let t = (theta >= 0 ? 1 : -1) / (abs(theta) + (theta * theta + 1).squareRoot())
        let c = 1 / (t * t + 1).squareRoot(), s = t * c
        for k in 0..<n {
          let akp = a[k * n + p], akq = a[k * n + q]
          a[k * n + p] = c * akp - s * akq
          a[k * n + q] = s * akp + c * akq
        }
        for k in 0..<n {
          let apk = a[p * n + k], aqk = a[q * n + k]
          a[p * n + k] = c * apk - s * aqk
          a[q * n + k] = s * apk + c * aqk
        }
        for k in 0..<n {
          let vkp = v[k * n + p], vkq = v[k * n + q]
          v[k * n + p] = c * vkp - s * vkq
          v[k * n + q] = s * vkp + c * vkq
        }
      }
    }
  }
  return ((0..<n).map { a[$0 * n + $0] }, v)
}
