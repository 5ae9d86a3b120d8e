#!/usr/bin/env python3
"""Benchmark of the per-label split inside one solve (issue 5).

For random n x n x k joint tables (seeded, Dirichlet(1)), times
`pidbounds pid --no-bounds` under `mpirun -np R` with `--label-split off`
and `--label-split on`, and reports the solver's own time (`timing.
solve_seconds`, which excludes Open MPI's start-up), the speedup of the
split over one rank, and checks that every run gives bit-identical
numbers (`pid` and `certificate` blocks).

Usage: scripts/bench-label-split.py [--binary PATH] [--shapes 20x20x4,20x20x16,20x20x64]
       [--ranks 2] [--runs 3] [--seed 1]
Build first: swift build -c release --static-swift-stdlib
"""
import argparse, json, os, random, statistics, subprocess, sys, tempfile

here = os.path.dirname(os.path.abspath(__file__))
env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
           OMPI_MCA_rmaps_base_oversubscribe="1", OMPI_MCA_btl="self,vader")

def table(n1, n2, k, seed):
    rng = random.Random(seed)
    cells = [rng.expovariate(1.0) for _ in range(n1 * n2 * k)]
    total = sum(cells)
    return [[[cells[(a * n2 + b) * k + y] / total for y in range(k)] for b in range(n2)] for a in range(n1)]

def run(binary, path, ranks, mode):
    command = ["mpirun", "--timeout", "900", "-np", str(ranks), binary] if ranks else [binary]
    command += ["pid", "--joint", path, "--no-bounds", "--label-split", mode, "--format", "json"]
    out = subprocess.run(command, capture_output=True, text=True, env=env)
    if out.returncode != 0:
        sys.exit(f"failed ({out.returncode}): {' '.join(command)}\n{out.stderr}")
    report = json.loads(out.stdout)
    return report["timing"]["solve_seconds"], json.dumps([report["pid"], report["certificate"]])

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=os.path.join(here, "..", ".build", "release", "pidbounds"))
    ap.add_argument("--shapes", default="20x20x4,20x20x16,20x20x64")
    ap.add_argument("--ranks", type=int, default=2)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    print("| shape | Schur rows | 1 rank (s) | %d ranks, split (s) | %d ranks, no split (s) | speedup of the split | identical |" % (args.ranks, args.ranks))
    print("|---|---|---|---|---|---|---|")
    for shape in args.shapes.split(","):
        n1, n2, k = map(int, shape.split("x"))
        path = os.path.join(tempfile.mkdtemp(), f"joint_{shape}.json")
        with open(path, "w") as f:
            json.dump({"p": table(n1, n2, k, args.seed)}, f)
        results = {}
        for label, ranks, mode in [("one", 1, "off"), ("split", args.ranks, "on"), ("nosplit", args.ranks, "off")]:
            times, answers = [], set()
            for _ in range(args.runs):
                seconds, answer = run(args.binary, path, ranks, mode)
                times.append(seconds)
                answers.add(answer)
            results[label] = (statistics.median(times), answers)
        identical = len(set().union(*(r[1] for r in results.values()))) == 1
        one, split, nosplit = results["one"][0], results["split"][0], results["nosplit"][0]
        print(f"| {shape} | {min(n1, n2) * k} | {one:.3f} | {split:.3f} | {nosplit:.3f} | {one / split:.2f}x | {'yes' if identical else 'NO'} |")
        sys.stdout.flush()

if __name__ == "__main__":
    main()
