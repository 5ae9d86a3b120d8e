/// Linear programs `min c·x` subject to `A x = b` and `lower <= x <= upper`,
/// solved by an engine outside this module (the `LinearProgramming`
/// module wraps COIN-OR Clp). The mathematics states what it needs here
/// and never sees the engine.

/// The fixed part of a family of linear programs: the equality rows
/// `A x = b`, with `A` column-major and compressed (column `j`'s entries
/// are `rowIndices[columnStarts[j]..<columnStarts[j+1]]` and the same range
/// of `values`).
public struct EqualityConstraints: Sendable, Equatable {
  public var rows: Int
  public var columns: Int
  public var columnStarts: [Int32]
  public var rowIndices: [Int32]
  public var values: [Double]
  /// `b`, one entry per row.
  public var rightHandSide: [Double]

  public init(rows: Int, columns: Int, columnStarts: [Int32], rowIndices: [Int32], values: [Double], rightHandSide: [Double]) {
    precondition(columnStarts.count == columns + 1 && rightHandSide.count == rows)
    precondition(rowIndices.count == Int(columnStarts[columns]) && values.count == rowIndices.count)
    self.rows = rows
    self.columns = columns
    self.columnStarts = columnStarts
    self.rowIndices = rowIndices
    self.values = values
    self.rightHandSide = rightHandSide
  }

  /// `Aᵀ y`, one entry per column.
  public func transposeProduct(_ y: [Double]) -> [Double] {
    (0..<columns).map { j in
      var s = 0.0
      for e in Int(columnStarts[j])..<Int(columnStarts[j + 1]) { s += values[e] * y[Int(rowIndices[e])] }
      return s
    }
  }
}

/// How a solve ended.
public enum LinearProgramStatus: Int, Sendable {
  /// `primal` is optimal within the engine's tolerances, `dual` its
  /// multipliers.
  case optimal = 0
  /// No `x` satisfies the constraints (to the engine's tolerances).
  case infeasible = 1
  case unbounded = 2
  /// An iteration or time limit of the engine.
  case stopped = 3
  /// Numerical difficulties.
  case failed = 4
}

/// The outcome of one solve. Nothing in it is trusted as a certificate by
/// itself: callers turn `dual` into bounds that hold for any multipliers.
public struct LinearProgramResult: Sendable {
  public var status: LinearProgramStatus
  /// One value per column (the engine's last iterate when not optimal).
  public var primal: [Double]
  /// Row multipliers `y` such that the reduced costs are `c - Aᵀ y`; after
  /// `.infeasible` with `dualIsRay`, the engine's infeasibility ray
  /// instead (a Farkas direction, up to sign).
  public var dual: [Double]
  public var dualIsRay: Bool
  /// The final basis, opaque: pass it as `warmStart` of a solve of the
  /// same constraints with other bounds or objective.
  public var basis: [UInt8]
  /// Simplex iterations.
  public var iterations: Int

  public init(status: LinearProgramStatus, primal: [Double], dual: [Double], dualIsRay: Bool, basis: [UInt8], iterations: Int) {
    self.status = status
    self.primal = primal
    self.dual = dual
    self.dualIsRay = dualIsRay
    self.basis = basis
    self.iterations = iterations
  }
}

/// One family of linear programs (fixed `EqualityConstraints`), solved for
/// many column bounds and objectives.
///
/// Contract: the result is a function of the arguments only (not of earlier
/// solves), so that work spread over processes gives the same numbers
/// whatever the number of processes.
public protocol LinearProgram: AnyObject {
  /// Solves `min objective·x` over `A x = b`, `lower <= x <= upper`, from
  /// the basis `warmStart` (a `basis` of an earlier result of this family)
  /// or from scratch.
  func solve(objective: [Double], lower: [Double], upper: [Double], warmStart: [UInt8]?) -> LinearProgramResult
}

/// A linear-programming engine.
public protocol LinearProgramSolver: Sendable {
  /// Name and version, for reports (e.g. "COIN-OR Clp 1.17.6").
  var name: String { get }
  /// A family of programs with these equality rows.
  func program(_ constraints: EqualityConstraints) throws -> any LinearProgram
}

/// Why no linear-programming engine is available (e.g. its library is not
/// installed), in words for the report.
public struct LinearProgramEngineUnavailable: Error, Sendable, CustomStringConvertible {
  public var reason: String
  public init(_ reason: String) { self.reason = reason }
  public var description: String { reason }
}
