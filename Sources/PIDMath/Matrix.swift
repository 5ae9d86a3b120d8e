/// A dense row-major matrix of `Double`, the storage of every table here.
public struct Matrix: Equatable, Sendable {
  /// Number of rows.
  public let rows: Int
  /// Number of columns.
  public let columns: Int
  /// Row-major elements, `rows * columns` of them.
  public var elements: [Double]

  /// A matrix of `rows` x `columns` filled with `value`.
  public init(rows: Int, columns: Int, repeating value: Double = 0) {
    precondition(rows >= 0 && columns >= 0)
    self.rows = rows
    self.columns = columns
    self.elements = [Double](repeating: value, count: rows * columns)
  }

  /// A matrix with the given row-major elements.
  public init(rows: Int, columns: Int, elements: [Double]) {
    precondition(elements.count == rows * columns, "element count does not match the shape")
    self.rows = rows
    self.columns = columns
    self.elements = elements
  }

  /// A matrix from nested rows; every row must have the same length.
  public init(_ nested: [[Double]]) {
    let columns = nested.first?.count ?? 0
    precondition(nested.allSatisfy { $0.count == columns }, "ragged rows")
    self.init(rows: nested.count, columns: columns, elements: nested.flatMap { $0 })
  }

  public subscript(row: Int, column: Int) -> Double {
    get { elements[row * columns + column] }
    set { elements[row * columns + column] = newValue }
  }

  /// The transpose.
  public var transposed: Matrix {
    var result = Matrix(rows: columns, columns: rows)
    for i in 0..<rows {
      for j in 0..<columns { result.elements[j * rows + i] = elements[i * columns + j] }
    }
    return result
  }

  /// Sums of each row.
  public var rowSums: [Double] {
    (0..<rows).map { i in elements[i * columns..<(i + 1) * columns].reduce(0, +) }
  }

  /// Sums of each column.
  public var columnSums: [Double] {
    var sums = [Double](repeating: 0, count: columns)
    for i in 0..<rows {
      for j in 0..<columns { sums[j] += elements[i * columns + j] }
    }
    return sums
  }

  /// The rows as nested arrays.
  public var nested: [[Double]] {
    (0..<rows).map { i in Array(elements[i * columns..<(i + 1) * columns]) }
  }
}
