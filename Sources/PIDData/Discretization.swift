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
  /// columns), in order.
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
      for source in sources {
        for r in 0..<(source.count / dimension) {
          row(source, r, into: &buffer)
          for i in 0..<dimension { buffer[i] -= mean[i] }
          for i in 0..<dimension {
            let bi = buffer[i]
            for j in i..<dimension { covariance[i * dimension + j] += bi * buffer[j] }
          }
        }
      }
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
      reduced = options.components
    } else {
      axes = []
      reduced = dimension
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
    let k = min(options.clusters, max(rows, 1))
    clusters = options.clusters
    var best: (inertia: Double, centroids: [Double])? = nil
    for restart in 0..<max(1, options.restarts) {
      var generator = SplitMix64(seed: options.seed &* 0x9E37_79B9 &+ UInt64(restart) &+ 1)
      let result = kMeans(points, rows: rows, dimension: projected.count, clusters: k,
                          iterations: options.maximumIterations, generator: &generator)
      if best == nil || result.inertia < best!.inertia { best = result }
    }
    var centroids = best?.centroids ?? []
    // Fewer rows than clusters cannot happen (refused earlier); pad anyway.
    while centroids.count < options.clusters * projected.count { centroids += [Double](repeating: .infinity, count: projected.count) }
    self.centroids = centroids
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

@inline(__always)
private func squaredDistance(_ x: [Double], _ i: Int, _ y: [Double], _ j: Int, _ dimension: Int) -> Double {
  x.withUnsafeBufferPointer { X in y.withUnsafeBufferPointer { Y in distanceSquared(X.baseAddress! + i, Y.baseAddress! + j, dimension) } }
}

/// Lloyd's k-means with k-means++ seeding. Returns the centroids and the
/// inertia (sum of squared distances). Empty clusters keep their centroid.
func kMeans(_ points: [Double], rows: Int, dimension: Int, clusters k: Int, iterations: Int,
            generator: inout SplitMix64) -> (inertia: Double, centroids: [Double]) {
  guard rows > 0, k > 0 else { return (0, []) }
  var centroids = [Double](repeating: 0, count: k * dimension)
  // k-means++.
  var first = Int(generator.next() % UInt64(rows))
  for j in 0..<dimension { centroids[j] = points[first * dimension + j] }
  var distance = [Double](repeating: .infinity, count: rows)
  for c in 1..<max(k, 1) {
    var total = 0.0
    for r in 0..<rows {
      var d2 = 0.0
      for j in 0..<dimension {
        let t = points[r * dimension + j] - centroids[(c - 1) * dimension + j]
        d2 += t * t
      }
      distance[r] = min(distance[r], d2)
      total += distance[r]
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
    for j in 0..<dimension { centroids[c * dimension + j] = points[first * dimension + j] }
  }
  var assignment = [Int](repeating: -1, count: rows)
  var inertia = 0.0
  var previousInertia = Double.infinity
  var sums = [Double](repeating: 0, count: k * dimension)
  var counts = [Int](repeating: 0, count: k)
  // Hamerly's bounds: `upper[r]` is at least the distance from row r to its
  // centroid, `lower[r]` at most its distance to any other centroid. A row
  // whose upper bound is below both its lower bound and half the distance
  // from its centroid to the nearest other one keeps its centroid without a
  // scan. The bounds are compared with a relative margin far above
  // rounding, so a row is skipped only where the full scan would choose the
  // same centroid as the unique strict minimum: the assignments, the
  // inertia (the squared distance to the assigned centroid, computed the
  // same way) and the centroids are those of the plain algorithm.
  var upper = [Double](repeating: .infinity, count: rows)
  var lower = [Double](repeating: 0, count: rows)
  var halfGap = [Double](repeating: 0, count: k)
  var drift = [Double](repeating: 0, count: k)
  let margin = 1e-9
  for _ in 0..<max(1, iterations) {
    var changed = false
    inertia = 0
    for c in 0..<k {
      var nearest = Double.infinity
      for other in 0..<k where other != c {
        nearest = min(nearest, squaredDistance(centroids, c * dimension, centroids, other * dimension, dimension))
      }
      halfGap[c] = 0.5 * nearest.squareRoot()
    }
    points.withUnsafeBufferPointer { P in
      centroids.withUnsafeBufferPointer { C in
        assignment.withUnsafeMutableBufferPointer { A in
          for r in 0..<rows {
            let x = P.baseAddress! + r * dimension
            let current = A[r]
            if current >= 0 {
              let bound = max(halfGap[current], lower[r]) * (1 - margin)
              if upper[r] * (1 + margin) < bound {
                inertia += distanceSquared(x, C.baseAddress! + current * dimension, dimension)
                continue
              }
              let d2 = distanceSquared(x, C.baseAddress! + current * dimension, dimension)
              upper[r] = d2.squareRoot()
              if upper[r] * (1 + margin) < bound {
                inertia += d2
                continue
              }
            }
            // Full scan: the first centroid of least squared distance.
            var best = 0
            var bestDistance = Double.infinity
            var second = Double.infinity
            for c in 0..<k {
              let d2 = distanceSquared(x, C.baseAddress! + c * dimension, dimension)
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
            if A[r] != best { A[r] = best; changed = true }
          }
        }
      }
    }
    for i in sums.indices { sums[i] = 0 }
    for i in counts.indices { counts[i] = 0 }
    for r in 0..<rows {
      let c = assignment[r]
      counts[c] += 1
      for j in 0..<dimension { sums[c * dimension + j] += points[r * dimension + j] }
    }
    var largestDrift = 0.0, secondDrift = 0.0
    for c in 0..<k {
      drift[c] = 0
      guard counts[c] > 0 else { continue }
      var moved = 0.0
      for j in 0..<dimension {
        let updated = sums[c * dimension + j] / Double(counts[c])
        let t = updated - centroids[c * dimension + j]
        moved += t * t
        centroids[c * dimension + j] = updated
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
  return (inertia, centroids)
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
