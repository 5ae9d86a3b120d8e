import PIDMath

/// COIN-OR Clp as the `LinearProgramSolver` of the mathematics, through
/// the run-time-loaded shim `libpidbounds-lp.so`.
///
/// Every solve runs in a fresh Clp model (the shim's contract), so results
/// depend on the arguments only: the branch and bound gives the same
/// numbers on any number of ranks. A warm start re-enters the primal
/// simplex from the given basis.
public struct ClpSolver: LinearProgramSolver {
  let library: ClpLibrary

  /// Loads the shim and Clp.
  ///
  /// - Throws: `LinearProgrammingError` saying what is missing.
  public init() throws(LinearProgrammingError) {
    library = try ClpLibrary.shared.get()
  }

  public var name: String {
    guard let text = library.version() else { return "COIN-OR Clp" }
    return "COIN-OR Clp " + String(cString: text)
  }

  public func program(_ constraints: EqualityConstraints) throws -> any LinearProgram {
    try ClpProgram(library: library, constraints: constraints)
  }
}

/// One Clp problem (matrix and row bounds held by the shim).
final class ClpProgram: LinearProgram {
  let library: ClpLibrary
  let handle: OpaquePointer
  let rows: Int, columns: Int

  init(library: ClpLibrary, constraints c: EqualityConstraints) throws(LinearProgrammingError) {
    guard let handle = library.create(
      Int32(c.rows), Int32(c.columns), c.columnStarts, c.rowIndices, c.values, c.rightHandSide, c.rightHandSide)
    else { throw LinearProgrammingError("the LP library could not hold a \(c.rows) x \(c.columns) program") }
    self.library = library
    self.handle = handle
    rows = c.rows
    columns = c.columns
  }

  deinit { library.free(handle) }

  func solve(objective: [Double], lower: [Double], upper: [Double], warmStart: [UInt8]?) -> LinearProgramResult {
    precondition(objective.count == columns && lower.count == columns && upper.count == columns)
    precondition(warmStart == nil || warmStart!.count == rows + columns)
    var primal = [Double](repeating: 0, count: columns)
    var dual = [Double](repeating: 0, count: rows)
    var basis = [UInt8](repeating: 0, count: rows + columns)
    var value = 0.0
    var iterations: Int32 = 0
    var ray: Int32 = 0
    let code: Int32
    if let warmStart {
      code = library.solve(handle, objective, lower, upper, warmStart, &primal, &dual, &basis, &value, &iterations, &ray)
    } else {
      code = library.solve(handle, objective, lower, upper, nil, &primal, &dual, &basis, &value, &iterations, &ray)
    }
    return LinearProgramResult(
      status: LinearProgramStatus(rawValue: Int(code)) ?? .failed, primal: primal, dual: dual,
      dualIsRay: ray != 0, basis: basis, iterations: Int(iterations))
  }
}
