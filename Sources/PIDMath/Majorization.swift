/// The majorization meet `a ∧ b` of two pmfs: sort both in decreasing
/// order, take the minimum of their partial sums, and difference it.
///
/// Guarantee (Cicalese–Vaccaro): `H(M) >= H(a ∧ b)` for every coupling `M`
/// of `a` and `b`. The minimum of two concave partial-sum sequences is
/// concave, so no correction step is needed. The inputs need not have the
/// same length (the shorter is padded with zeros) and are used as given
/// (sums should agree).
func majorizationMeet(_ a: [Double], _ b: [Double]) -> [Double] {
  let sortedA = a.sorted(by: >), sortedB = b.sorted(by: >)
  let n = max(sortedA.count, sortedB.count)
  var meet = [Double](repeating: 0, count: n)
  var sumA = 0.0, sumB = 0.0, previous = 0.0
  for i in 0..<n {
    if i < sortedA.count { sumA += sortedA[i] }
    if i < sortedB.count { sumB += sortedB[i] }
    let partial = min(sumA, sumB)
    meet[i] = max(0, partial - previous)
    previous = partial
  }
  return meet
}

/// `H(a ∧ b)` in bits: a lower bound on the entropy of any coupling.
func meetEntropy(_ a: [Double], _ b: [Double]) -> Double {
  entropy(majorizationMeet(a, b))
}
