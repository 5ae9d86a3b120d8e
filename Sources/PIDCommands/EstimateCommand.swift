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

  @Option(help: ArgumentHelp("More than two modalities: NAME=PREFIX (repeat); columns PREFIX or PREFIX_* belong to NAME. Every pair is analysed (under mpirun, pair p on rank p mod R).", valueName: "name=prefix"))
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

  @Flag(help: "Include wall-clock figures in the report: rank 0's time on reading and clustering, on the G² p-value's draws shared by the ranks, and where its time went during resampling (then two runs differ).")
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
      // Every rank parses a part of each CSV file, rank 0 joins them (or
      // reads alone, see ReadingOverRanks) and discretizes; every rank
      // receives the coded rows (or the error, so that all ranks fail
      // together). The k-means restarts of the codebooks run on all ranks.
      var reading = Reading()
      let readingProgress: ((String) -> Void)? = interactive ? { writeStandardError("\rreading \($0)\u{1B}[K") } : nil
      if communicator.usesMPI && communicator.size > 1 && example == nil {
        reading.overRanks = try ReadingOverRanks(
          DatasetBundle.csvFiles(x1y: x1y!, x2y: x2y!, x1x2: x1x2!, x1x2y: x1x2y), roles: roles, communicator,
          progress: readingProgress)
      }
      func loadDatasets() throws -> DatasetBundle {
        let data = try self.loadDatasets(over: reading.overRanks, progress: readingProgress)
        reading.seconds = now() - start
        if interactive { writeStandardError("\r\u{1B}[K") }
        return data
      }
      var loaded: DatasetBundle? = nil
      var codebooks: (Codebook, Codebook)? = nil
      // Rank 0's time on the clustering stage, and on its own restarts.
      var clusteringSeconds: (whole: Double, restarts: Double)? = nil
      if !codes {
        var clusteringStart = now()
        var projections: (Codebook.Projection, Codebook.Projection)? = nil
        let problems = try communicator.fromRoot {
          let data = try loadDatasets()
          loaded = data
          clusteringStart = now()
          let fitted = try Estimation.projections(
            data: data, options1: options(clusters1 ?? clusters), options2: options(clusters2 ?? clusters))
          projections = fitted
          if interactive {
            let over = communicator.size > 1 ? " over \(communicator.size) ranks" : ""
            writeStandardError("\rclustering modalities x1 and x2 (\(fitted.0.problem.rows) and \(fitted.1.problem.rows) rows)\(over)\u{1B}[K")
          }
          return communicator.usesMPI ? ClusteringOverRanks.bytes(fitted) : []
        }
        // Rank 0 keeps its own problems; the others decode rank 0's.
        guard let clustering = projections.map({ ClusteringOverRanks(problems: [$0.0.problem, $0.1.problem]) })
          ?? ClusteringOverRanks(bytes: problems)
        else {
          throw Failure("rank \(communicator.rank) received malformed clustering problems", status: .software)
        }
        let restartsStart = now()
        let gathered = try clustering.gatherRuns(communicator)
        let restartsSeconds = now() - restartsStart
        _ = try communicator.fromRoot {
          if let projections { codebooks = try clustering.codebooks(projections, gathered: gathered) }
          return []
        }
        clusteringSeconds = (now() - clusteringStart, restartsSeconds)
      }
      var estimation: Estimation? = nil
      let shared = try communicator.fromRoot {
        let built = try Estimation(
          data: try loaded ?? loadDatasets(), codes: codes,
          options1: options(clusters1 ?? clusters), options2: options(clusters2 ?? clusters), codebooks: codebooks,
          progress: interactive ? { writeStandardError("\r\($0)\u{1B}[K") } : nil)
        estimation = built
        return communicator.usesMPI ? built.coded.bytes : []
      }
      guard let coded = estimation?.coded ?? CodedData(bytes: shared) else {
        throw Failure("rank \(communicator.rank) received malformed coded data", status: .software)
      }
      // (Rank 0 fitted the joint while estimating; the others do it here:
      // every refit of a job starts from it.)
      let fit = try estimation?.fit ?? Estimation.fitJoint(coded)
      let statistic = ResampledStatistic(coded, arguments: bounds, start: fit.joint)
      // Jobs 0..<B are bootstrap replicates, B..<B+P permutations, then
      // (with --interval bca) one jackknife deletion per distinct row for
      // the BCa acceleration; one pass over ranks and one checkpoint serve
      // them all.
      let cells = bootstrap > 0 && interval == .bca ? coded.jackknifeCells : []
      let jobs = bootstrap + permutations + cells.count
      // The analysis of the full data (the point numbers, which the
      // jackknife deletions also need). When the solves could split their
      // labels over the ranks, every rank takes part in it before the jobs.
      // Otherwise, with other ranks to start on the jobs, rank 0 computes
      // it alone while they do, and another rank computes it only when a
      // jackknife deletion needs it: the numbers do not depend on which
      // processes share an analysis (a time-budgeted sharp bound aside,
      // which depends on the rank count anyway).
      let splitsLabels = bounds.labelSplit == .on
        || max(coded.alphabet1, coded.alphabet2, coded.labelCount) >= SolverOptions().labelSplitMinimumLabels
      let overlapsPoint = communicator.size > 1 && jobs > 0 && !splitsLabels
      var analysis: Analysis? = nil
      var point: QuantityValues? = nil
      func analyse(sharedByRanks: Bool) {
        let full = Analysis(witness: fit.witness, arguments: bounds,
                            workers: sharedByRanks ? RankWorkers(communicator) : SingleWorker())
        analysis = full
        point = statistic.point(full, validationCounts: coded.validationCounts)
      }
      if !overlapsPoint { analyse(sharedByRanks: true) }
      // The p-value of the fit's G² (a parametric bootstrap of its own):
      // with other ranks, rank 0 makes its draws during the jobs, between
      // its answers to them (nil: none made there).
      var populationTest: MaximumLikelihoodJoint.DevianceTest? = nil
      // Rank 0's time on the G² p-value's draws shared by the ranks.
      var populationDrawsSeconds: Double? = nil
      var results: [[Double]] = []
      var costs = ResamplingCosts()
      if jobs > 0 {
        installTerminationHandler()
        // Rank 0 opens the checkpoint; a refusal reaches every rank.
        var record: Checkpoint? = nil
        _ = try communicator.fromRoot {
          if let checkpoint {
            let fingerprint = String(fnv1a(coded.bytes + Array("v3 \(seed) \(bootstrap) \(permutations) \(cells.count) \(bounds.targetGap) \(bounds.sharpDimension) \(bounds.sharpNodes) \(bounds.sharpSeconds ?? 0)".utf8)), radix: 16)
            record = try Checkpoint(path: checkpoint, fingerprint: fingerprint)
            if let damaged = record?.damagedLines, damaged > 0, !common.quiet {
              writeStandardError("pidbounds: warning: \(checkpoint): \(damaged) damaged line(s) (failed checksum) dropped; those replicates are computed again\n")
            }
          }
          return []
        }
        results = try resamplingJobs(
          count: jobs, communicator: communicator, checkpoint: record,
          progress: interactive ? { writeStandardError("\rresampling: \(min($0, jobs))/\(jobs) replicates, permutations and jackknife deletions\u{1B}[K") } : nil,
          costs: &costs,
          firstOnRoot: {
            if point == nil { analyse(sharedByRanks: false) }
          },
          rootWork: {
            // With other ranks, rank 0 makes the G² p-value's draws one by
            // one between its answers to them.
            guard communicator.size > 1, let estimation else { return false }
            if populationTest == nil { populationTest = Report.populationTest(estimation.fit) }
            return populationTest?.drawNext() ?? false
          },
          compute: { job in
            if job < bootstrap { return try statistic.numbers(coded.resampled(seed: seed, replicate: job)) }
            if job < bootstrap + permutations { return try statistic.numbers(coded.permuted(seed: seed, index: job - bootstrap)) }
            if point == nil { analyse(sharedByRanks: false) }
            return try statistic.deleting(cells[job - bootstrap - permutations], from: coded, point: point!.values)
          })
      }
      if jobs == 0 && communicator.usesMPI && communicator.size > 1 {
        // No jobs to make the draws between: the ranks share them, draw d
        // on rank d mod R, each from its place in the one stream (the
        // p-value of one process). Every rank takes part in the gather (a
        // rank without a test sends 0; the fit is the same on every rank).
        let drawsStart = now()
        let test = Report.populationTest(fit)
        let mine = test.map { test in
          stride(from: communicator.rank, to: test.draws, by: communicator.size).filter { test.exceeds(draw: $0) }.count
        } ?? 0
        let exceeding = try communicator.gather([Double(mine)]).reduce(0) { $0 + Int($1.first ?? 0) }
        if communicator.isRoot, var test {
          test.record(count: test.draws, exceeding: exceeding)
          populationTest = test
          populationDrawsSeconds = now() - drawsStart
        }
      }
      guard communicator.isRoot, let estimation, let analysis, let point else { return }
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
      // (Draws left when a stop ended the jobs early are made here, from
      // where they stopped; with one process, all of them.)
      var test = populationTest ?? Report.populationTest(estimation.fit)
      while test?.drawNext() == true {}
      let populationPValue = test?.pValue
      report += Report.fitBlocks(estimation.fit, populationPValue: populationPValue)
      if statistic.hasValidation {
        // The plug-in PID of DL: the validation part of the point numbers.
        let s = point[.validationSynergy]!
        let inside = analysis.bounds.lowerClipped - 1e-9 <= s && s <= analysis.bounds.upper + 1e-9
        report.append(("validation", .object(
          Quantity.validation.map { (String($0.rawValue.dropFirst("validation.".count)), JSON.number(point[$0]!)) }
            + [("S_inside_bracket", .bool(inside)), ("rows", .integer(coded.dly.count))])))
      }
      report.append(millerMadowBlock(coded))
      var statistics: [(Quantity, BootstrapStatistic)] = []
      if bootstrap > 0 {
        let jackknife = Array(results.suffix(cells.count))
        statistics = bootstrapStatistics(
          point: point, replicates: Array(results.prefix(bootstrap)), cells: cells, jackknife: jackknife,
          sampleSizes: coded.sampleSizes, confidence: confidence)
        let unusable = unusableCount(results.prefix(bootstrap))
        let gapIndex = point.quantities.firstIndex(of: .gap)
        let largestGap = results.prefix(bootstrap).compactMap { row in gapIndex.flatMap { $0 < row.count ? row[$0] : nil } }
          .filter(\.isFinite).max() ?? .nan
        report += bootstrapBlocks(statistics, replicates: bootstrap, unusable: unusable, largestGap: largestGap, jackknife: cells.count, seed: seed,
                                  confidence: confidence, interval: interval)
      }
      var global: Significance.GlobalTest? = nil
      if permutations > 0 {
        let nulls = Array(results[bootstrap..<(bootstrap + permutations)])
        let pValues = permutationPValues(point: point, nulls: nulls)
        let unusable = unusableCount(nulls)
        report.append(permutationBlock(pValues, permutations: permutations, unusable: unusable, seed: seed))
        global = Significance.GlobalTest(point: point, nulls: nulls)
      }
      let byKey = Dictionary(statistics, uniquingKeysWith: { a, _ in a })
      if let significance = Significance(point: point, statistics: byKey, global: global, confidence: confidence) {
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
      if timing {
        var members: [(String, JSON)] = [("seconds", .number(now() - start))]
        if reading.seconds != nil { members.append(("reading", reading.json(ranks: communicator.size))) }
        if let populationDrawsSeconds { members.append(("fit_p_value_seconds", .number(populationDrawsSeconds))) }
        report.append(("timing", .object(
          members
            + (clusteringSeconds.map {
              [("clustering", .object([("seconds", .number($0.whole)), ("restarts_seconds", .number($0.restarts))]))]
            } ?? [])
            + (jobs > 0 ? [("resampling", costs.json)] : []))))
      }
      try common.emit(.object(report), table: Report.estimateTable)
    }
  }

  /// Every pair of the `--modality` list: the two-modality analysis on the
  /// labeled files of the pair and the unlabeled file's columns of the pair.
  ///
  /// Under mpirun, rank 0 reads the files and sends every rank their rows;
  /// pair `p` (in the order of the list) is analysed on rank `p mod R` and
  /// rank 0 assembles the report in pair order: the same report, or the
  /// same first error, as one process.
  func runModalities() throws {
    Job.run(quiet: common.quiet) { communicator in
      let specs = try Self.pairs(modality, option: "--modality")
      let files = Dictionary(uniqueKeysWithValues: try Self.pairs(labeled, option: "--labeled"))
      let pairs = specs.indices.flatMap { i in ((i + 1)..<specs.count).map { j in (i, j) } }
      // A rank with no pair takes part in the reading and keeps no rows.
      let keepsRows = communicator.rank < pairs.count
      var labeledSets: [Dataset] = [], unlabeledSets: [Dataset] = []
      for (name, prefix) in specs {
        let roles = ColumnRoles(x1Prefix: prefix, x2Prefix: "\u{0}", label: label)
        let labeledRows = try communicator.sharedCSVDataset(
          files[name]!, roles: roles, shape: DatasetShape(needsX1: true, needsX2: false, needsLabel: true))
        let unlabeledRows = try communicator.sharedCSVDataset(
          unlabeled!, roles: roles, shape: DatasetShape(needsX1: true, needsX2: false, needsLabel: false))
        if keepsRows {
          labeledSets.append(labeledRows)
          unlabeledSets.append(unlabeledRows)
        }
      }
      var outcomes = ModalityPairOutcomes()
      for index in stride(from: communicator.rank, to: pairs.count, by: communicator.size) {
        do {
          let (i, j) = pairs[index]
          outcomes.results.append((index, try analysePair(i, j, specs: specs, labeled: labeledSets, unlabeled: unlabeledSets)))
        } catch {
          // This rank's later pairs come after the first error of one process.
          outcomes.failure = (index, Failure(error))
          break
        }
      }
      let gathered = try communicator.gather(outcomes.json.bytes)
      guard communicator.isRoot else { return }
      var results = [(pair: JSON, summary: JSON)?](repeating: nil, count: pairs.count)
      var firstFailure: (index: Int, failure: Failure)? = nil
      for bytes in gathered {
        guard let json = JSON(bytes: bytes), let received = ModalityPairOutcomes(json),
              received.results.allSatisfy({ $0.index < pairs.count && results[$0.index] == nil })
        else {
          throw Failure("internal error: a rank sent pair results that are not their byte form", status: .software)
        }
        for (index, result) in received.results { results[index] = result }
        if let failure = received.failure, failure.index < (firstFailure?.index ?? .max) { firstFailure = failure }
      }
      if let firstFailure { throw firstFailure.failure }
      let ordered = results.compactMap { $0 }
      guard ordered.count == pairs.count else {
        throw Failure("internal error: \(ordered.count) pair results for \(pairs.count) pairs", status: .software)
      }
      let report: [(String, JSON)] = [
        ("version", .string(Report.version)), ("command", .string("estimate")), ("ranks", .integer(communicator.size)),
        ("units", .string("bits")), ("modalities", .array(specs.map { .string($0.0) })),
        ("summary", .array(ordered.map(\.summary))), ("pairs", .array(ordered.map(\.pair))),
      ]
      try common.emit(.object(report), table: Report.modalitiesTable)
    }
  }

  /// The analysis of modalities `i` and `j` (`i < j`): the pair's report
  /// block and its line of the summary.
  private func analysePair(_ i: Int, _ j: Int, specs: [(String, String)], labeled labeledSets: [Dataset],
                           unlabeled unlabeledSets: [Dataset]) throws -> (pair: JSON, summary: JSON) {
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
    let b = analysis.bounds
    let summary = JSON.object([
      ("x1", .string(specs[i].0)), ("x2", .string(specs[j].0)),
      ("R", .number(b.pid.redundancy)), ("U1", .number(b.pid.uniqueness1)), ("U2", .number(b.pid.uniqueness2)),
      ("S_lower", .number(b.lowerClipped)), ("S_upper", .number(b.upper)),
      ("collect_multimodal", .string(decision.collectMultimodal)), ("fusion", .string(decision.fusion)),
    ])
    return (.object(members), summary)
  }

  func options(_ k: Int) -> DiscretizationOptions {
    DiscretizationOptions(clusters: k, components: pca, normalizeRows: normalize, restarts: restarts, seed: seed)
  }

  var roles: ColumnRoles { ColumnRoles(x1Prefix: x1Prefix, x2Prefix: x2Prefix, label: label) }

  /// The datasets (rank 0): the example's, or the files' (the CSV files
  /// from `overRanks` when they were read over the ranks).
  ///
  /// - Parameter progress: told each CSV file's path before rank 0 reads
  ///   it alone.
  func loadDatasets(over overRanks: ReadingOverRanks? = nil, progress: ((String) -> Void)? = nil) throws -> DatasetBundle {
    if let example, let chosen = Example(rawValue: example) { return DatasetBundle(example: chosen, rows: rows) }
    let roles = self.roles
    return try DatasetBundle(x1y: x1y!, x2y: x2y!, x1x2: x1x2!, x1x2y: x1x2y, roles: roles) { (path, shape) throws(DataError) in
      if let overRanks { return try overRanks.dataset(path, shape) }
      progress?(path)
      return try readCSVDataset(path, roles: roles, shape: shape)
    }
  }

  /// Rank 0's reading of the datasets, for `timing.reading`.
  struct Reading {
    /// The CSV files as the ranks read them (nil: rank 0 read alone).
    var overRanks: ReadingOverRanks? = nil
    /// Seconds from the command's start until rank 0 held the datasets.
    var seconds: Double? = nil

    /// `{seconds, ranks}` (the ranks that parsed the CSV files), and
    /// `alone_because` when rank 0 read a file alone under mpirun.
    func json(ranks: Int) -> JSON {
      var members: [(String, JSON)] = [("seconds", .number(seconds ?? 0))]
      members.append(("ranks", .integer(overRanks?.sharedEveryFile == true ? ranks : 1)))
      if let reason = overRanks?.aloneBecause { members.append(("alone_because", .string(reason))) }
      return .object(members)
    }
  }
}

extension Estimation {
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
        ("rows_x1y", .integer(rows.x1y)), ("rows_x2y", .integer(rows.x2y)), ("rows_x1x2", .integer(rows.x1x2)),
        ("rows_x1x2y", .integer(rows.x1x2y)),
      ])),
      ("discretization", .object([
        ("x1", modality(codebook1, counts1, alphabet1)), ("x2", modality(codebook2, counts2, alphabet2)),
      ])),
    ]
  }
}

extension IntervalKind: ExpressibleByArgument {}
