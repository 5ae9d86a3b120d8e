/// Cooperating workers (the MPI ranks of a job, or just this process) that
/// share independent pieces of one computation.
///
/// Every worker calls the same methods in the same order with arguments of
/// the same shape (the calls are collective), and every worker receives the
/// same results. Pieces are assigned by index (`piece % count == index`)
/// and results are combined in a fixed order or by exact operations, so
/// the numbers do not depend on `count`. The math never sees how the
/// workers talk; an implementation that cannot communicate must end the
/// job (it cannot return a partial answer).
public protocol Workers: Sendable {
  /// Number of workers.
  var count: Int { get }
  /// This worker's index in `0..<count`.
  var index: Int { get }
  /// Every worker passes its own values (any length); every worker gets
  /// all of them, in worker order.
  func allGather(_ values: [Double]) -> [[Double]]
}

extension Workers {
  /// Whether piece `piece` is this worker's.
  func owns(_ piece: Int) -> Bool { piece % count == index }

  /// The element-wise minimum over the workers (exact: independent of the
  /// order of combination).
  public func minimum(_ values: [Double]) -> [Double] {
    allGather(values).reduce(values) { zip($0, $1).map { Swift.min($0, $1) } }
  }
}

/// This process alone.
public struct SingleWorker: Workers {
  public init() {}
  public var count: Int { 1 }
  public var index: Int { 0 }
  public func allGather(_ values: [Double]) -> [[Double]] { [values] }
}
