import LinearProgramming
import Numerics
import PIDMath
import Testing

/// `ClpSolver` on small programs whose answers are known by hand.
@Suite("Clp through the LP shim")
struct ClpSolverTests {
  /// `x0 + x1 + x2 = total` (one row, three columns).
  static func oneRow(total: Double) -> EqualityConstraints {
    EqualityConstraints(rows: 1, columns: 3, columnStarts: [0, 1, 2, 3], rowIndices: [0, 0, 0],
                        values: [1, 1, 1], rightHandSide: [total])
  }

  @Test("min x0 + 2 x1 + 3 x2 on the simplex with x0 <= 0.3: x = (0.3, 0.7, 0), multiplier 2")
  func knownOptimum() throws {
    let program = try ClpSolver().program(Self.oneRow(total: 1))
    let result = program.solve(objective: [1, 2, 3], lower: [0, 0, 0], upper: [0.3, 1, 1], warmStart: nil)
    #expect(result.status == .optimal)
    for (got, want) in zip(result.primal, [0.3, 0.7, 0.0]) { #expect(got.isApproximatelyEqual(to: want, absoluteTolerance: 1e-12)) }
    // Reduced costs c - Aᵀy: x1 is basic, so y = 2.
    #expect(result.dual[0].isApproximatelyEqual(to: 2, absoluteTolerance: 1e-12))
    #expect(result.basis.count == 4)

    // Warm start after a bound change: the same answer as from scratch.
    let warm = program.solve(objective: [1, 2, 3], lower: [0, 0, 0], upper: [0.6, 1, 1], warmStart: result.basis)
    let cold = program.solve(objective: [1, 2, 3], lower: [0, 0, 0], upper: [0.6, 1, 1], warmStart: nil)
    #expect(warm.status == .optimal)
    for (got, want) in zip(warm.primal, [0.6, 0.4, 0.0]) { #expect(got.isApproximatelyEqual(to: want, absoluteTolerance: 1e-12)) }
    #expect(warm.primal == cold.primal)
  }

  @Test("an infeasible program is reported infeasible")
  func infeasible() throws {
    let program = try ClpSolver().program(Self.oneRow(total: 5))
    let result = program.solve(objective: [1, 1, 1], lower: [0, 0, 0], upper: [1, 1, 1], warmStart: nil)
    #expect(result.status == .infeasible)
  }

  @Test("a solve depends on its arguments only, not on earlier solves")
  func deterministic() throws {
    let program = try ClpSolver().program(Self.oneRow(total: 1))
    let first = program.solve(objective: [3, 1, 2], lower: [0, 0.1, 0], upper: [1, 0.5, 1], warmStart: nil)
    _ = program.solve(objective: [1, 5, 2], lower: [0.2, 0, 0], upper: [1, 1, 0.3], warmStart: nil)
    let again = program.solve(objective: [3, 1, 2], lower: [0, 0.1, 0], upper: [1, 0.5, 1], warmStart: nil)
    #expect(first.primal == again.primal)
    #expect(first.dual == again.dual)
    #expect(first.basis == again.basis)
  }

  @Test("the engine names itself with Clp's version")
  func name() throws {
    #expect(try ClpSolver().name.hasPrefix("COIN-OR Clp 1."))
  }
}
