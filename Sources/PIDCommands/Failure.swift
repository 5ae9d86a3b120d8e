import Cluster
import PIDData
import PIDMath

/// Exit codes of CLI.md (sysexits).
public enum ExitStatus: Int32, Sendable {
  case success = 0
  case usage = 64
  case dataError = 65
  case noInput = 66
  case software = 70
  case ioError = 74
  case interrupted = 75
}

/// A failure that ends the command: a one-line message and an exit status.
/// This is the one place where errors are mapped to exit codes.
public struct Failure: Error, CustomStringConvertible {
  public var message: String
  public var status: ExitStatus

  public init(_ message: String, status: ExitStatus) {
    self.message = message
    self.status = status
  }

  public var description: String { message }

  /// What a rank throws when it stops only because another rank failed:
  /// no message of its own (the failing rank's line is reported).
  static let peer = Failure("", status: .software)

  /// Maps any error of the modules to its message and exit status.
  public init(_ error: any Error) {
    switch error {
    case let failure as Failure: self = failure
    case let data as DataError:
      switch data {
      case .missingFile: self.init(data.description, status: .noInput)
      case .io: self.init(data.description, status: .ioError)
      case .malformed, .invalid: self.init(data.description, status: .dataError)
      }
    case let table as TableError: self.init(table.description, status: .dataError)
    case let mpi as MPIError: self.init(mpi.description, status: .software)
    default: self.init("internal error: \(error)", status: .software)
    }
  }
}
