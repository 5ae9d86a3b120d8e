import Foundation
import Testing

/// Open MPI is loaded only by processes that `mpirun` launched
/// (Cluster/MPILibrary.swift): plain runs must not map it, and a binary
/// separated from its shim library must fail clearly under `mpirun`.
@Suite("Open MPI loading")
struct MPILoadingTests {
  @Test("a plain run maps neither the shim nor Open MPI")
  func plainRunLoadsNoMPI() throws {
    // The dynamic loader lists every object it opens on stderr.
    let run = try Run.pidbounds(["pid", "--joint", Run.packageRoot + "/examples/and.json"],
                                extraEnvironment: ["LD_DEBUG": "files"])
    #expect(run.status == 0, "\(run.stderr)")
    #expect(run.stderr.contains("libc.so"), "LD_DEBUG listed no objects: \(run.stderr.prefix(300))")
    #expect(!run.stderr.contains("libmpi"))
    #expect(!run.stderr.contains("libpidbounds-mpi"))
  }

  @Test("under mpirun the shim and Open MPI are loaded and used")
  func mpirunLoadsMPI() throws {
    let run = try Run.pidbounds(["pid", "--joint", Run.packageRoot + "/examples/and.json", "--format", "json"],
                                mpiRanks: 2, extraEnvironment: ["LD_DEBUG": "files"])
    #expect(run.status == 0, "\(run.stderr.suffix(500))")
    #expect(run.stderr.contains("libpidbounds-mpi.so"))
    #expect(run.stderr.contains("libmpi.so"))
    #expect(run.json?["ranks"]?.doubleValue == 2)
  }

  @Test("a binary without its shim fails under mpirun with one message and status 70")
  func missingShim() throws {
    let directory = try scratch([:])
    let lone = directory + "/pidbounds"
    try FileManager.default.copyItem(atPath: Run.binary, toPath: lone)
    let run = try Run.pidbounds(["pid", "--joint", Run.packageRoot + "/examples/and.json"],
                                mpiRanks: 2, executable: lone)
    #expect(run.status == 70, "\(run.stderr)")
    let lines = run.stderr.split(separator: "\n").filter { $0.hasPrefix("pidbounds:") }
    #expect(lines.count == 1, "\(run.stderr)")
    #expect(lines.first?.contains("libpidbounds-mpi.so") == true)
    #expect(lines.first?.contains(directory) == true)
    // A plain run of the same binary needs no shim.
    let plain = try Run.pidbounds(["pid", "--joint", Run.packageRoot + "/examples/and.json"], executable: lone)
    #expect(plain.status == 0, "\(plain.stderr)")
  }
}
