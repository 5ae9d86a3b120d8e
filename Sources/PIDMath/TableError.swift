/// Why a table of masses was refused.
public enum TableError: Error, Equatable, Sendable, CustomStringConvertible {
  /// A dimension is zero.
  case empty(String)
  /// An entry is negative; the index path names it.
  case negative(String, index: [Int], value: Double)
  /// An entry is NaN or infinite.
  case nonFinite(String, index: [Int])
  /// Every entry is zero.
  case zeroMass(String)
  /// Shapes of related tables disagree.
  case shapeMismatch(String)
  /// Shared marginals of related tables disagree beyond the tolerance.
  case inconsistentMarginals(String)

  public var description: String {
    switch self {
    case .empty(let name): return "\(name) is empty (a dimension has no symbols)"
    case .negative(let name, let index, let value):
      return "\(name) has a negative entry \(value) at \(index)"
    case .nonFinite(let name, let index): return "\(name) has a non-finite entry at \(index)"
    case .zeroMass(let name): return "\(name) has no mass (all entries are zero)"
    case .shapeMismatch(let text): return text
    case .inconsistentMarginals(let text): return text
    }
  }
}

/// Checks that `values` are finite and nonnegative with positive total,
/// and returns them divided by their total.
func normalized(_ values: [Double], shape: [Int], name: String) throws(TableError) -> [Double] {
  guard !shape.contains(0) else { throw .empty(name) }
  var total = 0.0
  for (flat, value) in values.enumerated() {
    guard value.isFinite else { throw .nonFinite(name, index: unflatten(flat, shape)) }
    guard value >= 0 else { throw .negative(name, index: unflatten(flat, shape), value: value) }
    total += value
  }
  guard total > 0 else { throw .zeroMass(name) }
  return values.map { $0 / total }
}

private func unflatten(_ flat: Int, _ shape: [Int]) -> [Int] {
  var index = [Int](repeating: 0, count: shape.count)
  var rest = flat
  for axis in shape.indices.reversed() {
    index[axis] = rest % shape[axis]
    rest /= shape[axis]
  }
  return index
}
