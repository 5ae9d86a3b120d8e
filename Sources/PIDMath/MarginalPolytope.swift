import RealModule

/// The polytope `Δ3` of joints `r(x1, x2, y)` with three fixed pairwise
/// marginals, written as `r(z) = base + G z >= 0` over free coordinates
/// `z ∈ R^d`.
///
/// `G`'s columns span the directions that keep every pairwise marginal and
/// every cell forced to zero (a zero pairwise entry) fixed, so `d` is
/// `(n1-1)(n2-1)(k-1)` when all pairwise entries are positive, less
/// otherwise. `base` is a member of Δ3 (a fitted or given joint, or the
/// maximum-entropy one).
struct MarginalPolytope {
  let cells: Int
  /// `cells x d`, row-major: row `i` is the gradient of cell `i` in `z`.
  let directions: [Double]
  let dimension: Int
  private(set) var base: [Double]
  /// Cells that may carry mass (not forced to zero).
  let free: [Int]
  /// The cell that coordinate `j` moves alone: `directions` restricted to
  /// these rows is the identity, so `z[j] = r[coordinateCells[j]] -
  /// base[coordinateCells[j]]` for every `r = base + G z`.
  let coordinateCells: [Int]
  let n1: Int, n2: Int, k: Int
  /// The pairwise marginals of `base`, `x1x2` then `x1y` then `x2y`.
  private(set) var marginals: [Double]

  /// The same polytope (same directions and forced cells) based at
  /// `point`, whose pairwise marginals must have the zero pattern of
  /// `base`'s (e.g. the maximum-entropy joint of the same marginals).
  func rebased(at point: [Double]) -> MarginalPolytope {
    var copy = self
    copy.base = point
    let sums = pairwiseSums(point, n1: n1, n2: n2, k: k)
    copy.marginals = sums.x1x2 + sums.x1y + sums.x2y
    return copy
  }

  init(n1: Int, n2: Int, k: Int, base: [Double]) {
    let cells = n1 * n2 * k
    self.cells = cells
    self.base = base
    // Constraint rows: pairwise marginals, and forced zeros.
    var rows: [[Double]] = []
    var forced = [Bool](repeating: false, count: cells)
    let (mass12, mass1y, mass2y) = pairwiseSums(base, n1: n1, n2: n2, k: k)
    self.n1 = n1
    self.n2 = n2
    self.k = k
    marginals = mass12 + mass1y + mass2y
    for a in 0..<n1 {
      for b in 0..<n2 {
        for y in 0..<k where mass12[a * n2 + b] == 0 || mass1y[a * k + y] == 0 || mass2y[b * k + y] == 0 {
          forced[(a * n2 + b) * k + y] = true
        }
      }
    }
    func row(_ members: (Int) -> Bool) -> [Double] { (0..<cells).map { members($0) ? 1 : 0 } }
    for a in 0..<n1 { for b in 0..<n2 { rows.append(row { $0 / k == a * n2 + b }) } }
    for a in 0..<n1 { for y in 0..<k { rows.append(row { $0 % k == y && $0 / (n2 * k) == a }) } }
    for b in 0..<n2 { for y in 0..<k { rows.append(row { $0 % k == y && ($0 / k) % n2 == b }) } }
    for c in 0..<cells where forced[c] { rows.append(row { $0 == c }) }
    let (basis, coordinates) = nullSpaceWithCoordinates(rows, columns: cells)
    coordinateCells = coordinates
    dimension = basis.count
    var g = [Double](repeating: 0, count: cells * basis.count)
    for (j, v) in basis.enumerated() { for i in 0..<cells { g[i * basis.count + j] = v[i] } }
    directions = g
    free = (0..<cells).filter { !forced[$0] }
  }

  /// `base + G z`.
  func point(_ z: [Double]) -> [Double] {
    var r = base
    for i in 0..<cells {
      var s = 0.0
      for j in 0..<dimension { s += directions[i * dimension + j] * z[j] }
      r[i] += s
    }
    return r
  }

  func gradientRow(_ cell: Int) -> [Double] {
    Array(directions[(cell * dimension)..<((cell + 1) * dimension)])
  }

  /// The vertex where the cells `tight` (d of them, linearly independent)
  /// are zero, or nil if singular or infeasible (some cell below
  /// `-tolerance`).
  func vertex(tight: [Int], tolerance: Double = 1e-12) -> [Double]? {
    let d = dimension
    var matrix = [Double](repeating: 0, count: d * d)
    var rhs = [Double](repeating: 0, count: d)
    for (row, cell) in tight.enumerated() {
      for j in 0..<d { matrix[row * d + j] = directions[cell * d + j] }
      rhs[row] = -base[cell]
    }
    var pivots = [Int](repeating: 0, count: d)
    let ok = matrix.withUnsafeMutableBufferPointer { M in
      pivots.withUnsafeMutableBufferPointer { P in luFactor(M.baseAddress!, d, P.baseAddress!) }
    }
    guard ok else { return nil }
    var smallest = Double.infinity, largest = 0.0
    for i in 0..<d {
      smallest = min(smallest, abs(matrix[i * d + i]))
      largest = max(largest, abs(matrix[i * d + i]))
    }
    guard smallest > 1e-10 * largest else { return nil }
    matrix.withUnsafeBufferPointer { M in
      pivots.withUnsafeBufferPointer { P in
        rhs.withUnsafeMutableBufferPointer { r in luSolveFactored(M.baseAddress!, d, P.baseAddress!, r.baseAddress!) }
      }
    }
    var r = point(rhs)
    for i in 0..<cells {
      if r[i] < -tolerance { return nil }
      if r[i] < 0 { r[i] = 0 }
    }
    return r
  }
}

/// An orthonormal-free basis of the null space of `rows` (reduced row
/// echelon form with partial pivoting): one vector per free column.
func nullSpace(_ rows: [[Double]], columns: Int) -> [[Double]] {
  nullSpaceWithCoordinates(rows, columns: columns).basis
}

/// `nullSpace`, with the free column of each vector (where it is 1 and
/// every other vector 0).
func nullSpaceWithCoordinates(_ rows: [[Double]], columns: Int) -> (basis: [[Double]], coordinates: [Int]) {
  var m = rows
  var pivotColumns: [Int] = []
  var rank = 0
  for column in 0..<columns {
    guard rank < m.count else { break }
    var best = rank
    for i in rank..<m.count where abs(m[i][column]) > abs(m[best][column]) { best = i }
    guard abs(m[best][column]) > 1e-9 else { continue }
    m.swapAt(rank, best)
    let pivot = m[rank][column]
    for j in 0..<columns { m[rank][j] /= pivot }
    for i in 0..<m.count where i != rank && m[i][column] != 0 {
      let factor = m[i][column]
      for j in 0..<columns { m[i][j] -= factor * m[rank][j] }
    }
    pivotColumns.append(column)
    rank += 1
  }
  let pivotSet = Set(pivotColumns)
  var basis: [[Double]] = []
  var coordinates: [Int] = []
  for freeColumn in 0..<columns where !pivotSet.contains(freeColumn) {
    var v = [Double](repeating: 0, count: columns)
    v[freeColumn] = 1
    for (i, p) in pivotColumns.enumerated() { v[p] = -m[i][freeColumn] }
    basis.append(v)
    coordinates.append(freeColumn)
  }
  return (basis, coordinates)
}

/// The smallest joint entropy `H_r(X1,X2,Y)` over Δ3, in bits.
///
/// `H_r` is concave, so its minimum over the polytope is at a vertex.
/// `exact` enumerates every choice of `d` cells set to zero (a search tree
/// whose top-level branches are independent nodes) and returns the exact
/// minimum; `descend` follows concave descent from the maximum-entropy point
/// to vertices (randomized restarts) and returns the best vertex found, an
/// inner estimate that is not a bound.
struct ConcaveEntropyMinimizer {
  let polytope: MarginalPolytope

  /// Number of top-level search nodes (first zero cell).
  var nodeCount: Int { max(0, polytope.free.count - polytope.dimension + 1) }

  /// Exact minimum over the vertices whose first (lowest) zero cell is
  /// `polytope.free[node]`; `nil` if that node has no vertex.
  func exactMinimum(node: Int) -> (entropy: Double, joint: [Double])? {
    let d = polytope.dimension
    let free = polytope.free
    guard d > 0 else { return (entropy(polytope.base), polytope.base) }
    var best: (Double, [Double])? = nil
    var chosen = [free[node]]
    // Incremental echelon form of chosen gradient rows, to skip dependent
    // choices early.
    func independent(_ rows: [Int]) -> Bool {
      var m = rows.map { polytope.gradientRow($0) }
      var rank = 0
      for column in 0..<d where rank < m.count {
        var bestRow = rank
        for i in rank..<m.count where abs(m[i][column]) > abs(m[bestRow][column]) { bestRow = i }
        guard abs(m[bestRow][column]) > 1e-9 else { continue }
        m.swapAt(rank, bestRow)
        for i in (rank + 1)..<max(rank + 1, m.count) {
          let f = m[i][column] / m[rank][column]
          for j in column..<d { m[i][j] -= f * m[rank][j] }
        }
        rank += 1
      }
      return rank == m.count
    }
    func extend(from start: Int) {
      if chosen.count == d {
        if let r = polytope.vertex(tight: chosen) {
          let h = entropy(r)
          if best == nil || h < best!.0 { best = (h, r) }
        }
        return
      }
      let remaining = d - chosen.count
      guard start + remaining <= free.count else { return }
      for index in start...(free.count - remaining) {
        chosen.append(free[index])
        if independent(chosen) { extend(from: index + 1) }
        chosen.removeLast()
      }
    }
    guard independent(chosen) else { return nil }
    extend(from: node + 1)
    return best.map { (entropy: $0.0, joint: $0.1) }
  }

  /// Best vertex found by `restarts` concave descents (deterministic seed).
  func descend(restarts: Int, seed: UInt64) -> (entropy: Double, joint: [Double]) {
    let d = polytope.dimension
    var state = seed
    func uniform() -> Double {
      state &+= 0x9E37_79B9_7F4A_7C15
      var z = state
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return Double((z ^ (z >> 31)) >> 11) / Double(1 << 53) - 0.5
    }
    var best = (entropy: entropy(polytope.base), joint: polytope.base)
    guard d > 0 else { return best }
    for restart in 0..<max(1, restarts) {
      var z = [Double](repeating: 0, count: d)
      var tight: [[Double]] = []  // orthonormalized tight gradient rows
      var tightCells = Set<Int>()
      for _ in 0..<d {
        let r = polytope.point(z)
        // Descent direction: minus the gradient of H in z, plus noise on
        // restarts after the first, projected onto the current face.
        var u = [Double](repeating: 0, count: d)
        for i in polytope.free where r[i] > 0 {
          let dh = -(Double.log(r[i]) + 1)
          for j in 0..<d { u[j] -= dh * polytope.directions[i * d + j] }
        }
        var norm = u.reduce(0) { $0 + $1 * $1 }.squareRoot()
        if restart > 0 || norm < 1e-14 {
          let noise = max(norm, 1) * (restart == 0 ? 1 : 2)
          for j in 0..<d { u[j] += noise * uniform() }
        }
        for t in tight {
          let dot = zip(u, t).reduce(0) { $0 + $1.0 * $1.1 }
          for j in 0..<d { u[j] -= dot * t[j] }
        }
        norm = u.reduce(0) { $0 + $1 * $1 }.squareRoot()
        guard norm > 1e-14 else { break }
        // Longest step keeping every free cell nonnegative.
        var step = Double.infinity
        var blocking = -1
        for i in polytope.free where !tightCells.contains(i) {
          var rate = 0.0
          for j in 0..<d { rate += polytope.directions[i * d + j] * u[j] }
          if rate < -1e-15 {
            let t = r[i] / -rate
            if t < step { step = t; blocking = i }
          }
        }
        guard blocking >= 0, step.isFinite else { break }
        for j in 0..<d { z[j] += step * u[j] }
        tightCells.insert(blocking)
        var row = polytope.gradientRow(blocking)
        for t in tight {
          let dot = zip(row, t).reduce(0) { $0 + $1.0 * $1.1 }
          for j in 0..<d { row[j] -= dot * t[j] }
        }
        let rowNorm = row.reduce(0) { $0 + $1 * $1 }.squareRoot()
        if rowNorm > 1e-12 { tight.append(row.map { $0 / rowNorm }) }
      }
      var r = polytope.point(z)
      // Only members of Δ3 count (rounding aside): a point that left the
      // polytope is dropped.
      guard r.allSatisfy({ $0 >= -1e-12 }) else { continue }
      for i in r.indices where r[i] < 0 { r[i] = 0 }
      let sums = pairwiseSums(r, n1: polytope.n1, n2: polytope.n2, k: polytope.k)
      guard zip(sums.x1x2 + sums.x1y + sums.x2y, polytope.marginals).allSatisfy({ abs($0.0 - $0.1) <= 1e-9 }) else { continue }
      let h = entropy(r)
      if h < best.entropy { best = (h, r) }
    }
    return best
  }
}
