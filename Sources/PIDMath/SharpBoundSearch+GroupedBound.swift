import RealModule

extension SharpBoundSearch {
  /// Largest row (number of variables) of a kept marginal whose vertices
  /// `groupedBound` enumerates (`g · 2^(g-1)` of them).
  static let groupSizeLimit = 6

  /// The pairwise marginals (0 `p(x1,x2)`, 1 `p(x1,y)`, 2 `p(x2,y)`) whose
  /// rows are all small enough for `groupedBound`.
  static func groupFamilies(rowMembers: [[Int]], rowFamily: [Int]) -> [Int] {
    (0..<3).filter { family in
      rowMembers.indices.contains { rowFamily[$0] == family }
        && rowMembers.indices.allSatisfy { rowFamily[$0] != family || rowMembers[$0].count <= groupSizeLimit }
    }
  }

  /// The vertices (within rounding) of one kept row's polytope
  /// `{l <= x <= u, Σ_G x = b_G}` over a box, and `Σ_{c ∈ G} f(x_c)` at
  /// each.
  struct GroupVertices {
    var members: [Int]
    /// `members.count` coordinates per vertex.
    var points: [Double]
    var entropies: [Double]
    /// Bounds the error in `f` from clamping a vertex's free variable into
    /// its interval (before the slope term, added per multiplier).
    var clampingEntropy: Double
    var clampingDistance: Double
  }

  /// The vertices of every kept row of `family` on the box: all but one
  /// variable at an end, the last fixed by the row; candidates within
  /// rounding of the interval count (clamped into it). Nil when some row
  /// has none (the box is then empty, up to rounding).
  func groupVertices(family: Int, lower: [Double], upper: [Double]) -> [GroupVertices]? {
    var groups: [GroupVertices] = []
    for (row, members) in rowMembers.enumerated() where rowFamily[row] == family {
      let b = constraints.rightHandSide[row], g = members.count
      var scale = abs(b)
      for j in members { scale = max(scale, abs(lower[j]), abs(upper[j])) }
      let tolerance = Double(2 * g + 4) * Double.ulpOfOne * Double(g + 1) * scale
      var group = GroupVertices(members: members, points: [], entropies: [], clampingEntropy: 0, clampingDistance: 2 * tolerance)
      var candidate = [Double](repeating: 0, count: g)
      for free in 0..<g {
        for mask in 0..<(1 << (g - 1)) {
          var rest = b, bit = 0
          for (position, j) in members.enumerated() where position != free {
            candidate[position] = mask & (1 << bit) != 0 ? upper[j] : lower[j]
            bit += 1
            rest -= candidate[position]
          }
          let j = members[free]
          guard rest >= lower[j] - tolerance, rest <= upper[j] + tolerance else { continue }
          candidate[free] = min(max(rest, lower[j]), upper[j])
          group.points += candidate
          group.entropies.append(candidate.reduce(0) { $0 + Self.f($1) })
        }
      }
      guard !group.entropies.isEmpty else { return nil }
      // |f(t) - f(t')| <= f(δ) + 1.45 δ for |t - t'| <= δ on [0, 1].
      group.clampingEntropy = Self.f(min(group.clampingDistance, 0.3)) + 1.45 * group.clampingDistance
      groups.append(group)
    }
    return groups
  }

  /// A lower bound on `min H` over the box's members of Δ3 that keeps the
  /// rows of one pairwise marginal (`family`) exact and relaxes the others
  /// with the multipliers `y` (entries of the kept rows are ignored), minus
  /// a rounding margin; also the minimizers, one value per variable.
  ///
  /// With `a = Aᵀy` over the relaxed rows, every member `x` of the box has
  /// `H(x) = Σ_{relaxed} b_i y_i + Σ_G Σ_{c ∈ G} (f(x_c) - a_c x_c)`, the
  /// groups `G` being the kept rows (`Σ_{c ∈ G} x_c = b_G`, each variable
  /// in one of them). Each group's term is concave, so its minimum over
  /// `{l <= x <= u, Σ_G x = b_G}` is at a vertex of that polytope
  /// (`groupVertices`). The bound is the sum of those minima, valid for
  /// any `y`; it is never below the bound with all rows relaxed
  /// (`lagrangianBound`) for the same `y`, and for the best `y` it is the
  /// minimum of the problem with each group's convex envelope. The margin
  /// covers rounding and the clamping of near-vertices.
  func groupedBound(_ y: [Double], family: Int, groups: [GroupVertices]) -> (bound: Double, minimizer: [Double]) {
    var relaxed = y
    for row in relaxed.indices where rowFamily[row] == family { relaxed[row] = 0 }
    let a = constraints.transposeProduct(relaxed)
    var sum = 0.0, magnitude = 0.0, clamping = 0.0
    for (bi, yi) in zip(constraints.rightHandSide, relaxed) { sum += bi * yi; magnitude += abs(bi * yi) }
    var minimizer = [Double](repeating: 0, count: variables.count)
    for group in groups {
      let g = group.members.count
      var best = Double.infinity, bestIndex = 0, largest = 0.0, slope = 0.0
      for (index, entropy) in group.entropies.enumerated() {
        var value = entropy, linear = 0.0
        for (position, j) in group.members.enumerated() {
          let term = a[j] * group.points[index * g + position]
          value -= term
          linear += abs(term)
        }
        largest = max(largest, abs(entropy) + linear)
        if value < best { best = value; bestIndex = index }
      }
      for (position, j) in group.members.enumerated() {
        minimizer[j] = group.points[bestIndex * g + position]
        slope = max(slope, abs(a[j]))
      }
      sum += best
      magnitude += largest
      clamping += group.clampingEntropy + slope * group.clampingDistance
    }
    guard sum.isFinite else { return (-.infinity, minimizer) }
    return (sum - clamping - Self.roundingMargin(terms: constraints.rows + 4 * variables.count, magnitude: magnitude), minimizer)
  }

  /// The best `groupedBound` over the families in `groupFamilies`, from the
  /// multipliers `y` improved by up to `steps` subgradient steps (Polyak's
  /// rule toward `target`); every value tried is a valid bound, and the
  /// largest is returned. Stops early once the bound reaches `target`.
  func improvedGroupedBound(_ y: [Double], lower: [Double], upper: [Double], target: Double, steps: Int) -> Double {
    var best = -Double.infinity, bestFamily = -1
    var bestGroups: [GroupVertices] = []
    for family in groupFamilies {
      guard let groups = groupVertices(family: family, lower: lower, upper: upper) else { continue }
      let value = groupedBound(y, family: family, groups: groups).bound
      if value > best { best = value; bestFamily = family; bestGroups = groups }
    }
    guard bestFamily >= 0, best < target, steps > 0 else { return best }
    var multipliers = y
    var current = groupedBound(multipliers, family: bestFamily, groups: bestGroups)
    var scale = 1.0
    for _ in 0..<steps {
      guard current.bound.isFinite else { break }
      // Subgradient over the relaxed rows: b - A x at the minimizer.
      var direction = constraints.rightHandSide
      var norm = 0.0
      for (row, members) in rowMembers.enumerated() {
        if rowFamily[row] == bestFamily { direction[row] = 0; continue }
        for j in members { direction[row] -= current.minimizer[j] }
        norm += direction[row] * direction[row]
      }
      guard norm > 1e-300 else { break }
      let step = scale * (target - current.bound) / norm
      var trial = multipliers
      for row in trial.indices { trial[row] += step * direction[row] }
      let next = groupedBound(trial, family: bestFamily, groups: bestGroups)
      if next.bound > current.bound {
        multipliers = trial
        current = next
        best = max(best, next.bound)
        if best >= target { break }
      } else {
        scale /= 2
      }
    }
    return best
  }
}
