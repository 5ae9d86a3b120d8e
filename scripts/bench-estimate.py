#!/usr/bin/env python3
"""Benchmark of `pidbounds estimate`: wall time and peak memory (max RSS) on
generated CSV datasets with ROWS rows each and DIM float features per
modality (three Gaussian classes), K clusters, release build, one process
(or --ranks N under mpirun; the peak memory is then that of the largest
process, a rank or mpirun, as GNU time reports it for the process tree).
Prints the wall time and the run's `timing` (reading, clustering, and on
several ranks the G² p-value's shared draws).

Usage: scripts/bench-estimate.py [--rows 100000] [--dim 64] [--clusters 20]
       [--binary PATH] [--keep DIR] [--ranks N]
"""
import argparse, json, os, random, re, subprocess, sys, tempfile, time

here = os.path.dirname(os.path.abspath(__file__))

def write(path, header, rows, dim, rng, kinds):
    with open(path, "w") as f:
        f.write(",".join(header) + "\n")
        for _ in range(rows):
            y = rng.randrange(3)
            parts = []
            for kind in kinds:
                if kind == "y":
                    parts.append(f"class{y}")
                else:
                    shift = 1.0 if kind == "x1" else 0.6
                    parts += [f"{rng.gauss(shift if j % 3 == y else 0.0, 1.0):.4f}" for j in range(dim)]
            f.write(",".join(parts) + "\n")

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100000)
    ap.add_argument("--dim", type=int, default=64)
    ap.add_argument("--clusters", type=int, default=20)
    ap.add_argument("--binary", default=os.path.join(here, "..", ".build", "release", "pidbounds"))
    ap.add_argument("--keep", default=None)
    ap.add_argument("--ranks", type=int, default=0, help="run under mpirun -np N (0: one process without mpirun)")
    args = ap.parse_args()
    directory = args.keep or tempfile.mkdtemp()
    os.makedirs(directory, exist_ok=True)
    rng = random.Random(1)
    x1 = [f"x1_{j}" for j in range(args.dim)]
    x2 = [f"x2_{j}" for j in range(args.dim)]
    paths = {name: os.path.join(directory, name + ".csv") for name in ["d1", "d2", "dm"]}
    if not all(os.path.exists(p) for p in paths.values()):
        write(paths["d1"], x1 + ["y"], args.rows, args.dim, rng, ["x1", "y"])
        write(paths["d2"], x2 + ["y"], args.rows, args.dim, rng, ["x2", "y"])
        write(paths["dm"], x1 + x2, args.rows, args.dim, rng, ["x1", "x2"])
    start = time.perf_counter()
    launcher = ["mpirun", "--timeout", "600", "-np", str(args.ranks)] if args.ranks > 0 else []
    env = dict(os.environ, OMPI_MCA_rmaps_base_oversubscribe="1", OMPI_MCA_btl="self,vader")
    out = subprocess.run(["/usr/bin/time", "-v"] + launcher + [args.binary, "estimate", "--x1y", paths["d1"], "--x2y", paths["d2"],
                          "--x1x2", paths["dm"], "--clusters", str(args.clusters), "--format", "json", "--timing"],
                         capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - start
    if out.returncode != 0:
        print(out.stderr, file=sys.stderr)
        return 1
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", out.stderr)
    timing = json.loads(out.stdout).get("timing", {})
    print({"rows_per_dataset": args.rows, "dim": args.dim, "clusters": args.clusters, "ranks": args.ranks or 1,
           "wall_seconds": round(seconds, 2), "max_rss_mib": round(int(rss.group(1)) / 1024, 1) if rss else None,
           "reading": timing.get("reading"), "clustering": timing.get("clustering"),
           "fit_p_value_seconds": timing.get("fit_p_value_seconds")})
    return 0

if __name__ == "__main__":
    sys.exit(main())
