// swift-tools-version:6.0
import PackageDescription

let package = Package(
  name: "pidbounds",
  products: [
    .executable(name: "pidbounds", targets: ["pidbounds"]),
    .library(name: "PIDMath", targets: ["PIDMath"]),
    // The C shim over Open MPI as a shared library: loaded by `Cluster`
    // only when the process was launched by `mpirun`, so that plain runs
    // do not map Open MPI at all.
    .library(name: "pidbounds-mpi", type: .dynamic, targets: ["CMPIShim"]),
    // The C shim over COIN-OR Clp as a shared library: loaded by
    // `LinearProgramming` at run time, so that a machine without Clp still
    // runs everything but the branch-and-bound sharp bound.
    .library(name: "pidbounds-lp", type: .dynamic, targets: ["CLPShim"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/apple/swift-numerics", from: "1.1.1"),
  ],
  targets: [
    // The mathematics: tables, information measures, the certified PID
    // solver and the synergy bounds. No I/O, no MPI.
    .target(
      name: "PIDMath",
      dependencies: [.product(name: "RealModule", package: "swift-numerics")],
      exclude: ["README.md"]),

    // Open MPI as the system provides it (Debian: libopenmpi-dev).
    .systemLibrary(
      name: "COpenMPI",
      pkgConfig: "ompi",
      providers: [.apt(["libopenmpi-dev", "openmpi-bin"])]),
    // Thin C shim over Open MPI: plain functions, no MPI types in its header.
    .target(name: "CMPIShim", dependencies: ["COpenMPI"], exclude: ["README.md"]),
    // The distribution layer: Swift wrapper over the shim (loaded at run
    // time from the `pidbounds-mpi` product) with thrown errors. Knows
    // nothing of information theory.
    .target(name: "Cluster", dependencies: ["SharedLibrary"], exclude: ["README.md"]),
    // Shared libraries opened at run time (the two shims): lookup beside the
    // executable, then the loader's search path.
    .target(name: "SharedLibrary", exclude: ["README.md"]),

    // COIN-OR Clp as the system provides it (Debian: coinor-libclp-dev).
    .systemLibrary(
      name: "CClp",
      pkgConfig: "clp",
      providers: [.apt(["coinor-libclp-dev"])]),
    // Thin C shim over Clp's C interface: plain functions, no Clp types in
    // its header.
    .target(name: "CLPShim", dependencies: ["CClp"], exclude: ["README.md"]),
    // Linear programming for the mathematics: `ClpSolver`, a
    // `PIDMath.LinearProgramSolver` over the shim (loaded at run time from
    // the `pidbounds-lp` product).
    .target(name: "LinearProgramming", dependencies: ["PIDMath", "SharedLibrary"], exclude: ["README.md"]),

    // Data: table files, CSV and .npy datasets, discretization, coded
    // samples and their resampling, the estimation pipeline, JSON, atomic
    // output.
    .target(
      name: "PIDData",
      dependencies: ["PIDMath", .product(name: "RealModule", package: "swift-numerics")],
      exclude: ["README.md"]),

    // The HTML report: a result's JSON as one self-contained page with
    // inline SVG figures. No I/O.
    .target(
      name: "PIDReport",
      dependencies: ["PIDData", .product(name: "RealModule", package: "swift-numerics")],
      exclude: ["README.md"]),

    // The command line: option parsing, reports and exit codes, work over
    // ranks, checkpoints.
    .target(
      name: "PIDCommands",
      dependencies: [
        "PIDMath", "PIDData", "PIDReport", "Cluster", "LinearProgramming",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      exclude: ["README.md"]),
    .executableTarget(name: "pidbounds", dependencies: ["PIDCommands"]),
    // Test tool, not shipped: feeds malformed inputs to every reader of
    // PIDData in-process (scripts/stress runs it).
    .executableTarget(
      name: "pidbounds-fuzz", dependencies: ["PIDData", "PIDMath"],
      swiftSettings: [.swiftLanguageMode(.v5)]),

    .testTarget(
      name: "PIDMathTests",
      dependencies: ["PIDMath", "PIDData", "LinearProgramming", .product(name: "Numerics", package: "swift-numerics")],
      resources: []),
    .testTarget(name: "PIDDataTests", dependencies: ["PIDData"]),
    .testTarget(name: "PIDReportTests", dependencies: ["PIDReport", "PIDData"]),
    .testTarget(
      name: "LinearProgrammingTests",
      dependencies: ["LinearProgramming", "PIDMath", .product(name: "Numerics", package: "swift-numerics")]),
    .testTarget(name: "CommandLineTests", dependencies: ["PIDData"]),
  ]
)
