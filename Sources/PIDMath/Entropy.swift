import RealModule

/// `ln 2`, to convert nats to bits.
public let naturalLogOf2 = 0.693_147_180_559_945_309_417_232_121_458

/// The Shannon entropy in **bits** of the masses `p`, which should sum to 1.
///
/// `0 log 0 = 0`: zero masses contribute nothing. Masses are used as given
/// (not renormalized). Negative or non-finite masses are a precondition
/// violation; tables are validated when they are built.
@inlinable
public func entropy<C: Sequence>(_ p: C) -> Double where C.Element == Double {
  var sum = 0.0
  for x in p where x > 0 { sum -= x * Double.log(x) }
  return sum / naturalLogOf2
}

/// `x log x` in nats with `0 log 0 = 0`.
@inlinable
func xLogX(_ x: Double) -> Double { x > 0 ? x * Double.log(x) : 0 }
