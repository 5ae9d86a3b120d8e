import Cluster
import PIDData

/// The CSV files of an analysis read by all ranks at once.
///
/// Every rank parses its part of each file (`readCSVDatasetPart`: part
/// `rank` of `size`) and rank 0 gathers the parts and joins them in order:
/// the datasets, and the first error, of one reader. Rank 0 reads a file
/// alone when another rank cannot read it as rank 0 does (not there, of
/// another size or header, not a regular file) or when the parsed parts
/// exceed what one gather carries.
struct ReadingOverRanks {
  /// Rank 0: each file's dataset or error, by path and shape (empty on the
  /// other ranks).
  private var results: [Key: Result<Dataset, DataError>] = [:]
  /// Rank 0: why some file was read by rank 0 alone, if one was.
  private(set) var aloneBecause: String? = nil

  /// Rank 0: whether the ranks shared every CSV file (there was one).
  var sharedEveryFile: Bool { !results.isEmpty && aloneBecause == nil }

  private struct Key: Hashable {
    var path: String
    var shape: DatasetShape
  }

  /// Reads `files` (every rank calls it with the same files); rank 0 tells
  /// `progress` each file's path as the ranks start on it.
  ///
  /// - Throws: `Failure` (internal error) when a rank sends a part that is
  ///   not the form of one; `MPIError` when the ranks cannot communicate.
  init(_ files: [(path: String, shape: DatasetShape)], roles: ColumnRoles, _ communicator: Communicator,
       progress: ((String) -> Void)? = nil) throws {
    // A file named twice with the same shape is read once (the same
    // choice on every rank: each read is collective).
    var seen = Set<Key>()
    var internalError: (any Error)? = nil
    for (path, shape) in files where seen.insert(Key(path: path, shape: shape)).inserted {
      if communicator.isRoot { progress?(path) }
      let mine = Result { () throws(DataError) -> CSVDatasetPart in
        try readCSVDatasetPart(path, roles: roles, shape: shape, part: communicator.rank, of: communicator.size)
      }
      // Rank 0 keeps its own part.
      let bytes: [UInt8] = (try? mine.get()).map { communicator.isRoot ? [1] : [1] + $0.bytes } ?? [0]
      let gathered = try communicator.gatherWithinLimit(bytes)
      guard communicator.isRoot, internalError == nil else { continue }
      // Rank 0 finishes every file's collective steps before throwing.
      do {
        results[Key(path: path, shape: shape)] = try Self.join(
          path, mine: mine, gathered: consume gathered, roles: roles, shape: shape, aloneBecause: &aloneBecause)
      } catch {
        internalError = error
      }
    }
    // Every rank learns whether rank 0 failed (so that all stop together).
    _ = try communicator.fromRoot {
      if let internalError { throw internalError }
      return []
    }
  }

  /// Rank 0's dataset of `path` from its own part and the gathered ones
  /// (nil: more than one gather carries).
  private static func join(_ path: String, mine: Result<CSVDatasetPart, DataError>, gathered: consuming [[UInt8]]?,
                           roles: ColumnRoles, shape: DatasetShape, aloneBecause: inout String?) throws
    -> Result<Dataset, DataError>
  {
    func alone(_ reason: String) -> Result<Dataset, DataError> {
      aloneBecause = aloneBecause ?? reason
      return Result { () throws(DataError) -> Dataset in try readCSVDataset(path, roles: roles, shape: shape) }
    }
    // What rank 0 cannot read as a whole (a missing file, a bad header) is
    // the error of one reader too.
    let own: CSVDatasetPart
    switch mine {
    case .success(let part): own = part
    case .failure(let error):
      // A pipe is read by rank 0 alone (as it is read without mpirun); so
      // is a file whose size does not match its content (procfs).
      switch CSVDatasetPart.refusal(error) {
      case .notRegular: return alone("\(path) is not a regular file")
      case .sizeNotContent: return alone("\(path) cannot be read in parts (\(CSVDatasetPart.Refusal.sizeNotContent.rawValue))")
      case nil: return .failure(error)
      }
    }
    guard var gathered else {
      return alone("the other ranks' parsed parts of \(path) exceed one gather (\(Communicator.gatherLimit) bytes)")
    }
    var parts: [CSVDatasetPart] = []
    for rank in gathered.indices {
      if rank == 0 {
        parts.append(own)
        continue
      }
      // Each rank's bytes are let go once decoded.
      let bytes = gathered[rank]
      gathered[rank] = []
      guard bytes.first == 1 else { return alone("rank \(rank) could not read \(path)") }
      guard let part = CSVDatasetPart(bytes: bytes.dropFirst()) else {
        throw Failure("rank \(rank) sent a malformed part of \(path)", status: .software)
      }
      guard part.fileSize == own.fileSize, part.header == own.header,
            part.dimension1 == own.dimension1, part.dimension2 == own.dimension2, part.labeled == own.labeled
      else { return alone("rank \(rank) sees another file at \(path) (size or header differ from rank 0's)") }
      parts.append(part)
    }
    return Result { () throws(DataError) -> Dataset in try Dataset(csv: path, parts: parts) }
  }

  /// Rank 0: the dataset of `path` read as `shape` (the error it gave).
  func dataset(_ path: String, _ shape: DatasetShape) throws(DataError) -> Dataset {
    guard let result = results[Key(path: path, shape: shape)] else {
      preconditionFailure("\(path) was not read over the ranks")
    }
    return try result.get()
  }
}

extension Communicator {
  /// Rank 0 reads CSV file `path` whole and every rank receives its rows:
  /// every rank returns the dataset, or throws the error, that one reader
  /// gives.
  func sharedCSVDataset(_ path: String, roles: ColumnRoles, shape: DatasetShape) throws -> Dataset {
    var own: CSVDatasetPart? = nil
    let bytes = try fromRoot {
      let part = try readCSVDatasetPart(path, roles: roles, shape: shape, part: 0, of: 1)
      own = part
      return size > 1 ? part.bytes : []
    }
    let part = own ?? CSVDatasetPart(bytes: bytes[...])
    // Every rank learns whether some rank could not decode (so that all
    // stop together, before the next collective).
    guard try maximum([part == nil ? 1 : 0])[0] == 0, let part else {
      if part != nil { throw Failure.peer }
      throw Failure("internal error: rank 0 sent rows of \(path) that are not their byte form", status: .software)
    }
    return try Dataset(csv: path, parts: [part])
  }
}
