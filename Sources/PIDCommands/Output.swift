import ArgumentParser
import PIDData
import PIDReport

#if canImport(Glibc)
import Glibc
#endif

/// How results are printed.
public enum OutputFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
  case json, table, csv
}

/// Options shared by every command.
struct CommonOptions: ParsableArguments {
  @Option(help: "Output format: json, table or csv (default: table on a terminal, json otherwise).")
  var format: OutputFormat?

  @Option(help: ArgumentHelp("Write the result to this file (atomically) instead of stdout.", valueName: "file"))
  var output: String?

  @Option(help: ArgumentHelp("Also write the result as a self-contained HTML report (figures, decision, every number) to this file.", valueName: "file.html"))
  var report: String?

  @Flag(help: "Print nothing on stderr except errors.")
  var quiet = false

  /// The format to use for this run.
  var resolvedFormat: OutputFormat {
    if let format { return format }
    if output == nil && isatty(1) == 1 { return .table }
    return .json
  }

  /// Writes the report in the chosen format to stdout or `--output`, and
  /// its HTML rendering to `--report`.
  func emit(_ report: JSON, table: (JSON) -> String) throws {
    if let path = self.report {
      let html: String
      do {
        html = try HTMLReport(result: report).html
      } catch {
        throw Failure("the result could not be rendered as HTML: \(error.description)", status: .software)
      }
      try writeFileAtomically(path, Array(html.utf8))
    }
    let text: String
    switch resolvedFormat {
    case .json: text = report.rendered()
    case .table: text = table(report)
    case .csv: text = csvLines(report)
    }
    if let output {
      try writeFileAtomically(output, Array(text.utf8))
    } else {
      try writeStandardOutput(text)
    }
  }
}

/// Writes `text` to standard output unbuffered, all of it or an error.
///
/// - Throws: `Failure` 74 when the write fails (a full disk, a closed
///   pipe), so that a lost report never exits 0.
func writeStandardOutput(_ text: String) throws {
  var text = text
  var failure: Int32 = 0
  text.withUTF8 { buffer in
    var offset = 0
    while offset < buffer.count {
      let n = write(1, buffer.baseAddress! + offset, buffer.count - offset)
      if n < 0 && errno == EINTR { continue }
      guard n > 0 else { failure = n < 0 ? errno : EIO; return }
      offset += n
    }
  }
  if failure != 0 {
    throw Failure("standard output: cannot write the report (\(String(cString: strerror(failure))))", status: .ioError)
  }
}

/// `key,value` lines, one per scalar, keys as dotted paths
/// (`pid.R`, `bootstrap.pid.R.lo`).
func csvLines(_ report: JSON) -> String {
  var out = "key,value\n"
  func visit(_ value: JSON, _ path: String) {
    switch value {
    case .object(let members):
      for (key, child) in members { visit(child, path.isEmpty ? key : path + "." + key) }
    case .array(let elements):
      for (i, child) in elements.enumerated() { visit(child, path + "." + String(i)) }
    case .string(let s):
      let quoted = s.contains(",") || s.contains("\"") ? "\"" + s.replacingOccurrences("\"", "\"\"") + "\"" : s
      out += path + "," + quoted + "\n"
    default:
      out += path + "," + value.rendered().dropLast() + "\n"
    }
  }
  visit(report, "")
  return out
}

extension String {
  func replacingOccurrences(_ target: String, _ replacement: String) -> String {
    var out = ""
    var rest = Substring(self)
    while let range = rest.firstRange(of: target) {
      out += rest[..<range.lowerBound] + replacement
      rest = rest[range.upperBound...]
    }
    return out + rest
  }
}

/// A number for a person: fixed decimals, `-` for missing.
func formatted(_ value: JSON?, decimals: Int = 4) -> String {
  guard let x = value?.doubleValue else { return "-" }
  return fixed(x, decimals)
}

/// A small number in scientific notation (gaps), `0` for zero.
func scientific0(_ value: JSON?) -> String {
  guard let x = value?.doubleValue else { return "-" }
  return x == 0 ? "0" : scientific(x)
}

/// `text` wrapped at `width` columns, each line starting with `indent`.
func wrapped(_ text: String, width: Int, indent: String) -> String {
  var lines: [String] = []
  var line = indent
  for word in text.split(separator: " ") {
    if line.count + word.count + 1 > width && line != indent {
      lines.append(line)
      line = indent
    }
    line += (line == indent ? "" : " ") + word
  }
  lines.append(line)
  return lines.joined(separator: "\n")
}

func fixed(_ x: Double, _ decimals: Int) -> String {
  var scale = 1.0
  for _ in 0..<decimals { scale *= 10 }
  let rounded = (abs(x) * scale).rounded()
  let whole = Int(rounded / scale)
  let fraction = Int(rounded - Double(whole) * scale)
  var digits = String(fraction)
  digits = String(repeating: "0", count: max(0, decimals - digits.count)) + digits
  let sign = x < 0 && rounded != 0 ? "-" : ""
  return decimals > 0 ? "\(sign)\(whole).\(digits)" : "\(sign)\(whole)"
}

func scientific(_ x: Double) -> String {
  var exponent = 0
  var m = abs(x)
  while m < 1 { m *= 10; exponent -= 1 }
  while m >= 10 { m /= 10; exponent += 1 }
  return (x < 0 ? "-" : "") + fixed(m, 1) + "e" + String(exponent)
}

func padded(_ s: String, _ width: Int) -> String {
  s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
}

func leftPadded(_ s: String, _ width: Int) -> String {
  s.count >= width ? s : String(repeating: " ", count: width - s.count) + s
}
