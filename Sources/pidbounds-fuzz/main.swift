// pidbounds-fuzz: feeds malformed and adversarial inputs to every reader of
// PIDData in-process (CSV datasets, .npy arrays, JSON table files,
// checkpoint files, coded-data bytes) and checks each outcome.
//
// Usage: pidbounds-fuzz [--count N] [--seed S] [--root DIR] [--only I] [--save FILE]
//
// Input I is a deterministic function of (S, I): a valid seed file (from
// Tests/Fixtures and examples/ under DIR, or generated) with one to three
// mutations. An outcome is correct when the reader returns a value that
// keeps its invariants (finite numbers, consistent shapes, checkpoint
// records that passed their checksums) or throws a typed `DataError` whose
// message names the file. Counted as failures: a crash (a trap: overflow,
// out-of-bounds, failed allocation under a 4 GB address-space limit), a
// hang (over 10 s for one input), a wrong result (a mutation that must not
// change the value did, or a checkpoint record from another run was
// accepted), a bad message. Inputs run in a forked child, so a crash is
// counted, its index printed, and the run goes on from the next input.
// `--only I --save FILE` writes input I to FILE to reproduce a failure.
//
// This is a test tool: it is not installed with pidbounds.
import PIDData
import PIDMath

#if canImport(Glibc)
import Glibc
#endif

// MARK: Command line

var count = 100_000
var seed: UInt64 = 1
var root = "."
var only: Int? = nil
var saveTo: String? = nil
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let argument = arguments.next() {
  switch argument {
  case "--count": count = Int(arguments.next() ?? "") ?? count
  case "--seed": seed = UInt64(arguments.next() ?? "") ?? seed
  case "--root": root = arguments.next() ?? root
  case "--only": only = Int(arguments.next() ?? "")
  case "--save": saveTo = arguments.next()
  default:
    print("usage: pidbounds-fuzz [--count N] [--seed S] [--root DIR] [--only I] [--save FILE]")
    exit(64)
  }
}

// MARK: Seed files

enum Reader: Int, CaseIterable {
  case csv, npy, tables, checkpoint, coded
  var name: String { ["csv", "npy", "json-tables", "checkpoint", "coded-data"][rawValue] }
}

func fileBytes(_ path: String) -> [UInt8]? { try? readFile(root + "/" + path) }

let checkpointFingerprint = "5eed0f1e"
let foreignFingerprint = "0f0e1a2b"
/// A number no valid checkpoint of ours holds: its presence in a parsed
/// record means a line from another run was accepted.
let foreignMarker = -123456.75

func npy(_ descr: String, shape: [Int], values: [Double], version: UInt8 = 1) -> [UInt8] {
  let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
  var header = Array("{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeText), }".utf8)
  let prefix = version == 1 ? 10 : 12
  while (prefix + header.count + 1) % 64 != 0 { header.append(32) }
  header.append(10)
  var out: [UInt8] = [0x93] + Array("NUMPY".utf8) + [version, 0]
  if version == 1 {
    out += [UInt8(header.count & 0xFF), UInt8(header.count >> 8)]
  } else {
    out += [UInt8(header.count & 0xFF), UInt8((header.count >> 8) & 0xFF), 0, 0]
  }
  out += header
  for x in values {
    switch descr {
    case "<f8": withUnsafeBytes(of: x.bitPattern.littleEndian) { out += $0 }
    case "<f4": withUnsafeBytes(of: Float(x).bitPattern.littleEndian) { out += $0 }
    case "<i4": withUnsafeBytes(of: Int32(x).littleEndian) { out += $0 }
    case "<i8": withUnsafeBytes(of: Int64(x).littleEndian) { out += $0 }
    case "|u1": out.append(UInt8(x))
    default: out.append(UInt8(bitPattern: Int8(x)))
    }
  }
  return out
}

func checkpointText(_ fingerprint: String, _ records: [(Int, [Double])], version: Int = 2) -> [UInt8] {
  if version == 1 {
    var text = "pidbounds-checkpoint v1 \(fingerprint)\n"
    for (b, numbers) in records {
      let body = "\(b) " + numbers.map { String($0.bitPattern, radix: 16) }.joined(separator: ",")
      text += body + " " + String(fnv1a(Array(body.utf8)), radix: 16) + "\n"
    }
    return Array(text.utf8)
  }
  return Array(CheckpointFile(fingerprint: fingerprint, records: records).text.utf8)
}

func codedSample() -> CodedData {
  var g = SplitMix64(seed: 7)
  func codes(_ n: Int, _ a: Int) -> [Int32] { (0..<n).map { _ in Int32(g.next() % UInt64(a)) } }
  return CodedData(alphabet1: 3, alphabet2: 4, labelCount: 2, d1x1: codes(20, 3), d1y: codes(20, 2), d2x2: codes(15, 4),
                   d2y: codes(15, 2), dmx1: codes(10, 3), dmx2: codes(10, 4), dlx1: codes(5, 3), dlx2: codes(5, 4), dly: codes(5, 2))
}

let seeds: [Reader: [(name: String, bytes: [UInt8])]] = {
  var csv: [(String, [UInt8])] = []
  for path in ["Tests/Fixtures/real/wine/d1.csv", "Tests/Fixtures/real/wine/d2.csv", "Tests/Fixtures/real/wine/dm.csv",
               "Tests/Fixtures/real/breast-cancer/dl.csv"] {
    if let bytes = fileBytes(path) { csv.append((path, bytes)) }
  }
  csv.append(("coded.csv", Array("x1,x2,y\n0,1,a\n1,0,b\n2,2,\"a\"\n1,1, b \n0,0,\"c,d\"\n".utf8)))
  csv.append(("labels.csv", Array("x1,y\n1.5,cat\n-2e3,dog\n0x1p3,\"cat\"\n.5,dog\n".utf8)))
  let values = (0..<24).map { Double($0 % 7) - 2 }
  var npys: [(String, [UInt8])] = []
  for descr in ["<f8", "<f4", "<i4", "<i8", "|u1", "|i1"] {
    let v = descr == "|u1" ? values.map { abs($0) } : values
    npys.append(("\(descr).npy", npy(descr, shape: [8, 3], values: v)))
  }
  npys.append(("vector.npy", npy("<f8", shape: [24], values: values)))
  npys.append(("v2.npy", npy("<f4", shape: [6, 4], values: values, version: 2)))
  var tables: [(String, [UInt8])] = []
  for path in ["examples/and.json", "Tests/Fixtures/fit/case-a.json", "Tests/Fixtures/fit/case-b.json", "Tests/Fixtures/canonical.json"] {
    if let bytes = fileBytes(path) { tables.append((path, bytes)) }
  }
  tables.append(("escapes.json", Array(#"{"note": "\u00e9\ud83d\ude00\n", "p": [[[1, 2e-1], [3.5E+0, 0]], [[0, 1], [1, 0]]]}"#.utf8)))
  var records: [(Int, [Double])] = []
  for b in 0..<6 {
    var numbers: [Double] = []
    for j in 0..<5 { numbers.append(Double(b) * 0.25 + Double(j) / 3) }
    numbers.append(.nan)
    records.append((b, numbers))
  }
  let checkpoints: [(String, [UInt8])] = [
    ("v2.ck", checkpointText(checkpointFingerprint, records)),
    ("v1.ck", checkpointText(checkpointFingerprint, records, version: 1)),
    ("header-only.ck", checkpointText(checkpointFingerprint, [])),
  ]
  return [.csv: csv, .npy: npys, .tables: tables, .checkpoint: checkpoints, .coded: [("coded.bin", codedSample().bytes)]]
}()

// MARK: Mutations

struct Generator {
  var g: SplitMix64
  mutating func below(_ n: Int) -> Int { n <= 0 ? 0 : Int(g.next() % UInt64(n)) }
  mutating func chance(_ p: Double) -> Bool { g.unit() <= p }
  mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
}

let adversarialNumbers = ["NaN", "nan", "-nan", "inf", "-inf", "Infinity", "-Infinity", "1e999", "-1e999", "1e-999",
                          "99999999999999999999999999", "-99999999999999999999", "9223372036854775808", "-0", "0x1p3",
                          "3.4028236e38", "1e308", "", " ", "\"1\"", "1 2", "1e", "-", ".", "+1", "00012", "1_000", "١٢"]
let adversarialShapes = ["(1000000000000, 3)", "(1000000000000,)", "(9223372036854775807, 2)", "(4611686018427387904, 4)",
                         "(-8, 3)", "(8, 3, 1)", "()", "(8, -3)", "(99999999999999999999, 1)", "(8 3)", "[8, 3]", "(0, 3)", "(8, 0)",
                         "(3037000500, 3037000500)", "(8L, 3L)"]
let adversarialDescrs = ["'>f8'", "'<c16'", "'|b1'", "'O'", "'<f2'", "'<u8'", "''", "'<f8", "<f8"]

/// What a mutation promises about the value.
enum Promise { case none, sameValue }

func mutate(_ input: [UInt8], reader: Reader, _ r: inout Generator) -> ([UInt8], String, Promise) {
  var bytes = input
  func replaceFirst(_ target: String, _ replacement: String) -> Bool {
    let t = Array(target.utf8)
    guard !t.isEmpty, bytes.count >= t.count else { return false }
    var starts: [Int] = []
    bytes.withUnsafeBufferPointer { b in
      for i in 0...(b.count - t.count) where b[i] == t[0] {
        var same = true
        for j in 1..<t.count where b[i + j] != t[j] { same = false; break }
        if same { starts.append(i) }
      }
    }
    guard !starts.isEmpty else { return false }
    let at = r.pick(starts)
    bytes.replaceSubrange(at..<(at + t.count), with: Array(replacement.utf8))
    return true
  }
  /// A random number-like token (digits, '.', '-', 'e') replaced.
  func replaceNumber(_ with: String) -> Bool {
    var tokens: [Range<Int>] = []
    var i = 0
    while i < bytes.count {
      if (48...57).contains(bytes[i]) {
        var j = i
        while j < bytes.count, (48...57).contains(bytes[j]) || bytes[j] == 46 || bytes[j] == 101 || bytes[j] == 69 || bytes[j] == 45 { j += 1 }
        var s = i
        if s > 0, bytes[s - 1] == 45 { s -= 1 }
        tokens.append(s..<j)
        i = j
      } else {
        i += 1
      }
    }
    guard !tokens.isEmpty else { return false }
    bytes.replaceSubrange(r.pick(tokens), with: Array(with.utf8))
    return true
  }
  let kind = r.below(reader == .checkpoint ? 22 : reader == .npy ? 21 : 19)
  switch kind {
  case 0:
    guard !bytes.isEmpty else { return (bytes, "flip(empty)", .none) }
    let at = r.below(bytes.count)
    bytes[at] ^= UInt8(1 << r.below(8))
    return (bytes, "bit flip at \(at)", .none)
  case 1:
    guard !bytes.isEmpty else { return (bytes, "set(empty)", .none) }
    let at = r.below(bytes.count)
    bytes[at] = UInt8(r.below(256))
    return (bytes, "byte set at \(at)", .none)
  case 2:
    let at = r.below(bytes.count + 1)
    return (Array(bytes.prefix(at)), "truncated to \(at)", .none)
  case 3:
    let a = r.below(bytes.count + 1), b = r.below(bytes.count + 1)
    bytes.removeSubrange(min(a, b)..<max(a, b))
    return (bytes, "deleted \(min(a, b))..<\(max(a, b))", .none)
  case 4:
    let a = r.below(bytes.count + 1), b = min(bytes.count, a + r.below(64))
    let copy = Array(bytes[a..<b])
    bytes.insert(contentsOf: copy, at: r.below(bytes.count + 1))
    return (bytes, "duplicated \(a)..<\(b)", .none)
  case 5:
    let with = r.pick(adversarialNumbers)
    return (bytes, "number -> \(with)", replaceNumber(with) ? .none : .none)
  case 6:
    return ([], "empty file", .none)
  case 7:
    // CRLF line ends: the value must not change (CSV, JSON, checkpoint
    // lines are LF-only there).
    guard reader == .csv || reader == .tables else { return (bytes + [10], "newline appended", .none) }
    var out: [UInt8] = []
    for b in bytes { if b == 10 { out.append(13) }; out.append(b) }
    return (out, "CRLF", .sameValue)
  case 8:
    let once = (reader == .csv || reader == .tables) && !bytes.starts(with: [0xEF, 0xBB, 0xBF])
    return ([0xEF, 0xBB, 0xBF] + bytes, "BOM", once ? .sameValue : .none)
  case 9:
    let at = r.below(bytes.count + 1)
    let junk: [UInt8] = r.pick([[0xFF], [0xC0, 0x80], [0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82]])
    bytes.insert(contentsOf: junk, at: at)
    return (bytes, "invalid UTF-8 at \(at)", .none)
  case 10:
    let at = r.below(bytes.count + 1)
    bytes.insert(0, at: at)
    return (bytes, "NUL at \(at)", .none)
  case 11:
    // A very long line (about 1 MB).
    let at = r.below(bytes.count + 1)
    let unit: [UInt8] = r.pick([Array("1234567890".utf8), Array("1,".utf8), Array("[".utf8), Array("a".utf8), Array(" ".utf8)])
    var run = [UInt8](repeating: 0, count: 1_000_000)
    for i in run.indices { run[i] = unit[i % unit.count] }
    bytes.insert(contentsOf: run, at: at)
    return (bytes, "long run inserted at \(at)", .none)
  case 12:
    guard reader == .tables else {
      // Trailing blank lines: the value must not change (CSV skips them).
      return (bytes + Array("\n\n  \n".utf8), "blank lines", reader == .csv && bytes.last == 10 ? .sameValue : .none)
    }
    let depth = r.pick([100, 511, 512, 513, 5_000, 200_000])
    return (Array(String(repeating: "[", count: depth).utf8) + Array(String(repeating: "]", count: depth).utf8), "nesting \(depth)", .none)
  case 13:
    if reader == .tables { return (Array(#"{"p": [[[1]]], "p": [[[0, 1]]]}"#.utf8), "duplicate keys", .none) }
    if reader == .csv {
      // Labels that collide after trimming, and ones that do not.
      return (Array("x1,x2,y\n1,2,a\n2,1, a\n3,3,\" a\"\n4,4,a \n".utf8), "labels around spaces", .none)
    }
    return (bytes + bytes, "doubled", .none)
  case 14:
    // Swap two random bytes' ranges (reorders lines and numbers).
    guard bytes.count > 2 else { return (bytes, "swap(short)", .none) }
    let a = r.below(bytes.count), b = r.below(bytes.count)
    bytes.swapAt(a, b)
    return (bytes, "swap \(a) \(b)", .none)
  case 15:
    let with = r.pick(["-1", "0", "1e-320", "1e300", "-0.0", "1e38", "3.5e38", "-3.5e38", "4294967296"])
    _ = replaceNumber(with)
    return (bytes, "number -> \(with)", .none)
  case 16:
    // Structural damage: a separator removed or added.
    let targets = reader == .csv ? [",", "\n", "\""] : reader == .tables ? [",", "[", "]", "{", ":", "\""] : [" ", ",", "\n"]
    let t = r.pick(targets)
    if r.chance(0.5) { _ = replaceFirst(t, "") } else { _ = replaceFirst(t, t + t) }
    return (bytes, "separator \(t.debugDescription) changed", .none)
  case 17:
    // Spaces around CSV fields: the value must not change.
    guard reader == .csv, let header = bytes.firstIndex(of: 10) else { return (bytes, "no-op", .none) }
    var out = Array(bytes[...header])
    for b in bytes[(header + 1)...] {
      if b == 44 { out += [32, 44, 9] } else { out.append(b) }
    }
    let quotes = bytes.filter { $0 == 34 }.count
    return (out, "spaces around separators", quotes == 0 ? .sameValue : .none)
  case 18:
    // Random bytes of random length.
    return ((0..<r.below(200)).map { _ in UInt8(r.below(256)) }, "random bytes", .none)
  case 19:
    if reader == .npy {
      let shape = r.pick(adversarialShapes)
      guard replaceFirst("(8, 3)", shape) || replaceFirst("(24,)", shape) || replaceFirst("(6, 4)", shape) else { return (bytes, "shape(n/a)", .none) }
      return (bytes, "shape -> \(shape)", .none)
    }
    // Checkpoint: lines from another run (valid for their own run).
    let foreign = checkpointText(foreignFingerprint, [(r.below(8), [foreignMarker, 1, 2, 3, 4, 5])])
    var lines: [UInt8] = []
    for line in foreign.split(separator: 10).dropFirst() { lines += Array(line) + [10] }
    return (bytes + lines, "line from another run", .none)
  case 20:
    if reader == .npy {
      let descr = r.pick(adversarialDescrs)
      for d in ["'<f8'", "'<f4'", "'<i4'", "'<i8'", "'|u1'", "'|i1'"] where replaceFirst(d, descr) { break }
      if r.chance(0.3) { _ = replaceFirst("False", "True") }
      if r.chance(0.3), bytes.count > 9 { bytes[8] = 0xFF; bytes[9] = 0xFF }  // header length
      return (bytes, "descr -> \(descr)", .none)
    }
    // Checkpoint: a syntactically valid line with a correct checksum but
    // an adversarial index (negative, huge) or empty numbers.
    let index = r.pick(["-1", "-9223372036854775808", "9223372036854775807", "99999999999999999999", "0", ""])
    let body = index + " " + r.pick(["", "0", "7ff8000000000000", "zz", "1,,2"])
    let line = body + " " + String(fnv1a(Array((checkpointFingerprint + " " + body).utf8)), radix: 16) + "\n"
    return (bytes + Array(line.utf8), "checksummed line '\(body)'", .none)
  default:
    // Checkpoint header of another run / version.
    let header = r.pick(["pidbounds-checkpoint v2 \(foreignFingerprint)", "pidbounds-checkpoint v3 \(checkpointFingerprint)",
                         "pidbounds-checkpoint v2", "something else"])
    let rest = bytes.split(separator: 10, maxSplits: 1, omittingEmptySubsequences: false).dropFirst().first.map(Array.init) ?? []
    return (Array(header.utf8) + [10] + rest, "header -> \(header)", .none)
  }
}

/// Input `index`: reader, seed name, mutated bytes, description, promise.
func input(_ index: Int) -> (Reader, String, [UInt8], [UInt8], String, Promise) {
  var r = Generator(g: SplitMix64(seed: seed &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(index)))
  let reader = Reader(rawValue: index % Reader.allCases.count)!
  let (name, original) = r.pick(seeds[reader]!)
  var bytes = original
  var what: [String] = []
  var promise = Promise.sameValue
  for _ in 0..<(1 + r.below(3)) {
    let (mutated, description, p) = mutate(bytes, reader: reader, &r)
    bytes = mutated
    what.append(description)
    if p == .none { promise = .none }
  }
  return (reader, name, original, bytes, what.joined(separator: "; "), promise)
}

// MARK: Running one input

let scratch: String = {
  let base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp"
  return base + "/pidbounds-fuzz-\(getpid())"
}()

enum Outcome { case value(String), refused(String) }

/// A canonical text of a value (for comparisons), or the error.
func evaluate(_ reader: Reader, _ bytes: [UInt8], path: String) -> Outcome {
  do {
    switch reader {
    case .csv:
      _ = try? writeFileAtomically(path, bytes)
      let roles = ColumnRoles()
      let hasX2 = (try? readCSVDataset(path, roles: roles, shape: DatasetShape(needsX1: false, needsX2: true, needsLabel: false))) != nil
      let hasX1 = (try? readCSVDataset(path, roles: roles, shape: DatasetShape(needsX1: true, needsX2: false, needsLabel: false))) != nil
      let shape = DatasetShape(needsX1: hasX1 || !hasX2, needsX2: hasX2, needsLabel: !(hasX1 && hasX2) || bytes.contains(121))
      func text(_ d: Dataset) -> String { "\(d.rows) \(d.dimension1) \(d.dimension2) \(d.x1) \(d.x2) \(d.labels)" }
      let whole = Result { () throws(DataError) -> Dataset in try readCSVDataset(path, roles: roles, shape: shape) }
      // Read in parts (as ranks read it), the file gives the same dataset
      // or the same error as read whole.
      func outcome(_ result: Result<Dataset, DataError>) -> String {
        switch result {
        case .success(let d): return text(d)
        case .failure(let error): return "error \(error)"
        }
      }
      for parts in [2, 3, 7] {
        let joined = Result { () throws(DataError) -> Dataset in
          try Dataset(csv: path, parts: (0..<parts).map { (part: Int) throws(DataError) -> CSVDatasetPart in
            try readCSVDatasetPart(path, roles: roles, shape: shape, part: part, of: parts)
          })
        }
        guard outcome(joined) == outcome(whole) else { return .value("INVARIANT BROKEN: \(parts) parts differ from the whole file") }
      }
      let d = try whole.get()
      guard d.rows > 0, d.x1.count == d.rows * d.dimension1, d.x2.count == d.rows * d.dimension2,
        d.labels.isEmpty || d.labels.count == d.rows, d.x1.allSatisfy(\.isFinite), d.x2.allSatisfy(\.isFinite),
        d.labels.allSatisfy({ !$0.isEmpty })
      else { return .value("INVARIANT BROKEN") }
      return .value(text(d))
    case .npy:
      _ = try? writeFileAtomically(path, bytes)
      let m = try NumpyMatrix(path: path)
      guard m.rows >= 0, m.columns >= 0, m.values.count == m.rows * m.columns, m.values.allSatisfy(\.isFinite) else {
        return .value("INVARIANT BROKEN")
      }
      for layout in [NumpyLayout.features1ThenLabel, .features2ThenLabel, .pairs(1, m.columns - 1), .labeledPairs(1, m.columns - 2)] {
        _ = try? readNumpyDataset(path, layout: layout)
      }
      return .value("\(m.rows)x\(m.columns) \(m.values)")
    case .tables:
      var parts: [String] = []
      if let joint = try? TableFiles.joint(from: bytes, path: path) {
        guard joint.masses.allSatisfy({ $0.isFinite && $0 >= 0 }) else { return .value("INVARIANT BROKEN") }
        parts.append("joint \(joint.masses)")
      }
      if let tables = try? TableFiles.pairwiseTables(from: bytes, path: path) { parts.append("tables \(tables.x1y.elements)") }
      _ = try? TableFiles.pairwise(from: bytes, path: path, tolerance: 1e-6)
      if parts.isEmpty {
        // Neither reading: the error of the joint reader must be typed.
        _ = try TableFiles.joint(from: bytes, path: path)
      }
      return .value(parts.joined(separator: " "))
    case .checkpoint:
      let file = try CheckpointFile.parse(bytes, path: path, fingerprint: checkpointFingerprint)
      for (index, numbers) in file.records {
        guard index >= 0, !numbers.contains(foreignMarker) else { return .value("FOREIGN OR NEGATIVE RECORD ACCEPTED") }
      }
      // What is accepted survives a rewrite unchanged.
      guard let again = try? CheckpointFile.parse(Array(file.text.utf8), path: path, fingerprint: checkpointFingerprint),
        again.records.count == file.records.count, again.damagedLines == 0
      else { return .value("REWRITE CHANGED RECORDS") }
      return .value("\(file.records.map { "\($0.0):\($0.1.map(\.bitPattern))" })")
    case .coded:
      guard let coded = CodedData(bytes: bytes) else { return .refused("malformed") }
      _ = coded.pairwiseCounts
      _ = coded.validationCounts
      if coded.alphabet1 * coded.alphabet2 * coded.labelCount <= 10_000 { _ = coded.jackknifeCells }
      guard coded.bytes == bytes else { return .value("ROUND TRIP CHANGED") }
      return .value("ok")
    }
  } catch {
    return .refused(error.description)
  }
}

func pathFor(_ reader: Reader) -> String {
  scratch + "/input" + (reader == .npy ? ".npy" : reader == .csv ? ".csv" : reader == .tables ? ".json" : ".ck")
}

/// Problems with one input's outcome ("" when fine), and whether the
/// reader accepted it.
func check(_ index: Int) -> (problem: String, accepted: Bool) {
  check(input(index))
}

func check(_ generated: (Reader, String, [UInt8], [UInt8], String, Promise)) -> (problem: String, accepted: Bool) {
  let (reader, _, original, bytes, _, promise) = generated
  let path = pathFor(reader)
  let outcome = evaluate(reader, bytes, path: path)
  switch outcome {
  case .refused(let message):
    if message.hasPrefix("UNTYPED") { return ("untyped error: \(message)", false) }
    if reader != .coded && !message.contains(path) { return ("message does not name the file: \(message)", false) }
    if message.contains("\n") { return ("message is more than one line", false) }
    if promise == .sameValue, case .value = evaluate(reader, original, path: path) {
      return ("WRONG: a value-preserving mutation was refused: \(message)", false)
    }
    return ("", false)
  case .value(let text):
    if text.contains("BROKEN") || text.contains("ACCEPTED") || text.contains("CHANGED") { return ("WRONG: \(text)", true) }
    if promise == .sameValue, case .value(let expected) = evaluate(reader, original, path: path), expected != text {
      return ("WRONG: a value-preserving mutation changed the value", true)
    }
    return ("", true)
  }
}

// MARK: Driver

mkdir(scratch, 0o700)
defer { _ = system("rm -rf '\(scratch)'") }

if let only {
  let (reader, name, _, bytes, what, _) = input(only)
  if let saveTo { try? writeFileAtomically(saveTo, bytes) }
  print("input \(only): \(reader.name) from \(name): \(what) (\(bytes.count) bytes)")
  let result = check(only)
  print(result.problem.isEmpty ? (result.accepted ? "accepted" : "refused with a typed error") : "PROBLEM: \(result.problem)")
  _ = system("rm -rf '\(scratch)'")
  exit(result.problem.isEmpty ? 0 : 1)
}

var crashes: [Int] = [], hangs: [Int] = [], wrong: [(Int, String)] = [], badMessages: [(Int, String)] = []
var accepted = 0, refused = 0
var perReader = [Int](repeating: 0, count: Reader.allCases.count)
var slowest = 0.0
var next = 0
let started = Date.now()
while next < count {
  // A child runs inputs from `next` on, reporting on a pipe:
  // 'S' index (started), then 'A'/'R' (accepted/refused) or 'P' problem.
  var fds: [Int32] = [0, 0]
  pipe(&fds)
  let child = fork()
  if child == 0 {
    close(fds[0])
    var limit = rlimit(rlim_cur: 4 << 30, rlim_max: 4 << 30)
    setrlimit(Int32(RLIMIT_AS.rawValue), &limit)
    signal(SIGALRM, SIG_DFL)
    func send(_ text: String) {
      var line = text.replacingNewlines() + "\n"
      line.withUTF8 { _ = write(fds[1], $0.baseAddress, $0.count) }
    }
    for index in next..<count {
      let generated = input(index)
      send("S \(index)")
      alarm(10)
      let t = Date.now()
      let (problem, ok) = check(generated)
      alarm(0)
      send(problem.isEmpty ? "\(ok ? "A" : "R") \(index) \(Date.now() - t)" : "P \(index) \(problem.prefix(300))")
    }
    _exit(0)
  }
  close(fds[1])
  var last = -1
  var buffer: [UInt8] = []
  var chunk = [UInt8](repeating: 0, count: 65536)
  while true {
    let n = read(fds[0], &chunk, chunk.count)
    if n <= 0 { break }
    buffer += chunk[0..<n]
    while let newline = buffer.firstIndex(of: 10) {
      let line = String(decoding: buffer[..<newline], as: UTF8.self)
      buffer.removeSubrange(...newline)
      let parts = line.split(separator: " ", maxSplits: 2).map(String.init)
      guard parts.count >= 2, let index = Int(parts[1]) else { continue }
      switch parts[0] {
      case "S": last = index
      case "A", "R":
        if parts[0] == "A" { accepted += 1 } else { refused += 1 }
        perReader[index % Reader.allCases.count] += 1
        slowest = max(slowest, Double(parts.count > 2 ? parts[2] : "0") ?? 0)
      default:
        perReader[index % Reader.allCases.count] += 1
        let problem = parts.count > 2 ? parts[2] : ""
        if problem.hasPrefix("WRONG") { wrong.append((index, problem)) } else { badMessages.append((index, problem)) }
      }
    }
  }
  close(fds[0])
  var status: Int32 = 0
  waitpid(child, &status, 0)
  let signalled = status & 0x7F
  if signalled != 0 {
    guard last >= 0 else { print("fuzz: the child died before any input (signal \(signalled))"); exit(70) }
    if signalled == SIGALRM { hangs.append(last) } else { crashes.append(last) }
    perReader[last % Reader.allCases.count] += 1
    next = last + 1
  } else {
    next = count
  }
}

func describe(_ index: Int) -> String {
  let (reader, name, _, _, what, _) = input(index)
  return "#\(index) \(reader.name) from \(name): \(what)"
}
for index in crashes.prefix(10) { print("CRASH \(describe(index))") }
for index in hangs.prefix(10) { print("HANG \(describe(index))") }
for (index, problem) in wrong.prefix(10) { print("\(problem): \(describe(index))") }
for (index, problem) in badMessages.prefix(10) { print("BAD MESSAGE \(problem): \(describe(index))") }
let seconds = Date.now() - started
print("fuzz: \(count) inputs (seed \(seed); " + Reader.allCases.map { "\($0.name) \(perReader[$0.rawValue])" }.joined(separator: ", ")
  + "): \(accepted) accepted, \(refused) refused with a typed error naming the file; "
  + "crashes \(crashes.count), hangs \(hangs.count), wrong results \(wrong.count), bad messages \(badMessages.count); "
  + "slowest input \(Int(slowest * 1000)) ms; \(Int(seconds)) s")
if crashes.count + hangs.count + wrong.count + badMessages.count > 0 {
  print("reproduce one with: pidbounds-fuzz --seed \(seed) --only INDEX --save FILE")
  exit(1)
}

// MARK: Helpers

enum Date {
  static func now() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) * 1e-9
  }
}

extension String {
  func replacingNewlines() -> String { String(map { $0 == "\n" || $0 == "\r" ? " " : $0 }) }
}
