extension SharpBoundSearch {
  /// Result of `propagate`.
  enum Propagation: Equatable {
    /// The box was tightened (or left as it was); every member of Δ3 in
    /// the old box is in the new one.
    case feasible
    /// The box holds no member of Δ3.
    case empty
  }

  /// Feasibility-based bound tightening: shrinks the box through the
  /// equality rows and proves boxes empty.
  ///
  /// For a row `Σ_{c ∈ R} r_c = b` every member of the box satisfies
  /// `r_c >= b - Σ_{c' ≠ c} u_{c'}` and `r_c <= b - Σ_{c' ≠ c} l_{c'}`
  /// (sums taken over the box as it was when the row's sweep began);
  /// the new ends are rounded outward by `roundingMargin`, so no member of
  /// Δ3 leaves the box whatever the floating-point error. A row whose
  /// `Σ l` exceeds `b` (or `Σ u` falls short of it) by more than rounding
  /// proves the box empty. Rows are swept up to `passes` times, until no
  /// end moves by more than `1e-9` of its interval.
  func propagate(lower: inout [Double], upper: inout [Double], passes: Int = 4) -> Propagation {
    for _ in 0..<passes {
      var moved = false
      for (row, members) in rowMembers.enumerated() {
        let b = constraints.rightHandSide[row]
        var sumLower = 0.0, sumUpper = 0.0, magnitude = abs(b)
        for j in members {
          sumLower += lower[j]
          sumUpper += upper[j]
          magnitude += abs(lower[j]) + abs(upper[j])
        }
        let margin = Self.roundingMargin(terms: 2 * members.count + 4, magnitude: magnitude)
        if sumLower - b > margin || b - sumUpper > margin { return .empty }
        for j in members {
          let l = lower[j], u = upper[j]
          let newLower = b - (sumUpper - u) - margin
          let newUpper = b - (sumLower - l) + margin
          if newLower > u || newUpper < l { return .empty }
          let threshold = 1e-9 * (u - l)
          if newLower > l {
            if newLower - l > threshold { moved = true }
            lower[j] = newLower
          }
          if newUpper < u {
            if u - newUpper > threshold { moved = true }
            upper[j] = newUpper
          }
        }
      }
      if !moved { break }
    }
    return .feasible
  }
}
