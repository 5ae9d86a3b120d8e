#!/usr/bin/env python3
"""What a whole process costs on this machine before pidbounds does any work.

The speed target of `pidbounds pid` is stated for the whole process (start to
exit). This benchmark puts that figure next to the floors a process cannot go
below, all built with the same toolchain and flags as the release binary and
measured the same way (median wall time of --runs runs of fork+exec+wait):

  c_static_hello         a static C "hello" (gcc -O2 -static): the cost of a process
  swift_static_hello     print("hi") built with -static-stdlib: the Swift runtime's start-up
  argument_parser_cli    a minimal swift-argument-parser command line (a root command
                         with one subcommand and two options, `cli pid --joint x`),
                         built as a SwiftPM release package with --static-swift-stdlib,
                         depending on swift-argument-parser exactly as Package.swift does
  pidbounds_version      `pidbounds --version`
  pidbounds_pid_and      `pidbounds pid` on the bundled 2x2x2 AND table
  pidbounds_pid_20x20x10 `pidbounds pid` on the seeded random 20x20x10 table of
                         scripts/bench-pid.py (gap 1e-9)

With --clarabel it also times the CVXPY/Clarabel solve of the same 20x20x10 table
(scripts/cvxpy_reference.py) and prints the 100x budget next to the floors.

Usage: scripts/bench-floor.py [--binary PATH] [--runs N] [--seed S] [--clarabel]
Needs gcc, swiftc and swift on PATH (the minimal package is built in a temporary
directory, ~1 min; it fetches swift-argument-parser from the same URL as the project).
"""
import argparse, json, os, re, shutil, subprocess, sys, tempfile

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.normpath(os.path.join(here, ".."))
sys.path.insert(0, here)

MINIMAL_CLI = """import ArgumentParser
struct Pid: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "pid")
  @Option var joint: String
  @Option var format: String?
  func run() throws { print(joint) }
}
struct Cli: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "cli", version: "1", subcommands: [Pid.self])
}
Cli.main()
"""

def argument_parser_requirement():
    text = open(os.path.join(root, "Package.swift")).read()
    match = re.search(r'\.package\(url: "([^"]*swift-argument-parser)", from: "([^"]+)"\)', text)
    if not match:
        sys.exit("bench-floor: cannot find the swift-argument-parser dependency in Package.swift")
    return match.group(1), match.group(2)

def build_floors(work):
    """Builds the three reference programs in `work`; returns their paths."""
    c_source = os.path.join(work, "hello.c")
    with open(c_source, "w") as f:
        f.write('#include <stdio.h>\nint main(void) { puts("hi"); return 0; }\n')
    c_binary = os.path.join(work, "hello-c")
    subprocess.run(["gcc", "-O2", "-static", c_source, "-o", c_binary], check=True)
    swift_source = os.path.join(work, "hello.swift")
    with open(swift_source, "w") as f:
        f.write('print("hi")\n')
    swift_binary = os.path.join(work, "hello-swift")
    subprocess.run(["swiftc", "-O", "-static-stdlib", swift_source, "-o", swift_binary], check=True)
    url, version = argument_parser_requirement()
    package = os.path.join(work, "cli")
    os.makedirs(os.path.join(package, "Sources", "cli"))
    with open(os.path.join(package, "Package.swift"), "w") as f:
        f.write(f"""// swift-tools-version:6.0
import PackageDescription
let package = Package(
  name: "cli",
  dependencies: [.package(url: "{url}", from: "{version}")],
  targets: [.executableTarget(name: "cli", dependencies: [.product(name: "ArgumentParser", package: "swift-argument-parser")])])
""")
    with open(os.path.join(package, "Sources", "cli", "main.swift"), "w") as f:
        f.write(MINIMAL_CLI)
    print("bench-floor: building the minimal swift-argument-parser command line (~1 min)", file=sys.stderr)
    subprocess.run(["swift", "build", "-c", "release", "--static-swift-stdlib", "--package-path", package],
                   check=True, stdout=subprocess.DEVNULL)
    return c_binary, swift_binary, os.path.join(package, ".build", "release", "cli")

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=os.path.join(root, ".build", "release", "pidbounds"))
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--clarabel", action="store_true", help="also time the CVXPY/Clarabel solve of the 20x20x10 table")
    args = ap.parse_args()
    if not os.access(args.binary, os.X_OK):
        sys.exit(f"bench-floor: no executable at {args.binary}; build with: swift build -c release --static-swift-stdlib")
    from importlib import import_module
    bench_pid = import_module("bench-pid")
    table, median_wall = bench_pid.table, bench_pid.median_wall
    work = tempfile.mkdtemp(prefix="pidbounds-floor-")
    try:
        c_binary, swift_binary, cli_binary = build_floors(work)
        joint = os.path.join(work, "joint_20x20x10.json")
        with open(joint, "w") as f:
            json.dump({"p": table(20, 20, 10, args.seed)}, f)
        and_table = os.path.join(root, "examples", "and.json")
        cases = [
            ("c_static_hello", [c_binary]),
            ("swift_static_hello", [swift_binary]),
            ("argument_parser_cli", [cli_binary, "pid", "--joint", "x"]),
            ("pidbounds_version", [args.binary, "--version"]),
            ("pidbounds_pid_and", [args.binary, "pid", "--joint", and_table, "--no-bounds", "--format", "json"]),
            ("pidbounds_pid_20x20x10", [args.binary, "pid", "--joint", joint, "--gap", "1e-9", "--no-bounds",
                                        "--format", "json"]),
        ]
        for name, command in cases:
            med, low = median_wall(command, args.runs)
            print(json.dumps({"process": name, "seconds_median": round(med, 6), "seconds_min": round(low, 6)}))
        if args.clarabel:
            ref = subprocess.run([sys.executable, os.path.join(here, "cvxpy_reference.py"), "--joint", joint],
                                 capture_output=True, text=True, timeout=600)
            if ref.returncode != 0:
                sys.exit(f"bench-floor: cvxpy_reference.py failed: {ref.stderr.strip()}")
            solve = json.loads(ref.stdout)["solve_time_s"]
            print(json.dumps({"clarabel_solve_seconds": solve, "budget_100x_seconds": solve / 100}))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0

if __name__ == "__main__":
    sys.exit(main())
