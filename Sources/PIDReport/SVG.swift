import RealModule

/// An SVG drawing built element by element: coordinates in CSS pixels,
/// text escaped, numbers written with two decimals at most.
struct SVG {
  var width: Double
  var height: Double
  /// What the picture shows, for screen readers (`aria-label`).
  var title: String
  private var body = ""

  init(width: Double, height: Double, title: String) {
    self.width = width
    self.height = height
    self.title = title
  }

  enum Anchor: String { case start, middle, end }

  mutating func text(_ s: String, x: Double, y: Double, anchor: Anchor = .start, size: Double = 12,
                     bold: Bool = false, fill: String = "#000", className: String? = nil) {
    body += "<text x=\"\(coordinate(x))\" y=\"\(coordinate(y))\" font-size=\"\(coordinate(size))\" text-anchor=\"\(anchor.rawValue)\""
    if bold { body += " font-weight=\"bold\"" }
    if let className { body += " class=\"\(className)\"" }
    body += " fill=\"\(fill)\">\(escapeHTML(s))</text>\n"
  }

  mutating func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String = "#000",
                     width: Double = 1, dash: String? = nil) {
    body += "<line x1=\"\(coordinate(x1))\" y1=\"\(coordinate(y1))\" x2=\"\(coordinate(x2))\" y2=\"\(coordinate(y2))\" stroke=\"\(stroke)\" stroke-width=\"\(coordinate(width))\""
    if let dash { body += " stroke-dasharray=\"\(dash)\"" }
    body += "/>\n"
  }

  mutating func rect(x: Double, y: Double, width: Double, height: Double, fill: String, stroke: String = "none") {
    body += "<rect x=\"\(coordinate(x))\" y=\"\(coordinate(y))\" width=\"\(coordinate(max(width, 0)))\" height=\"\(coordinate(max(height, 0)))\" fill=\"\(fill)\" stroke=\"\(stroke)\"/>\n"
  }

  mutating func circle(cx: Double, cy: Double, r: Double, fill: String, stroke: String = "#000") {
    body += "<circle cx=\"\(coordinate(cx))\" cy=\"\(coordinate(cy))\" r=\"\(coordinate(r))\" fill=\"\(fill)\" stroke=\"\(stroke)\" stroke-width=\"1.5\"/>\n"
  }

  mutating func polygon(_ points: [(Double, Double)], fill: String, stroke: String = "#000") {
    let list = points.map { "\(coordinate($0.0)),\(coordinate($0.1))" }.joined(separator: " ")
    body += "<polygon points=\"\(list)\" fill=\"\(fill)\" stroke=\"\(stroke)\" stroke-width=\"1.5\"/>\n"
  }

  /// Raw SVG for definitions such as patterns (trusted text only).
  mutating func raw(_ markup: String) { body += markup + "\n" }

  var rendered: String {
    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(coordinate(width))\" height=\"\(coordinate(height))\" viewBox=\"0 0 \(coordinate(width)) \(coordinate(height))\" role=\"img\" aria-label=\"\(escapeHTML(title))\">\n"
      + "<title>\(escapeHTML(title))</title>\n" + body + "</svg>\n"
  }

  private func coordinate(_ x: Double) -> String {
    guard x.isFinite else { return "0" }
    let rounded = (x * 100).rounded() / 100
    if rounded == rounded.rounded() { return String(Int(rounded)) }
    return String(rounded)
  }
}

/// `x` mapped linearly from `[lower, upper]` onto `[start, end]` pixels.
struct LinearScale {
  var lower: Double
  var upper: Double
  var start: Double
  var end: Double

  /// A domain covering `values` (finite ones), widened to hold `include`
  /// and padded by 4% on each side; a single value gets a unit-wide domain.
  init(covering values: [Double], including include: [Double] = [], start: Double, end: Double) {
    let finite = (values + include).filter(\.isFinite)
    var low = finite.min() ?? 0, high = finite.max() ?? 1
    if high - low < 1e-12 { low -= 0.5; high += 0.5 }
    let pad = 0.04 * (high - low)
    lower = low - (include.contains { $0 == low } ? 0 : pad)
    upper = high + (include.contains { $0 == high } ? 0 : pad)
    self.start = start
    self.end = end
  }

  func callAsFunction(_ x: Double) -> Double {
    let clamped = min(max(x, lower), upper)
    return start + (clamped - lower) / (upper - lower) * (end - start)
  }

  /// About six round tick values inside the domain (steps of 1, 2 or 5
  /// times a power of ten), each the nearest double to its decimal.
  var ticks: [Double] {
    let span = upper - lower
    guard span > 0, span.isFinite else { return [] }
    let raw = span / 6
    var exponent = 0
    while pow10(exponent) > raw { exponent -= 1 }
    while pow10(exponent + 1) <= raw { exponent += 1 }
    let multiple = [1, 2, 5, 10].first { Double($0) * pow10(exponent) >= raw } ?? 10
    // Tick k is k · multiple · 10^exponent, computed with one rounding.
    func value(_ k: Int) -> Double {
      exponent < 0 ? Double(k * multiple) / pow10(-exponent) : Double(k * multiple) * pow10(exponent)
    }
    let step = Double(multiple) * pow10(exponent)
    var k = Int((lower / step).rounded(.up))
    var ticks: [Double] = []
    while value(k) <= upper + 1e-12 * span && ticks.count < 20 {
      ticks.append(value(k) == 0 ? 0 : value(k))
      k += 1
    }
    return ticks
  }
}

/// A tick value: `short` without trailing zeros (`0.5`, `0.005`, `1`).
func tickText(_ x: Double) -> String {
  let text = short(x)
  guard text.contains("."), !text.contains("e") else { return text }
  var trimmed = Substring(text)
  while trimmed.hasSuffix("0") { trimmed = trimmed.dropLast() }
  if trimmed.hasSuffix(".") { trimmed = trimmed.dropLast() }
  return String(trimmed)
}

/// `s` with `&`, `<`, `>` and quotes escaped for HTML text and attributes.
func escapeHTML(_ s: String) -> String {
  var out = ""
  out.reserveCapacity(s.count)
  for c in s {
    switch c {
    case "&": out += "&amp;"
    case "<": out += "&lt;"
    case ">": out += "&gt;"
    case "\"": out += "&quot;"
    case "'": out += "&#39;"
    default: out.append(c)
    }
  }
  return out
}

/// A number for reading: four decimals (`0.0037`), or three significant
/// digits in scientific notation below 0.001 in magnitude (`2.4e-05`);
/// `–` when not finite.
func short(_ x: Double) -> String {
  guard x.isFinite else { return "–" }
  if x == 0 { return "0" }
  if abs(x) < 1e-3 || abs(x) >= 1e6 {
    var exponent = Int(Double.log10(abs(x)).rounded(.down))
    var mantissa = x / pow10(exponent)
    mantissa = (mantissa * 100).rounded() / 100
    if abs(mantissa) >= 10 { mantissa /= 10; exponent += 1 }
    let sign = exponent < 0 ? "-" : "+"
    let digits = String(abs(exponent))
    return fixedDecimals(mantissa, 2) + "e" + sign + (digits.count < 2 ? "0" + digits : digits)
  }
  return fixedDecimals(x, 4)
}

/// `x` rounded half away from zero to `decimals` places, written with
/// exactly that many decimals.
func fixedDecimals(_ x: Double, _ decimals: Int) -> String {
  let scale = pow10(decimals)
  let scaled = (abs(x) * scale).rounded(.toNearestOrAwayFromZero)
  let integer = Int(scaled / scale)
  let fraction = Int(scaled - Double(integer) * scale)
  var text = String(integer)
  if decimals > 0 {
    let f = String(fraction)
    text += "." + String(repeating: "0", count: decimals - f.count) + f
  }
  return (x < 0 && scaled != 0 ? "-" : "") + text
}

func pow10(_ n: Int) -> Double {
  var result = 1.0
  for _ in 0..<abs(n) { result *= 10 }
  return n < 0 ? 1 / result : result
}
