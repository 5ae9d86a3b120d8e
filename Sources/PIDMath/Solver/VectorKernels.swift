/// Vector kernels shared by the dense factorizations and the Newton
/// systems: dot products, scaled row updates and combinations over
/// contiguous doubles, in SIMD lanes with unaligned loads. Each states the
/// order in which it sums where results depend on it (the Schur complement
/// must be the same sum whatever the number of workers).

/// `max |x[i]|` over `i` in `0..<n` (0 when `n` is 0; NaN entries are
/// ignored).
@inline(__always)
func largestMagnitude(_ x: UnsafePointer<Double>, _ n: Int) -> Double {
  var top = SIMD2<Double>(repeating: 0)
  var i = 0
  while i &+ 2 <= n {
    let v = load2(x + i)
    top = pointwiseMax(top, v.replacing(with: -v, where: v .< 0))
    i &+= 2
  }
  var result = Swift.max(top[0], top[1])
  if i < n { result = Swift.max(result, abs(x[i])) }
  return result
}

/// `y[i] -= c * x[i]` for `i` in `0..<n`.
@inline(__always)
func subtractMultiple(_ c: Double, of x: UnsafePointer<Double>, from y: UnsafeMutablePointer<Double>, _ n: Int) {
  let cc = SIMD2<Double>(repeating: c)
  var i = 0
  while i &+ 4 <= n {
    store2(load2(y + i) - cc * load2(x + i), y + i)
    store2(load2(y + (i &+ 2)) - cc * load2(x + (i &+ 2)), y + (i &+ 2))
    i &+= 4
  }
  if i &+ 2 <= n {
    store2(load2(y + i) - cc * load2(x + i), y + i)
    i &+= 2
  }
  if i < n { y[i] -= c * x[i] }
}

/// `y[i] -= c0 x0[i] + c1 x1[i] + c2 x2[i] + c3 x3[i]` for `i` in `0..<n`.
@inline(__always)
func subtractFourMultiples(_ c0: Double, _ c1: Double, _ c2: Double, _ c3: Double,
                           of x0: UnsafePointer<Double>, _ x1: UnsafePointer<Double>,
                           _ x2: UnsafePointer<Double>, _ x3: UnsafePointer<Double>,
                           from y: UnsafeMutablePointer<Double>, _ n: Int) {
  let k0 = SIMD4<Double>(repeating: c0), k1 = SIMD4<Double>(repeating: c1)
  let k2 = SIMD4<Double>(repeating: c2), k3 = SIMD4<Double>(repeating: c3)
  let r0 = UnsafeRawPointer(x0), r1 = UnsafeRawPointer(x1), r2 = UnsafeRawPointer(x2), r3 = UnsafeRawPointer(x3)
  let ry = UnsafeMutableRawPointer(y)
  var i = 0
  while i &+ 4 <= n {
    let o = i &* 8
    var v = ry.loadUnaligned(fromByteOffset: o, as: SIMD4<Double>.self)
    v -= k0 * r0.loadUnaligned(fromByteOffset: o, as: SIMD4<Double>.self)
    v -= k1 * r1.loadUnaligned(fromByteOffset: o, as: SIMD4<Double>.self)
    v -= k2 * r2.loadUnaligned(fromByteOffset: o, as: SIMD4<Double>.self)
    v -= k3 * r3.loadUnaligned(fromByteOffset: o, as: SIMD4<Double>.self)
    ry.storeBytes(of: v, toByteOffset: o, as: SIMD4<Double>.self)
    i &+= 4
  }
  while i < n {
    y[i] -= c0 * x0[i] + c1 * x1[i] + c2 * x2[i] + c3 * x3[i]
    i &+= 1
  }
}

/// `Σ x[i] y[i]` over `n` entries, in four independent SIMD lanes (the
/// compiler does not reassociate a plain floating-point reduction), then
/// pairs, then the last odd entry.
@inline(__always)
func dotProduct(_ x: UnsafePointer<Double>, _ y: UnsafePointer<Double>, _ n: Int) -> Double {
  var s0 = SIMD4<Double>(), s1 = SIMD4<Double>()
  let rx = UnsafeRawPointer(x), ry = UnsafeRawPointer(y)
  var i = 0
  while i &+ 8 <= n {
    s0 += rx.loadUnaligned(fromByteOffset: i &* 8, as: SIMD4<Double>.self)
      * ry.loadUnaligned(fromByteOffset: i &* 8, as: SIMD4<Double>.self)
    s1 += rx.loadUnaligned(fromByteOffset: i &* 8 &+ 32, as: SIMD4<Double>.self)
      * ry.loadUnaligned(fromByteOffset: i &* 8 &+ 32, as: SIMD4<Double>.self)
    i &+= 8
  }
  while i &+ 2 <= n {
    s0.lowHalf += load2(x + i) * load2(y + i)
    i &+= 2
  }
  var s = (s0 + s1).sum()
  if i < n { s += x[i] * y[i] }
  return s
}

/// Two doubles from a possibly unaligned address.
@inline(__always)
func load2(_ p: UnsafePointer<Double>) -> SIMD2<Double> {
  UnsafeRawPointer(p).loadUnaligned(as: SIMD2<Double>.self)
}

/// Stores two doubles at a possibly unaligned address.
@inline(__always)
func store2(_ v: SIMD2<Double>, _ p: UnsafeMutablePointer<Double>) {
  UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD2<Double>.self)
}

/// `y[s] -= (w[s] + x) * q[s]` for `s` in `0..<n`.
@inline(__always)
func subtractScaledSum(_ w: UnsafePointer<Double>, _ x: Double, times q: UnsafePointer<Double>,
                       from y: UnsafeMutablePointer<Double>, _ n: Int) {
  let xx = SIMD2<Double>(repeating: x)
  var s = 0
  while s &+ 4 <= n {
    store2(load2(y + s) - (load2(w + s) + xx) * load2(q + s), y + s)
    store2(load2(y + (s &+ 2)) - (load2(w + (s &+ 2)) + xx) * load2(q + (s &+ 2)), y + (s &+ 2))
    s &+= 4
  }
  if s &+ 2 <= n {
    store2(load2(y + s) - (load2(w + s) + xx) * load2(q + s), y + s)
    s &+= 2
  }
  if s < n { y[s] -= (w[s] + x) * q[s] }
}

/// `y[s] -= Σ_r (w[r k + s] + x[r]) * q[r k + s]` for `s` in `0..<k`, the
/// terms subtracted in order of `r` (`x` holds each `x[r]` twice).
///
/// Passes over `r` take 8 columns at a time, and the last one all the
/// remaining ones (up to 15): every pass keeps 4 to 8 independent sums in
/// registers (one dependent chain per pass is latency-bound for small k).
@inline(__always)
func subtractScaledSums(_ w: UnsafePointer<Double>, _ x: UnsafePointer<SIMD2<Double>>, times q: UnsafePointer<Double>,
                        from y: UnsafeMutablePointer<Double>, rows: Int, k: Int) {
  var s = 0
  while k &- s >= 16 {
    scaledSumsPass(w, x, q, y, rows: rows, k: k, from: s, pairs: 4, odd: false)
    s &+= 8
  }
  switch k &- s {
  case 1: scaledSumsPass(w, x, q, y, rows: rows, k: k, from: s, pairs: 0, odd: true)
  case 2: scaledSumsPass(w, x, q, y, rows: rows, k: k, from: s, pairs: 1, odd: false)
  case 3: scaledSumsPass(w, x, q, y, rows: rows, k: k, from: s, pairs: 1, odd: true)
  case 4: scaledSumsPass(w, x, q, y, rows: rows, k: k, from: s, pairs: 2, odd: false)
  case 5: scaledSumsPass(w, x, q, y, rows: rows, k: k, from: s, pairs: 2, odd: true)
  case 6: scaledSumsPass(w, x, q, y, rows: rows, k: k, from: s, pairs: 3, odd: false)
  case 7: scaledSumsPass(w, x, q, y, rows: rows, k: k, from: s, pairs: 3, odd: true)
  case 8: scaledSumsPass(w, x, q, y, rows: rows, k: k, from: s, pairs: 4, odd: false)
  case 9: scaledSumsPass(w, x, q, y, rows: rows, k: k, from: s, pairs: 4, odd: true)
  case 10: scaledSumsPass(w, x, q, y, rows: rows, k: k, from: s, pairs: 5, odd: false)
  case 11: scaledSumsPass(w, x, q, y, rows: rows, k: k, from: s, pairs: 5, odd: true)
  case 12: scaledSumsPass(w, x, q, y, rows: rows, k: k, from: s, pairs: 6, odd: false)
  case 13: scaledSumsPass(w, x, q, y, rows: rows, k: k, from: s, pairs: 6, odd: true)
  case 14: scaledSumsPass(w, x, q, y, rows: rows, k: k, from: s, pairs: 7, odd: false)
  case 15: scaledSumsPass(w, x, q, y, rows: rows, k: k, from: s, pairs: 7, odd: true)
  default: break
  }
}

/// One pass of `subtractScaledSums` over columns `s..<s + 2 pairs (+ 1 if
/// odd)`, `pairs <= 7`. Called with constant `pairs` and `odd`, so that the
/// conditions fold away.
@inline(__always)
private func scaledSumsPass(_ w: UnsafePointer<Double>, _ x: UnsafePointer<SIMD2<Double>>, _ q: UnsafePointer<Double>,
                            _ y: UnsafeMutablePointer<Double>, rows: Int, k: Int, from s: Int, pairs: Int, odd: Bool) {
  var y0 = SIMD2<Double>(), y1 = SIMD2<Double>(), y2 = SIMD2<Double>(), y3 = SIMD2<Double>()
  var y4 = SIMD2<Double>(), y5 = SIMD2<Double>(), y6 = SIMD2<Double>()
  let last = s &+ 2 &* pairs
  if pairs > 0 { y0 = load2(y + s) }
  if pairs > 1 { y1 = load2(y + (s &+ 2)) }
  if pairs > 2 { y2 = load2(y + (s &+ 4)) }
  if pairs > 3 { y3 = load2(y + (s &+ 6)) }
  if pairs > 4 { y4 = load2(y + (s &+ 8)) }
  if pairs > 5 { y5 = load2(y + (s &+ 10)) }
  if pairs > 6 { y6 = load2(y + (s &+ 12)) }
  var ys = odd ? y[last] : 0
  var o = s
  for r in 0..<rows {
    let xr = x[r]
    if pairs > 0 { y0 -= (load2(w + o) + xr) * load2(q + o) }
    if pairs > 1 { y1 -= (load2(w + (o &+ 2)) + xr) * load2(q + (o &+ 2)) }
    if pairs > 2 { y2 -= (load2(w + (o &+ 4)) + xr) * load2(q + (o &+ 4)) }
    if pairs > 3 { y3 -= (load2(w + (o &+ 6)) + xr) * load2(q + (o &+ 6)) }
    if pairs > 4 { y4 -= (load2(w + (o &+ 8)) + xr) * load2(q + (o &+ 8)) }
    if pairs > 5 { y5 -= (load2(w + (o &+ 10)) + xr) * load2(q + (o &+ 10)) }
    if pairs > 6 { y6 -= (load2(w + (o &+ 12)) + xr) * load2(q + (o &+ 12)) }
    if odd {
      let i = o &+ 2 &* pairs
      ys -= (w[i] + xr[0]) * q[i]
    }
    o &+= k
  }
  if pairs > 0 { store2(y0, y + s) }
  if pairs > 1 { store2(y1, y + (s &+ 2)) }
  if pairs > 2 { store2(y2, y + (s &+ 4)) }
  if pairs > 3 { store2(y3, y + (s &+ 6)) }
  if pairs > 4 { store2(y4, y + (s &+ 8)) }
  if pairs > 5 { store2(y5, y + (s &+ 10)) }
  if pairs > 6 { store2(y6, y + (s &+ 12)) }
  if odd { y[last] = ys }
}

/// `out[s] = Σ_{u<n} c[u cs] * m[u ms + s]` for `s` in `0..<k`, summed
/// from 0 in order of `u` (a combination of `n` rows of length `k`).
@inline(__always)
func combineRows(_ c: UnsafePointer<Double>, stride cs: Int, _ m: UnsafePointer<Double>, stride ms: Int,
                 count n: Int, into out: UnsafeMutablePointer<Double>, _ k: Int) {
  var s = 0
  while s &+ 8 <= k {
    var y0 = SIMD2<Double>(), y1 = SIMD2<Double>(), y2 = SIMD2<Double>(), y3 = SIMD2<Double>()
    var o = s, p = 0
    for _ in 0..<n {
      let cu = SIMD2<Double>(repeating: c[p])
      y0 += cu * load2(m + o)
      y1 += cu * load2(m + (o &+ 2))
      y2 += cu * load2(m + (o &+ 4))
      y3 += cu * load2(m + (o &+ 6))
      o &+= ms
      p &+= cs
    }
    store2(y0, out + s)
    store2(y1, out + (s &+ 2))
    store2(y2, out + (s &+ 4))
    store2(y3, out + (s &+ 6))
    s &+= 8
  }
  while s &+ 2 <= k {
    var y0 = SIMD2<Double>()
    var o = s, p = 0
    for _ in 0..<n {
      y0 += SIMD2<Double>(repeating: c[p]) * load2(m + o)
      o &+= ms
      p &+= cs
    }
    store2(y0, out + s)
    s &+= 2
  }
  if s < k {
    var y0 = 0.0
    var o = s, p = 0
    for _ in 0..<n {
      y0 += c[p] * m[o]
      o &+= ms
      p &+= cs
    }
    out[s] = y0
  }
}

/// `out[s] = a * x[s] + b * y[s]` for `s` in `0..<n`.
@inline(__always)
func linearCombination(_ a: Double, _ x: UnsafePointer<Double>, _ b: Double, _ y: UnsafePointer<Double>,
                       into out: UnsafeMutablePointer<Double>, _ n: Int) {
  let aa = SIMD2<Double>(repeating: a), bb = SIMD2<Double>(repeating: b)
  var s = 0
  while s &+ 2 <= n {
    store2(aa * load2(x + s) + bb * load2(y + s), out + s)
    s &+= 2
  }
  if s < n { out[s] = a * x[s] + b * y[s] }
}

/// `Σ s[t] (x[t] + y[t])` over `n` entries, in two lanes.
@inline(__always)
func dotProductOfSum(_ s: UnsafePointer<Double>, _ x: UnsafePointer<Double>, _ y: UnsafePointer<Double>, _ n: Int) -> Double {
  var sum = SIMD2<Double>()
  var t = 0
  while t &+ 2 <= n {
    sum += load2(s + t) * (load2(x + t) + load2(y + t))
    t &+= 2
  }
  var total = sum.sum()
  if t < n { total += s[t] * (x[t] + y[t]) }
  return total
}
