import ArgumentParser
import Cluster
import PIDData
import PIDMath

#if canImport(Glibc)
import Glibc
#endif

/// `pidbounds estimate`: raw datasets in, one report out.
struct EstimateCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "estimate",
    abstract: "The main job: PID terms, synergy and accuracy bounds and decisions from unimodal labeled data and unlabeled pairs.",
    discussion: """
      D1 (--x1y) holds modality-1 features and labels, D2 (--x2y) modality-2 \
      features and labels, DM (--x1x2) unlabeled pairs of both; DL \
      (--x1x2y, optional) labeled pairs for validation. CSV files with a \
      header: columns named x1 or x1_* are modality 1, x2 or x2_* modality 2, \
      y the label (any strings). Each modality is discretized once on all \
      its rows (D1 and DM for x1, D2 and DM for x2): optional row \
      normalization, PCA, k-means++ with restarts; --codes takes the single \
      column of each modality as codes instead. The three samples are \
      treated as views of one joint: the bounds come from its maximum- \
      likelihood fit (the fit block says how far each table moved and \
      whether the samples look like one population).
      """)

  @Option(help: ArgumentHelp("D1: modality-1 features and labels (CSV, or .npy: features then the label).", valueName: "file"))
  var x1y: String?
  @Option(help: ArgumentHelp("D2: modality-2 features and labels (CSV, or .npy: features then the label).", valueName: "file"))
  var x2y: String?
  @Option(help: ArgumentHelp("DM: unlabeled pairs of both modalities (CSV, or .npy: x1's features then x2's).", valueName: "file"))
  var x1x2: String?
  @Option(help: ArgumentHelp("DL (optional): labeled pairs, for validation (CSV, or .npy: x1's, x2's features, the label).", valueName: "file"))
  var x1x2y: String?
  @Option(help: ArgumentHelp("Run on a bundled dataset instead of files: \(Example.allCases.map(\.rawValue).joined(separator: ", ")).", valueName: "name"))
  var example: String?
  @Option(help: ArgumentHelp("With --example: rows of D1, D2 and DM (DL gets a quarter).", valueName: "n"))
  var rows: Int = Example.rows

  @Option(help: ArgumentHelp("More than two modalities: NAME=PREFIX (repeat); columns PREFIX or PREFIX_* belong to NAME. Every pair is analysed.", valueName: "name=prefix"))
  var modality: [String] = []
  @Option(help: ArgumentHelp("With --modality: NAME=FILE, a CSV with NAME's features and the label (repeat, one per modality).", valueName: "name=file"))
  var labeled: [String] = []
  @Option(help: ArgumentHelp("With --modality: a CSV with unlabeled rows holding every modality's features.", valueName: "file"))
  var unlabeled: String?

  @Option(help: "k-means clusters per modality.")
  var clusters: Int = 20
  @Option(help: "Clusters for modality 1 (default: --clusters).")
  var clusters1: Int?
  @Option(help: "Clusters for modality 2 (default: --clusters).")
  var clusters2: Int?
  @Option(help: "PCA components before clustering (0 = off).")
  var pca: Int = 5
  @Flag(help: "Scale every feature row to unit L2 norm before PCA.")
  var normalize = false
  @Option(help: "k-means restarts (k-means++ seeding each).")
  var restarts: Int = 4
  @Flag(help: "The single column of each modality already holds discrete codes (non-negative integers).")
  var codes = false
  @Option(help: "Random seed: k-means seeding, and the streams of the bootstrap replicates and permutations.")
  var seed: UInt64 = 0
  @Option(help: "Column name (or prefix) of modality 1.")
  var x1Prefix = "x1"
  @Option(help: "Column name (or prefix) of modality 2.")
  var x2Prefix = "x2"
  @Option(help: "Label column name.")
  var label = "y"

  @Option(help: ArgumentHelp("Also write the fitted pairwise tables (the marginals of the fitted joint, an input of `bounds`) to this file.", valueName: "file"))
  var writeTables: String?

  @Option(help: "Bootstrap replicates (0 = none); spread over the MPI ranks.")
  var bootstrap: Int = 0
  @Option(help: "Confidence level of the bootstrap intervals.")
  var confidence: Double = 0.95
  @Option(help: ArgumentHelp("Interval the table shows and the S bracket uses: percentile, or bca (adds BCa intervals next to the percentile ones; costs one extra evaluation per distinct row of D1, D2, DM and DL).", valueName: "kind"))
  var interval: IntervalKind = .percentile
  @Option(help: "Permutations of the null 'label independent of both modalities' (0 = none); p-values for every PID term and bound.")
  var permutations: Int = 0
  @Option(help: ArgumentHelp("Record finished bootstrap replicates in FILE and resume from it (after a kill or SIGTERM, run the same command again).", valueName: "file"))
  var checkpoint: String?

  @Flag(help: "Include wall-clock figures in the report (then two runs differ).")
  var timing = false

  @OptionGroup var bounds: BoundArguments
  @OptionGroup var common: CommonOptions

  /// `NAME=VALUE` pairs of a repeated option.
  static func pairs(_ items: [String], option: String) throws -> [(String, String)] {
    try items.map { item in
      let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
      guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
        throw ValidationError("\(option) takes NAME=VALUE, got \"\(item)\"")
      }
      return (parts[0], parts[1])
    }
  }

  func validate() throws {
    if !modality.isEmpty {
      let names = try Self.pairs(modality, option: "--modality").map(\.0)
      let files = try Self.pairs(labeled, option: "--labeled").map(\.0)
      guard names.count >= 2, Set(names).count == names.count else {
        throw ValidationError("--modality needs at least two distinct names")
      }
      guard Set(files) == Set(names), files.count == names.count else {
        throw ValidationError("give one --labeled NAME=FILE for each --modality (\(names.joined(separator: ", ")))")
      }
      guard unlabeled != nil, example == nil, x1y == nil, x2y == nil, x1x2 == nil, x1x2y == nil else {
        throw ValidationError("with --modality give --labeled and --unlabeled (not --x1y/--x2y/--x1x2/--x1x2y/--example)")
      }
      return
    }
    if let example {
      guard Example(rawValue: example) != nil else {
        throw ValidationError("unknown example \"\(example)\"; available: \(Example.allCases.map(\.rawValue).joined(separator: ", "))")
      }
      guard x1y == nil && x2y == nil && x1x2 == nil && x1x2y == nil else {
        throw ValidationError("--example replaces --x1y/--x2y/--x1x2/--x1x2y; give one or the other")
      }
    } else {
      guard x1y != nil, x2y != nil, x1x2 != nil else {
        throw ValidationError("give --x1y, --x2y and --x1x2 (or --example NAME)")
      }
    }
    for (name, value) in [("--clusters", clusters), ("--clusters1", clusters1 ?? 1), ("--clusters2", clusters2 ?? 1), ("--restarts", restarts)] {
      guard value >= 1 else { throw ValidationError("\(name) must be >= 1") }
    }
    guard pca >= 0 else { throw ValidationError("--pca must be >= 0") }
    if interval == .bca && bootstrap == 0 { throw ValidationError("--interval bca needs --bootstrap B") }
    guard rows >= 10 else { throw ValidationError("--rows must be >= 10") }
    if rows != Example.rows && example == nil { throw ValidationError("--rows only applies to --example") }
    guard bootstrap >= 0 else { throw ValidationError("--bootstrap must be >= 0") }
    guard permutations >= 0 else { throw ValidationError("--permutations must be >= 0") }
    guard confidence > 0 && confidence < 1 else { throw ValidationError("--confidence must be in (0, 1)") }
    if checkpoint != nil && bootstrap == 0 && permutations == 0 {
      throw ValidationError("--checkpoint needs --bootstrap B or --permutations P")
    }
  }

  func run() throws {
    if !modality.isEmpty { return try runModalities() }
    Job.run(quiet: common.quiet) { communicator in
      let start = now()
      let interactive = !common.quiet && isatty(2) == 1 && communicator.isRoot
      // Rank 0 reads and discretizes; every rank receives the coded rows
      // (or the error, so that all ranks fail together).
      var estimation: Estimation? = nil
      let shared = try communicator.fromRoot {
        let built = try Estimation(
          data: try loadDatasets(), codes: codes,
          options1: options(clusters1 ?? clusters), options2: options(clusters2 ?? clusters),
          progress: interactive ? { writeStandardError("\r\($0)\u{1B}[K") } : nil)
        estimation = built
        return communicator.usesMPI ? built.coded.bytes : []
      }
      guard let coded = estimation?.coded ?? CodedData(bytes: shared) else {
        throw Failure("rank \(communicator.rank) received malformed coded data", status: .software)
      }
      // Every rank analyses the full data: the point numbers are what the
      // jackknife deletions leave unchanged.
      // (Rank 0 fitted the joint while estimating; the others do it here.)
      let fit = try estimation?.fit ?? Estimation.fitJoint(coded)
      let analysis = Analysis(witness: fit.witness, arguments: bounds, workers: RankWorkers(communicator))
      let pairwiseLeaves = analysis.blocks.filter { bootstrapBlocks.contains($0.0) }.flatMap { numericLeaves($0.1, $0.0) }
      let statistic = ResampledStatistic(coded, arguments: bounds, pairwiseKeys: pairwiseLeaves.map(\.0), start: fit.joint)
      let pointValues = pairwiseLeaves.map(\.1) + statistic.validation(coded.validationCounts)
      let point = Array(zip(statistic.keys, pointValues))
      // Jobs 0..<B are bootstrap replicates, B..<B+P permutations, then
      // (with --interval bca) one jackknife deletion per distinct row for
      // the BCa acceleration; one pass over ranks and one checkpoint serve
      // them all.
      let cells = bootstrap > 0 && interval == .bca ? coded.jackknifeCells : []
      let jobs = bootstrap + permutations + cells.count
      var results: [[Double]] = []
      if jobs > 0 {
        installTerminationHandler()
        // Rank 0 opens the checkpoint; a refusal reaches every rank.
        var record: Checkpoint? = nil
        _ = try communicator.fromRoot {
          if let checkpoint {
            let fingerprint = String(fnv1a(coded.bytes + Array("v3 \(seed) \(bootstrap) \(permutations) \(cells.count) \(bounds.targetGap) \(bounds.sharpDimension) \(bounds.sharpNodes) \(bounds.sharpSeconds ?? 0)".utf8)), radix: 16)
            record = try Checkpoint(path: checkpoint, fingerprint: fingerprint)
          }
          return []
        }
        results = try resamplingJobs(
          count: jobs, communicator: communicator, checkpoint: record,
          progress: interactive ? { writeStandardError("\rresampling: \(min($0, jobs))/\(jobs) replicates, permutations and jackknife deletions\u{1B}[K") } : nil,
          compute: { job in
            if job < bootstrap { return try statistic.numbers(coded.resampled(seed: seed, replicate: job)) }
            if job < bootstrap + permutations { return try statistic.numbers(coded.permuted(seed: seed, index: job - bootstrap)) }
            return try statistic.deleting(cells[job - bootstrap - permutations], from: coded, point: pointValues)
          })
      }
      guard communicator.isRoot, let estimation else { return }
      if interactive { writeStandardError("\r\u{1B}[K") }
      try analysis.checkCertified(target: bounds.targetGap)
      if let writeTables {
        let m = estimation.fit.marginals
        func nested(_ x: Matrix) -> JSON { .array(x.nested.map { .array($0.map { .number($0) }) }) }
        let tables = JSON.object([("p_x1y", nested(m.x1y)), ("p_x2y", nested(m.x2y)), ("p_x1x2", nested(m.x1x2))])
        try writeFileAtomically(writeTables, Array(tables.rendered().utf8))
      }
      var report = Report.header(
        command: "estimate", ranks: communicator.size,
        n1: estimation.alphabet1, n2: estimation.alphabet2, k: estimation.labels.count)
      report += estimation.blocks
      let dataSize = DataSize(coded)
      report.append(dataSize.block)
      report += analysis.blocks
      report += Report.fitBlocks(estimation.fit, populationPValue: Report.populationPValue(estimation.fit))
      if !statistic.validationKeys.isEmpty {
        // The plug-in PID of DL: the validation part of the point numbers.
        let values = Dictionary(uniqueKeysWithValues: point.suffix(statistic.validationKeys.count))
        let s = values["validation.S"]!
        let inside = analysis.bounds.lowerClipped - 1e-9 <= s && s <= analysis.bounds.upper + 1e-9
        report.append(("validation", .object(
          ResampledStatistic.validationNames.map { ($0, JSON.number(values["validation." + $0]!)) }
            + [("S_inside_bracket", .bool(inside)), ("rows", .integer(coded.dly.count))])))
      }
      report.append(millerMadowBlock(coded))
      var statistics: [(String, BootstrapStatistic)] = []
      if bootstrap > 0 {
        let jackknife = Array(results.suffix(cells.count))
        statistics = bootstrapStatistics(
          point: point, replicates: Array(results.prefix(bootstrap)), cells: cells, jackknife: jackknife,
          sampleSizes: coded.sampleSizes, confidence: confidence)
        let unusable = unusableCount(results.prefix(bootstrap))
        let gapIndex = point.firstIndex { $0.0 == "pid.gap_bits" }
        let largestGap = results.prefix(bootstrap).compactMap { row in gapIndex.flatMap { $0 < row.count ? row[$0] : nil } }
          .filter(\.isFinite).max() ?? .nan
        report += bootstrapBlocks(statistics, replicates: bootstrap, unusable: unusable, largestGap: largestGap, jackknife: cells.count, seed: seed,
                                  confidence: confidence, interval: interval)
      }
      var globalPValue: Double? = nil
      if permutations > 0 {
        let nulls = Array(results[bootstrap..<(bootstrap + permutations)])
        let pValues = permutationPValues(point: point, nulls: nulls)
        let unusable = unusableCount(nulls)
        report.append(permutationBlock(pValues, permutations: permutations, unusable: unusable, seed: seed))
        globalPValue = Significance.globalPValue(point: point, nulls: nulls)
      }
      let byKey = Dictionary(statistics, uniquingKeysWith: { a, _ in a })
      if let significance = Significance(point: point, statistics: byKey, globalPValue: globalPValue, confidence: confidence) {
        report.append(significance.block)
      }
      // The decision: from interval ends with the bootstrap, from the
      // plug-in values without; never certain of a gain or an interaction
      // that the bias of plug-in information could have made. The plug-in
      // decision stays in the report when this one differs.
      let corrected = Decision(correcting: analysis, tables: fit.marginals, statistics: byKey, thresholds: bounds.thresholds)
      var decision = corrected ?? analysis.decision
      var basis = corrected == nil
        ? "plug-in values"
        : "bootstrap: I_min bias-corrected, the synergy lower bound at the low end of its basic interval, the upper bound at the high end of its intervals"
      let caution: String? = bootstrap == 0
        ? "plug-in information from samples is biased upward and, without --bootstrap, its sampling error is unknown"
        : (dataSize.pairwiseAdequate ? nil
          : "a pairwise table has fewer than \(Int(DataSize.minimumRowsPerCell)) rows per occupied cell, where the upward bias of plug-in information exceeds what the bootstrap corrects (see data_size)")
      if let caution, let cautious = decision.withoutCertainty(because: caution) {
        decision = cautious
        basis += "; no gain or interaction stated as certain (\(bootstrap == 0 ? "no bootstrap" : "small samples"))"
      }
      if decision != analysis.decision, let index = report.firstIndex(where: { $0.0 == "decision" }),
        case .object(var members) = Report.decision(decision)
      {
        members.append(("basis", .string(basis)))
        report.insert(("decision_plugin", report[index].1), at: index + 1)
        report[index].1 = .object(members)
      }
      if timing { report.append(("timing", .object([("seconds", .number(now() - start))]))) }
      try common.emit(.object(report), table: Report.estimateTable)
    }
  }

  /// Every pair of the `--modality` list: the two-modality analysis on the
  /// labeled files of the pair and the unlabeled file's columns of the pair.
  func runModalities() throws {
    Job.run(quiet: common.quiet) { communicator in
      guard communicator.isRoot else { return }
      let specs = try Self.pairs(modality, option: "--modality")
      let files = Dictionary(uniqueKeysWithValues: try Self.pairs(labeled, option: "--labeled"))
      var labeledSets: [Dataset] = [], unlabeledSets: [Dataset] = []
      for (name, prefix) in specs {
        let roles = ColumnRoles(x1Prefix: prefix, x2Prefix: "\u{0}", label: label)
        labeledSets.append(try readCSVDataset(files[name]!, roles: roles, shape: DatasetShape(needsX1: true, needsX2: false, needsLabel: true)))
        unlabeledSets.append(try readCSVDataset(unlabeled!, roles: roles, shape: DatasetShape(needsX1: true, needsX2: false, needsLabel: false)))
      }
      var pairs: [JSON] = []
      var summary: [JSON] = []
      for i in 0..<specs.count {
        for j in (i + 1)..<specs.count {
          let second = labeledSets[j], other = unlabeledSets[j]
          let d2 = Dataset(source: second.source, rows: second.rows, x1: [], dimension1: 0, x2: second.x1,
                           dimension2: second.dimension1, labels: second.labels)
          let dm = Dataset(source: unlabeled!, rows: unlabeledSets[i].rows, x1: unlabeledSets[i].x1,
                           dimension1: unlabeledSets[i].dimension1, x2: other.x1, dimension2: other.dimension1, labels: [])
          let estimation = try Estimation(
            data: DatasetBundle(d1: labeledSets[i], d2: d2, dm: dm, dl: nil), codes: codes,
            options1: options(clusters1 ?? clusters), options2: options(clusters2 ?? clusters), progress: nil)
          let analysis = Analysis(witness: estimation.fit.witness, arguments: bounds)
          try analysis.checkCertified(target: bounds.targetGap)
          var members: [(String, JSON)] = [
            ("x1", .string(specs[i].0)), ("x2", .string(specs[j].0)),
            ("alphabet", .object([("x1", .integer(estimation.alphabet1)), ("x2", .integer(estimation.alphabet2)), ("y", .integer(estimation.labels.count))])),
          ]
          members += estimation.blocks.filter { $0.0 != "labels" }
          // No bootstrap here: the plug-in decision's claims of a gain or
          // an interaction are not stated (decision_plugin keeps them).
          var blocks = analysis.blocks
          let decision = analysis.decision.withoutCertainty(
            because: "plug-in information from samples is biased upward and its sampling error is unknown here (no bootstrap with --modality)") ?? analysis.decision
          if let index = blocks.firstIndex(where: { $0.0 == "decision" }) {
            blocks.insert(("decision_plugin", blocks[index].1), at: index + 1)
            blocks[index].1 = Report.decision(decision)
          }
          members += blocks
          members += Report.fitBlocks(estimation.fit, populationPValue: Report.populationPValue(estimation.fit))
          pairs.append(.object(members))
          let b = analysis.bounds
          summary.append(.object([
            ("x1", .string(specs[i].0)), ("x2", .string(specs[j].0)),
            ("R", .number(b.pid.redundancy)), ("U1", .number(b.pid.uniqueness1)), ("U2", .number(b.pid.uniqueness2)),
            ("S_lower", .number(b.lowerClipped)), ("S_upper", .number(b.upper)),
            ("collect_multimodal", .string(decision.collectMultimodal)), ("fusion", .string(decision.fusion)),
          ]))
        }
      }
      let report: [(String, JSON)] = [
        ("version", .string(Report.version)), ("command", .string("estimate")), ("ranks", .integer(communicator.size)),
        ("units", .string("bits")), ("modalities", .array(specs.map { .string($0.0) })),
        ("summary", .array(summary)), ("pairs", .array(pairs)),
      ]
      try common.emit(.object(report), table: Report.modalitiesTable)
    }
  }

  func options(_ k: Int) -> DiscretizationOptions {
    DiscretizationOptions(clusters: k, components: pca, normalizeRows: normalize, restarts: restarts, seed: seed)
  }

  func loadDatasets() throws -> DatasetBundle {
    if let example, let chosen = Example(rawValue: example) {
      let sets = chosen.datasets(rows: rows)
      return DatasetBundle(d1: sets.d1, d2: sets.d2, dm: sets.dm, dl: sets.dl)
    }
    let roles = ColumnRoles(x1Prefix: x1Prefix, x2Prefix: x2Prefix, label: label)
    func isNumpy(_ path: String) -> Bool { path.hasSuffix(".npy") }
    // An .npy D1 (D2) is its modality's features then the label; DM and DL
    // are x1's features, then x2's (then the label), split by the widths of
    // D1 and D2.
    let d1 = isNumpy(x1y!)
      ? try readNumpyDataset(x1y!, layout: .features1ThenLabel)
      : try readCSVDataset(x1y!, roles: roles, shape: DatasetShape(needsX1: true, needsX2: false, needsLabel: true))
    let d2 = isNumpy(x2y!)
      ? try readNumpyDataset(x2y!, layout: .features2ThenLabel)
      : try readCSVDataset(x2y!, roles: roles, shape: DatasetShape(needsX1: false, needsX2: true, needsLabel: true))
    let dm = isNumpy(x1x2!)
      ? try readNumpyDataset(x1x2!, layout: .pairs(d1.dimension1, d2.dimension2))
      : try readCSVDataset(x1x2!, roles: roles, shape: DatasetShape(needsX1: true, needsX2: true, needsLabel: false))
    let dl = try x1x2y.map { path in
      isNumpy(path)
        ? try readNumpyDataset(path, layout: .labeledPairs(d1.dimension1, d2.dimension2))
        : try readCSVDataset(path, roles: roles, shape: DatasetShape(needsX1: true, needsX2: true, needsLabel: true))
    }
    return DatasetBundle(d1: d1, d2: d2, dm: dm, dl: dl)
  }
}

struct DatasetBundle {
  var d1: Dataset, d2: Dataset, dm: Dataset, dl: Dataset?
}

/// From datasets to fitted pairwise tables: label coding, discretization
/// of each modality, counting, the maximum-likelihood joint.
struct Estimation {
  var labels: [String]
  var alphabet1: Int, alphabet2: Int
  var codebook1: Codebook?, codebook2: Codebook?
  var counts1: [Int], counts2: [Int]
  var coded: CodedData
  var fit: MaximumLikelihoodJoint
  var rows: (Int, Int, Int, Int)

  init(data: DatasetBundle, codes: Bool, options1: DiscretizationOptions, options2: DiscretizationOptions,
       progress: ((String) -> Void)?) throws {
    // Labels: the union of every labeled dataset, sorted (numerically when
    // all are numbers), so codes mean the same everywhere.
    let set1 = Set(data.d1.labels), set2 = Set(data.d2.labels)
    for (dataset, set) in [(data.d1, set1), (data.d2, set2)] where set.count < 2 {
      throw Failure("\(dataset.source): only one class (\(set.first ?? "")) among the labels; at least two are needed", status: .dataError)
    }
    guard !set1.isDisjoint(with: set2) else {
      throw Failure("\(data.d1.source) and \(data.d2.source) have disjoint label sets; the labels must be the same classes", status: .dataError)
    }
    var all = set1.union(set2)
    if let dl = data.dl { all.formUnion(dl.labels) }
    labels = all.sorted { a, b in
      if let x = Double(a), let y = Double(b), x != y { return x < y }
      return a < b
    }
    var index: [String: Int] = [:]
    for (i, l) in labels.enumerated() { index[l] = i }
    rows = (data.d1.rows, data.d2.rows, data.dm.rows, data.dl?.rows ?? 0)

    // Codes of each modality.
    let code1: (d1: [Int], dm: [Int], dl: [Int])
    let code2: (d2: [Int], dm: [Int], dl: [Int])
    if codes {
      code1 = (try Estimation.integerCodes(data.d1, modality: 1), try Estimation.integerCodes(data.dm, modality: 1),
               try data.dl.map { try Estimation.integerCodes($0, modality: 1) } ?? [])
      code2 = (try Estimation.integerCodes(data.d2, modality: 2), try Estimation.integerCodes(data.dm, modality: 2),
               try data.dl.map { try Estimation.integerCodes($0, modality: 2) } ?? [])
      alphabet1 = (code1.d1 + code1.dm + code1.dl).max()! + 1
      alphabet2 = (code2.d2 + code2.dm + code2.dl).max()! + 1
      codebook1 = nil
      codebook2 = nil
    } else {
      guard data.d1.dimension1 == data.dm.dimension1, data.d2.dimension2 == data.dm.dimension2,
        data.dl.map({ $0.dimension1 == data.dm.dimension1 && $0.dimension2 == data.dm.dimension2 }) ?? true
      else {
        throw Failure("the datasets disagree on the number of feature columns of a modality (x1: \(data.d1.dimension1) in \(data.d1.source), \(data.dm.dimension1) in \(data.dm.source); x2: \(data.d2.dimension2) in \(data.d2.source), \(data.dm.dimension2) in \(data.dm.source))", status: .dataError)
      }
      for (name, total, k) in [("x1", data.d1.rows + data.dm.rows, options1.clusters), ("x2", data.d2.rows + data.dm.rows, options2.clusters)] where k > total {
        throw Failure("--clusters \(k) is more than the \(total) rows of modality \(name)", status: .dataError)
      }
      progress?("clustering modality x1 (\(data.d1.rows + data.dm.rows) rows)")
      let book1 = Codebook(fitting: [data.d1.x1, data.dm.x1], dimension: data.d1.dimension1, options: options1)
      progress?("clustering modality x2 (\(data.d2.rows + data.dm.rows) rows)")
      let book2 = Codebook(fitting: [data.d2.x2, data.dm.x2], dimension: data.d2.dimension2, options: options2)
      code1 = (book1.encode(data.d1.x1), book1.encode(data.dm.x1), data.dl.map { book1.encode($0.x1) } ?? [])
      code2 = (book2.encode(data.d2.x2), book2.encode(data.dm.x2), data.dl.map { book2.encode($0.x2) } ?? [])
      alphabet1 = options1.clusters
      alphabet2 = options2.clusters
      codebook1 = book1
      codebook2 = book2
    }
    let k = labels.count
    func labelCodes(_ d: Dataset) -> [Int32] { d.labels.map { Int32(index[$0]!) } }
    coded = CodedData(
      alphabet1: alphabet1, alphabet2: alphabet2, labelCount: k,
      d1x1: code1.d1.map(Int32.init), d1y: labelCodes(data.d1), d2x2: code2.d2.map(Int32.init), d2y: labelCodes(data.d2),
      dmx1: code1.dm.map(Int32.init), dmx2: code2.dm.map(Int32.init),
      dlx1: code1.dl.map(Int32.init), dlx2: code2.dl.map(Int32.init), dly: data.dl.map(labelCodes) ?? [])
    var sizes1 = [Int](repeating: 0, count: alphabet1), sizes2 = [Int](repeating: 0, count: alphabet2)
    for c in code1.d1 + code1.dm { sizes1[c] += 1 }
    for c in code2.d2 + code2.dm { sizes2[c] += 1 }
    counts1 = sizes1
    counts2 = sizes2
    fit = try Estimation.fitJoint(coded)
  }

  /// The maximum-likelihood joint of the counts of D1, D2 and DM (DL, the
  /// validation sample, stays out of it).
  static func fitJoint(_ coded: CodedData) throws -> MaximumLikelihoodJoint {
    let tables = coded.pairwiseCounts
    do {
      return try MaximumLikelihoodJoint(x1y: tables.x1y, x2y: tables.x2y, x1x2: tables.x1x2, weights: .counts)
    } catch {
      throw Failure("the count tables cannot be fitted: \(TableFiles.describe(error))", status: .dataError)
    }
  }

  /// The single column of a modality as non-negative integer codes.
  static func integerCodes(_ dataset: Dataset, modality: Int) throws -> [Int] {
    let (values, dimension) = modality == 1 ? (dataset.x1, dataset.dimension1) : (dataset.x2, dataset.dimension2)
    guard dimension == 1 else {
      throw Failure("\(dataset.source): --codes needs exactly one column for modality x\(modality), found \(dimension)", status: .dataError)
    }
    return try values.enumerated().map { row, value in
      guard value >= 0, value == value.rounded(), value < 1_000_000 else {
        throw Failure("\(dataset.source): row \(row + 1): code \(value) of modality x\(modality) is not a non-negative integer", status: .dataError)
      }
      return Int(value)
    }
  }

  /// The `labels`, `datasets` and `discretization` blocks.
  var blocks: [(String, JSON)] {
    func modality(_ book: Codebook?, _ counts: [Int], _ alphabet: Int) -> JSON {
      var members: [(String, JSON)] = [
        ("clusters", .integer(alphabet)),
        ("occupied", .integer(counts.filter { $0 > 0 }.count)),
        ("sizes", .array(counts.map { .integer($0) })),
      ]
      if let book {
        members.append(("pca_components", .integer(book.axes.isEmpty ? 0 : book.reduced)))
        members.append(("variance_kept", .number(book.varianceKept)))
      } else {
        members.append(("method", .string("codes given")))
      }
      return .object(members)
    }
    return [
      ("labels", .array(labels.map { .string($0) })),
      ("datasets", .object([
        ("rows_x1y", .integer(rows.0)), ("rows_x2y", .integer(rows.1)), ("rows_x1x2", .integer(rows.2)),
        ("rows_x1x2y", .integer(rows.3)),
      ])),
      ("discretization", .object([
        ("x1", modality(codebook1, counts1, alphabet1)), ("x2", modality(codebook2, counts2, alphabet2)),
      ])),
    ]
  }
}

extension Report {
  /// The summary table of a run with more than two modalities.
  static func modalitiesTable(_ report: JSON) -> String {
    var out = "Every pair of modalities (bits)\n\n"
    out += "  " + padded("x1", 10) + padded("x2", 10) + leftPadded("R", 8) + leftPadded("U1", 8) + leftPadded("U2", 8)
      + leftPadded("S in", 18) + "  collect  fusion\n"
    if case .array(let rows)? = report["summary"] {
      for row in rows {
        guard case .string(let a)? = row["x1"], case .string(let b)? = row["x2"],
          case .string(let collect)? = row["collect_multimodal"], case .string(let fusion)? = row["fusion"]
        else { continue }
        out += "  " + padded(String(a.prefix(9)), 10) + padded(String(b.prefix(9)), 10)
          + leftPadded(formatted(row["R"]), 8) + leftPadded(formatted(row["U1"]), 8) + leftPadded(formatted(row["U2"]), 8)
          + leftPadded("[\(formatted(row["S_lower"])), \(formatted(row["S_upper"]))]", 18) + "  " + padded(collect, 7) + "  " + fusion + "\n"
      }
    }
    return out
  }

  /// The table a person reads for `estimate`.
  static func estimateTable(_ report: JSON) -> String {
    var out = ""
    if let d = report["discretization"], let a = report["alphabet"] {
      out += "Discretized: x1 into \(formatted(d["x1"]?["occupied"], decimals: 0)) occupied clusters, "
      out += "x2 into \(formatted(d["x2"]?["occupied"], decimals: 0)); \(formatted(a["y"], decimals: 0)) labels.\n"
    }
    if let f = report["fit"] {
      out += "One joint fitted to D1, D2 and DM (maximum likelihood): the tables moved by TV \(formatted(f["tv_x1y"])), "
      out += "\(formatted(f["tv_x2y"])), \(formatted(f["tv_x1x2"])); certificate \(scientific0(f["certificate_gap"])) nats.\n"
      if case .string(let words)? = f["assessment"] {
        out += wrapped(words.prefix(1).uppercased() + words.dropFirst() + ".", width: 78, indent: "") + "\n"
      }
      out += "\n"
    }
    out += boundsTable(report)
    if case .string(let basis)? = report["decision"]?["basis"] {
      out += wrapped("(decision from \(basis); the plug-in decision is under decision_plugin)", width: 76, indent: "  ") + "\n"
    }
    if let b = report["bootstrap"] {
      let kind = b["interval"] == .string("bca") ? "BCa" : "percentile"
      out += "\nUncertainty: \(formatted(b["replicates"], decimals: 0)) bootstrap replicates, "
      out += "\(formatted(.number(100 * (b["confidence"]?.doubleValue ?? 0)), decimals: 0))% \(kind) intervals (bits)\n\n"
      out += "    " + padded("", 22) + leftPadded("plug-in", 9) + leftPadded("corrected", 11) + "   interval\n"
      let rows: [(String, String, String)] = [
        ("redundancy R", "pid", "R"), ("uniqueness U1", "pid", "U1"), ("uniqueness U2", "pid", "U2"),
        ("synergy lower bound", "bounds", "S_lower_clipped"), ("synergy upper bound", "bounds", "S_upper"),
        ("synergy in DL", "validation", "S"),
      ]
      for (label, block, key) in rows {
        guard let s = b[block]?[key] else { continue }
        let (lo, hi) = kind == "BCa" ? (s["bca_lo"], s["bca_hi"]) : (s["lo"], s["hi"])
        let interval = lo == .null || hi == .null ? "undefined" : "[\(formatted(lo)), \(formatted(hi))]"
        out += "    " + padded(label, 22) + leftPadded(formatted(s["estimate"]), 9)
        out += leftPadded(formatted(report["corrected"]?[block]?[key]), 11) + "   " + interval + "\n"
      }
      if let bracket = b["S_bracket"] {
        out += "    synergy bracket with sampling error: [\(formatted(bracket["lo"])), \(formatted(bracket["hi"]))]\n"
      }
    }
    if let significance = report["significance"], case .object(let members)? = Optional(significance) {
      out += "\nAt level \(formatted(significance["level"], decimals: 3)):\n"
      if let global = significance["global"], global != .null {
        let rejected = global["rejected"] == .bool(true)
        out += wrapped((rejected ? "the label depends on the modalities" : "no evidence that the label depends on the modalities")
          + " (permutation test, p = \(formatted(global["p_value"], decimals: 3)))", width: 78, indent: "  ") + "\n"
      } else {
        out += "  no test of dependence: give --permutations P\n"
      }
      for (key, term) in members where term["plug_in"] != nil {
        let name = Significance.reported.first { $0.1 == key }?.0 ?? key
        var details = ["plug-in \(formatted(term["plug_in"]))"]
        if let c = term["corrected"], c != .null { details.append("corrected \(formatted(c))") }
        if case .array(let ends)? = term["interval"], ends.count == 2 {
          details.append("basic interval [\(formatted(ends[0])), \(formatted(ends[1]))]")
        }
        out += "  " + wrapped("\(name): " + details.joined(separator: ", "), width: 78, indent: "    ").dropFirst(4) + "\n"
      }
      out += "  (terms get intervals, not verdicts: the permutation test concerns the label\n"
      out += "  as a whole; a label tied to the modalities only jointly shows in DL alone)\n"
    } else {
      out += "\n  No significance test: give --permutations P (and --bootstrap B for intervals and corrected values).\n"
    }
    if case .array(let advice)? = report["data_size"]?["advice"], !advice.isEmpty {
      out += "\nData size:\n"
      for line in advice {
        guard case .string(let text) = line else { continue }
        // A bullet, continuation lines under its text.
        out += "  - " + wrapped(text, width: 76, indent: "    ").dropFirst(4) + "\n"
      }
    }
    if let v = report["validation"] {
      let inside = v["S_inside_bracket"] == .bool(true)
      out += "\n  validation on \(formatted(v["rows"], decimals: 0)) labeled pairs: plug-in S = \(formatted(v["S"])), "
      out += inside ? "inside the bracket\n" : "OUTSIDE the bracket\n"
    }
    return out
  }
}

extension IntervalKind: ExpressibleByArgument {}
