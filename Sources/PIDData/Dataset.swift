/// One dataset of rows: features of up to two modalities and, when
/// labeled, a label string per row.
///
/// Features are stored row-major as `Float` (half the memory of `Double`);
/// a modality the dataset does not have has dimension 0.
public struct Dataset: Sendable {
  /// Where the rows came from (a path or an example name), for messages.
  public var source: String
  public var rows: Int
  public var x1: [Float]
  public var dimension1: Int
  public var x2: [Float]
  public var dimension2: Int
  /// Label of each row; empty when the dataset is unlabeled.
  public var labels: [String]

  public init(source: String, rows: Int, x1: [Float], dimension1: Int, x2: [Float], dimension2: Int, labels: [String]) {
    self.source = source
    self.rows = rows
    self.x1 = x1
    self.dimension1 = dimension1
    self.x2 = x2
    self.dimension2 = dimension2
    self.labels = labels
  }
}

/// Which columns of a CSV file hold what (CLI.md): columns named `x1` or
/// starting with `x1_` are modality 1, likewise `x2`, and `y` is the label.
public struct ColumnRoles: Sendable {
  public var x1Prefix: String
  public var x2Prefix: String
  public var label: String

  public init(x1Prefix: String = "x1", x2Prefix: String = "x2", label: String = "y") {
    self.x1Prefix = x1Prefix
    self.x2Prefix = x2Prefix
    self.label = label
  }

  func isModality(_ name: String, _ prefix: String) -> Bool {
    name == prefix || name.hasPrefix(prefix + "_")
  }
}

/// What a dataset must contain.
public struct DatasetShape: Sendable, Hashable {
  public var needsX1: Bool
  public var needsX2: Bool
  public var needsLabel: Bool
  public init(needsX1: Bool, needsX2: Bool, needsLabel: Bool) {
    self.needsX1 = needsX1
    self.needsX2 = needsX2
    self.needsLabel = needsLabel
  }
}
