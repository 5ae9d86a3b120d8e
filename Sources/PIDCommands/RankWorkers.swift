import Cluster
import PIDMath


/// The ranks of the job as `Workers` for the math: one analysis shared by
/// all ranks. A failed exchange cannot be recovered mid-solve: it ends the
/// whole job (never a hang) with a message naming the operation.
struct RankWorkers: Workers, @unchecked Sendable {
  let communicator: Communicator

  init(_ communicator: Communicator) { self.communicator = communicator }

  var count: Int { communicator.size }
  var index: Int { communicator.rank }

  func allGather(_ values: [Double]) -> [[Double]] {
    do {
      return try communicator.allGather(values)
    } catch {
      writeStandardError("pidbounds: error: rank \(communicator.rank): \(error) while sharing a solve\n")
      communicator.abort(code: 70)
    }
  }
}
