#!/usr/bin/env python3
"""Benchmark of `pidbounds pid --no-bounds` (the PID solve alone, without the
bounds from the pairwise marginals): whole-process wall time on seeded random
Dirichlet(1) tables, with the certified gap it reached, and (when cvxpy is
installed) the solver time alone of the standard CVXPY conic program
(scripts/cvxpy_reference.py, Clarabel) on the identical table.

Usage: scripts/bench-pid.py [--binary PATH] [--runs N] [--shapes 20x20x10,200x200x10]
       [--gap20 1e-9] [--gap-large 1e-6] [--seed S] [--no-cvxpy]

First prints the fixed cost of a process: `pidbounds --version` and `pid` on
the 2x2x2 AND table (start-up, argument parsing, reading, output), median
wall time over --runs runs.
Build the binary first: swift build -c release --static-swift-stdlib
"""
import argparse, json, os, random, statistics, subprocess, sys, tempfile, time

here = os.path.dirname(os.path.abspath(__file__))

def table(n1, n2, k, seed):
    rng = random.Random(seed)
    cells = [rng.expovariate(1.0) for _ in range(n1 * n2 * k)]
    total = sum(cells)
    return [[[cells[(a * n2 + b) * k + y] / total for y in range(k)] for b in range(n2)] for a in range(n1)]

def median_wall(command, runs):
    """Median and minimum wall time of `runs` runs of `command` (fork, exec, wait)."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times)

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=os.path.join(here, "..", ".build", "release", "pidbounds"))
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--shapes", default="20x20x10")
    ap.add_argument("--gap20", type=float, default=1e-9)
    ap.add_argument("--gap-large", type=float, default=1e-6)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-cvxpy", action="store_true", help="skip the CVXPY/Clarabel reference")
    args = ap.parse_args()
    and_table = os.path.join(here, "..", "examples", "and.json")
    for label, command in [("version", [args.binary, "--version"]),
                           ("pid_and_2x2x2", [args.binary, "pid", "--joint", and_table, "--no-bounds", "--format", "json"])]:
        median, fastest = median_wall(command, max(args.runs, 5))
        print(json.dumps({"fixed_cost": label, "process_seconds_median": median, "process_seconds_min": fastest}))
    for shape in args.shapes.split(","):
        n1, n2, k = map(int, shape.split("x"))
        gap = args.gap20 if n1 * n2 * k <= 4000 else args.gap_large
        path = os.path.join(tempfile.mkdtemp(), f"joint_{shape}.json")
        with open(path, "w") as f:
            json.dump({"p": table(n1, n2, k, args.seed)}, f)
        times, solves, report = [], [], None
        runs = args.runs if n1 * n2 * k <= 4000 else 1
        for _ in range(runs):
            start = time.perf_counter()
            out = subprocess.run([args.binary, "pid", "--joint", path, "--gap", str(gap), "--no-bounds", "--format", "json"],
                                 capture_output=True, text=True)
            times.append(time.perf_counter() - start)
            if out.returncode != 0:
                print(f"{shape}: pidbounds failed: {out.stderr.strip()}", file=sys.stderr)
                return 1
            report = json.loads(out.stdout)
            solves.append(report["timing"]["solve_seconds"])
        line = {"shape": shape, "process_seconds_median": statistics.median(times),
                "process_seconds_min": min(times), "solve_seconds": statistics.median(solves),
                "gap_bits": report["pid"]["gap_bits"], "I_min": report["pid"]["I_min"],
                "newton_steps": report["certificate"]["newton_steps"]}
        if args.no_cvxpy:
            print(json.dumps(line))
            continue
        try:
            ref = subprocess.run([sys.executable, os.path.join(here, "cvxpy_reference.py"), "--joint", path],
                                 capture_output=True, text=True, timeout=600)
            if ref.returncode == 0:
                r = json.loads(ref.stdout)
                line["cvxpy_clarabel_solve_seconds"] = r["solve_time_s"]
                line["cvxpy_I_min"] = r["I_min_bits"]
                line["speedup_vs_clarabel_solve"] = r["solve_time_s"] / line["process_seconds_median"]
                line["solve_speedup_vs_clarabel"] = r["solve_time_s"] / line["solve_seconds"]
        except subprocess.TimeoutExpired:
            line["cvxpy"] = "timed out"
        print(json.dumps(line))
    return 0

if __name__ == "__main__":
    sys.exit(main())
