import PIDMath

/// The samples of one analysis: D1 `(x1, y)`, D2 `(x2, y)`, DM `(x1, x2)`
/// and the optional validation sample DL `(x1, x2, y)`.
public struct DatasetBundle: Sendable {
  public var d1: Dataset, d2: Dataset, dm: Dataset, dl: Dataset?

  public init(d1: Dataset, d2: Dataset, dm: Dataset, dl: Dataset?) {
    self.d1 = d1
    self.d2 = d2
    self.dm = dm
    self.dl = dl
  }

  /// The four datasets of a bundled example.
  public init(example: Example, rows: Int) {
    let sets = example.datasets(rows: rows)
    self.init(d1: sets.d1, d2: sets.d2, dm: sets.dm, dl: sets.dl)
  }

  /// Reads the datasets from files: a path ending in `.npy` is a NumPy
  /// array, any other a CSV file with a header (columns by `roles`). An
  /// `.npy` D1 (D2) holds its modality's features then the label; DM and DL
  /// hold x1's features, then x2's (then the label), split by the widths of
  /// D1 and D2.
  ///
  /// - Parameter csv: reads a CSV file of the given shape (by default
  ///   `readCSVDataset` with `roles`; the files read are those of
  ///   `csvFiles`).
  /// - Throws: `DataError` naming the file and the line or value at fault.
  public init(x1y: String, x2y: String, x1x2: String, x1x2y: String?, roles: ColumnRoles,
              csv: ((String, DatasetShape) throws(DataError) -> Dataset)? = nil) throws(DataError) {
    func readCSV(_ path: String, _ shape: DatasetShape) throws(DataError) -> Dataset {
      if let csv { return try csv(path, shape) }
      return try readCSVDataset(path, roles: roles, shape: shape)
    }
    let d1 = Self.isNumpy(x1y)
      ? try readNumpyDataset(x1y, layout: .features1ThenLabel)
      : try readCSV(x1y, Self.shapes.d1)
    let d2 = Self.isNumpy(x2y)
      ? try readNumpyDataset(x2y, layout: .features2ThenLabel)
      : try readCSV(x2y, Self.shapes.d2)
    let dm = Self.isNumpy(x1x2)
      ? try readNumpyDataset(x1x2, layout: .pairs(d1.dimension1, d2.dimension2))
      : try readCSV(x1x2, Self.shapes.dm)
    var dl: Dataset? = nil
    if let path = x1x2y {
      dl = Self.isNumpy(path)
        ? try readNumpyDataset(path, layout: .labeledPairs(d1.dimension1, d2.dimension2))
        : try readCSV(path, Self.shapes.dl)
    }
    self.init(d1: d1, d2: d2, dm: dm, dl: dl)
  }

  /// Whether `path` names a `.npy` file (read as NumPy, not CSV).
  static func isNumpy(_ path: String) -> Bool { path.hasSuffix(".npy") }

  /// What each dataset holds.
  static let shapes = (
    d1: DatasetShape(needsX1: true, needsX2: false, needsLabel: true),
    d2: DatasetShape(needsX1: false, needsX2: true, needsLabel: true),
    dm: DatasetShape(needsX1: true, needsX2: true, needsLabel: false),
    dl: DatasetShape(needsX1: true, needsX2: true, needsLabel: true))

  /// The CSV files (paths not ending in `.npy`) that
  /// `init(x1y:x2y:x1x2:x1x2y:roles:csv:)` reads, with their shapes, in the
  /// order it reads them.
  public static func csvFiles(x1y: String, x2y: String, x1x2: String, x1x2y: String?) -> [(path: String, shape: DatasetShape)] {
    [(x1y, shapes.d1), (x2y, shapes.d2), (x1x2, shapes.dm)].filter { !isNumpy($0.0) }
      + (x1x2y.map { isNumpy($0) ? [] : [($0, shapes.dl)] } ?? [])
  }
}

/// From datasets to fitted pairwise tables: label coding, discretization
/// of each modality, counting, and the maximum-likelihood joint of D1, D2
/// and DM (MATH.md section 7). DL is coded with the same codebooks and
/// stays out of the fit.
public struct Estimation: Sendable {
  /// The classes, sorted (numerically when all are numbers): label code
  /// `i` is `labels[i]` in every dataset.
  public var labels: [String]
  public var alphabet1: Int, alphabet2: Int
  /// The fitted codebooks (nil with `codes`).
  public var codebook1: Codebook?, codebook2: Codebook?
  /// Rows per code of each modality over D1 and DM (x1), D2 and DM (x2).
  public var counts1: [Int], counts2: [Int]
  public var coded: CodedData
  public var fit: MaximumLikelihoodJoint
  /// Rows of D1, D2, DM and DL (0 without DL).
  public var rows: (x1y: Int, x2y: Int, x1x2: Int, x1x2y: Int)

  /// - Parameters:
  ///   - codes: take the single column of each modality as its codes
  ///     instead of clustering.
  ///   - codebooks: the codebooks of x1 and x2, already fitted from
  ///     `projections(data:options1:options2:)` of the same data and
  ///     options (nil: fitted here); `DataError.invalid` when their feature
  ///     widths or cluster counts are not those of the data and options.
  ///   - progress: called with a line before each long step.
  /// - Throws: `DataError.malformed` naming the dataset when a labeled
  ///   sample has one class, the label sets are disjoint, the feature widths
  ///   disagree, codes are not non-negative integers or there are more
  ///   clusters than rows; `DataError.invalid` when the tables cannot be
  ///   fitted.
  public init(data: DatasetBundle, codes: Bool, options1: DiscretizationOptions, options2: DiscretizationOptions,
              codebooks: (Codebook, Codebook)? = nil, progress: ((String) -> Void)?) throws(DataError) {
    try Estimation.checkLabels(data)
    var all = Set(data.d1.labels).union(data.d2.labels)
    if let dl = data.dl { all.formUnion(dl.labels) }
    labels = all.sorted { a, b in
      if let x = Double(a), let y = Double(b), x != y { return x < y }
      return a < b
    }
    var index: [String: Int] = [:]
    for (i, l) in labels.enumerated() { index[l] = i }
    rows = (data.d1.rows, data.d2.rows, data.dm.rows, data.dl?.rows ?? 0)

    let code1: (d1: [Int], dm: [Int], dl: [Int])
    let code2: (d2: [Int], dm: [Int], dl: [Int])
    if codes {
      var dl1: [Int] = [], dl2: [Int] = []
      if let dl = data.dl {
        dl1 = try Estimation.integerCodes(dl, modality: 1)
        dl2 = try Estimation.integerCodes(dl, modality: 2)
      }
      code1 = (try Estimation.integerCodes(data.d1, modality: 1), try Estimation.integerCodes(data.dm, modality: 1), dl1)
      code2 = (try Estimation.integerCodes(data.d2, modality: 2), try Estimation.integerCodes(data.dm, modality: 2), dl2)
      alphabet1 = (code1.d1 + code1.dm + code1.dl).max()! + 1
      alphabet2 = (code2.d2 + code2.dm + code2.dl).max()! + 1
      guard alphabet1 * alphabet2 * labels.count <= CodedData.maximumCells else {
        throw .malformed(path: data.d1.source, line: nil,
                         message: "codes up to \(alphabet1 - 1) (x1) and \(alphabet2 - 1) (x2) with \(labels.count) labels make a joint table of \(alphabet1 * alphabet2 * labels.count) cells, more than the \(CodedData.maximumCells) supported; renumber the codes densely from 0")
      }
      codebook1 = nil
      codebook2 = nil
    } else {
      let book1: Codebook, book2: Codebook
      if let codebooks {
        try Estimation.checkWidths(data)
        (book1, book2) = codebooks
        guard book1.dimension == data.d1.dimension1, book2.dimension == data.d2.dimension2,
          book1.clusters == options1.clusters, book2.clusters == options2.clusters
        else {
          throw .invalid(message: "the codebooks given (\(book1.dimension) and \(book2.dimension) features, \(book1.clusters) and \(book2.clusters) clusters) do not match the data (\(data.d1.dimension1) and \(data.d2.dimension2) features) and options (\(options1.clusters) and \(options2.clusters) clusters)")
        }
      } else {
        // (The labels are checked above.)
        let (projection1, projection2) = try Estimation.checkedProjections(data: data, options1: options1, options2: options2)
        progress?("clustering modality x1 (\(data.d1.rows + data.dm.rows) rows)")
        book1 = Codebook(projection1)
        progress?("clustering modality x2 (\(data.d2.rows + data.dm.rows) rows)")
        book2 = Codebook(projection2)
      }
      code1 = (book1.encode(data.d1.x1), book1.encode(data.dm.x1), data.dl.map { book1.encode($0.x1) } ?? [])
      code2 = (book2.encode(data.d2.x2), book2.encode(data.dm.x2), data.dl.map { book2.encode($0.x2) } ?? [])
      alphabet1 = options1.clusters
      alphabet2 = options2.clusters
      codebook1 = book1
      codebook2 = book2
    }
    func labelCodes(_ d: Dataset) -> [Int32] { d.labels.map { Int32(index[$0]!) } }
    coded = CodedData(
      alphabet1: alphabet1, alphabet2: alphabet2, labelCount: labels.count,
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

  /// The first stage of each modality's codebook (normalization, PCA, the
  /// rows of D1 (D2) and DM projected), whose clustering restarts can then
  /// run anywhere; `Codebook(_:runs:)` finishes them.
  ///
  /// - Throws: `DataError.malformed` as `init` does for the labels, the
  ///   feature widths and a modality with fewer rows than clusters (in that
  ///   order).
  public static func projections(data: DatasetBundle, options1: DiscretizationOptions,
                                 options2: DiscretizationOptions) throws(DataError) -> (Codebook.Projection, Codebook.Projection) {
    try checkLabels(data)
    return try checkedProjections(data: data, options1: options1, options2: options2)
  }

  /// `projections` after the labels are checked: the feature widths and
  /// the cluster counts, then the projections.
  private static func checkedProjections(data: DatasetBundle, options1: DiscretizationOptions,
                                         options2: DiscretizationOptions) throws(DataError) -> (Codebook.Projection, Codebook.Projection) {
    try checkWidths(data)
    for (name, source, total, k) in [("x1", data.d1.source, data.d1.rows + data.dm.rows, options1.clusters),
                                     ("x2", data.d2.source, data.d2.rows + data.dm.rows, options2.clusters)] where k > total {
      throw .malformed(path: source, line: nil, message: "--clusters \(k) is more than the \(total) rows of modality \(name)")
    }
    return (Codebook.Projection(fitting: [data.d1.x1, data.dm.x1], dimension: data.d1.dimension1, options: options1),
            Codebook.Projection(fitting: [data.d2.x2, data.dm.x2], dimension: data.d2.dimension2, options: options2))
  }

  /// Refuses a labeled sample with one class, and label sets of D1 and D2
  /// with no class in common.
  static func checkLabels(_ data: DatasetBundle) throws(DataError) {
    let set1 = Set(data.d1.labels), set2 = Set(data.d2.labels)
    for (dataset, set) in [(data.d1, set1), (data.d2, set2)] where set.count < 2 {
      throw .malformed(path: dataset.source, line: nil,
                       message: "only one class (\(set.first ?? "")) among the labels; at least two are needed")
    }
    guard !set1.isDisjoint(with: set2) else {
      throw .malformed(path: data.d1.source, line: nil,
                       message: "disjoint label sets with \(data.d2.source); the labels must be the same classes")
    }
  }

  /// Refuses datasets that disagree on the feature width of a modality.
  static func checkWidths(_ data: DatasetBundle) throws(DataError) {
    guard data.d1.dimension1 == data.dm.dimension1, data.d2.dimension2 == data.dm.dimension2,
      data.dl.map({ $0.dimension1 == data.dm.dimension1 && $0.dimension2 == data.dm.dimension2 }) ?? true
    else {
      throw .malformed(path: data.dm.source, line: nil,
                       message: "the datasets disagree on the number of feature columns of a modality (x1: \(data.d1.dimension1) in \(data.d1.source), \(data.dm.dimension1) in \(data.dm.source); x2: \(data.d2.dimension2) in \(data.d2.source), \(data.dm.dimension2) in \(data.dm.source))")
    }
  }

  /// The maximum-likelihood joint of the counts of D1, D2 and DM.
  ///
  /// - Throws: `DataError.invalid` when the tables cannot be fitted.
  public static func fitJoint(_ coded: CodedData) throws(DataError) -> MaximumLikelihoodJoint {
    let tables = coded.pairwiseCounts
    do {
      return try MaximumLikelihoodJoint(x1y: tables.x1y, x2y: tables.x2y, x1x2: tables.x1x2, weights: .counts)
    } catch {
      throw .invalid(message: "the count tables cannot be fitted: \(TableFiles.describe(error))")
    }
  }

  /// The single column of a modality as non-negative integer codes.
  static func integerCodes(_ dataset: Dataset, modality: Int) throws(DataError) -> [Int] {
    let (values, dimension) = modality == 1 ? (dataset.x1, dataset.dimension1) : (dataset.x2, dataset.dimension2)
    guard dimension == 1 else {
      throw .malformed(path: dataset.source, line: nil,
                       message: "--codes needs exactly one column for modality x\(modality), found \(dimension)")
    }
    var codes: [Int] = []
    codes.reserveCapacity(values.count)
    for (row, value) in values.enumerated() {
      guard value >= 0, value == value.rounded(), value < 1_000_000 else {
        throw .malformed(path: dataset.source, line: nil,
                         message: "row \(row + 1): code \(value) of modality x\(modality) is not a non-negative integer")
      }
      codes.append(Int(value))
    }
    return codes
  }
}
