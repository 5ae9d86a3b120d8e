#!/usr/bin/env python3
"""Cost of the maximum-likelihood fit in the bootstrap: times
`pidbounds estimate --example synergy --bootstrap B` (one process, the fit
of MATH.md section 7 in the point estimate and in every replicate) with this
build and, when given, a baseline build of the same command, and prints the
median wall time, replicates per second and the ratio.

Usage: scripts/bench-fit.py [--binary PATH] [--baseline PATH] [--bootstrap 200] [--repeats 3]

A baseline is any other build of pidbounds, e.g. one from a commit before
the fit: `git worktree add /tmp/base COMMIT && (cd /tmp/base && swift build
-c release --product pidbounds)`, then `--baseline /tmp/base/.build/release/pidbounds`.
"""
import argparse, os, statistics, subprocess, sys, time

here = os.path.dirname(os.path.abspath(__file__))

def wall(binary, bootstrap):
    start = time.perf_counter()
    out = subprocess.run([binary, "estimate", "--example", "synergy", "--bootstrap", str(bootstrap), "--format", "json"],
                         capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if out.returncode != 0:
        sys.exit(f"bench-fit: {binary} failed (exit {out.returncode}): {out.stderr.strip()}")
    return seconds

def measure(binary, bootstrap, repeats):
    runs = [wall(binary, bootstrap) for _ in range(repeats)]
    base = [wall(binary, 0) for _ in range(repeats)]
    total, fixed = statistics.median(runs), statistics.median(base)
    return total, fixed, bootstrap / max(total - fixed, 1e-9)

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=os.path.join(here, "..", ".build", "release", "pidbounds"))
    ap.add_argument("--baseline")
    ap.add_argument("--bootstrap", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    rows = [("this build", args.binary)] + ([("baseline", args.baseline)] if args.baseline else [])
    results = {}
    for name, binary in rows:
        total, fixed, rate = measure(binary, args.bootstrap, args.repeats)
        results[name] = total
        print(f"{name:11s} B={args.bootstrap}: {total:6.2f} s median of {args.repeats} (B=0: {fixed:.2f} s), {rate:6.1f} replicates/s")
    if args.baseline:
        print(f"ratio this build / baseline: {results['this build'] / results['baseline']:.3f}")

if __name__ == "__main__":
    main()
