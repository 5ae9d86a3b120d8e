#!/usr/bin/env python3
"""Robustness sweep of `pidbounds pid`: many seeded random joint tables of
varied shapes, sparsity and dynamic range; every run must exit 0 with a
certified gap within the target. Failures are listed (shape, family, the
solver's message) and each failing table is saved for reproduction.

Families:
  dirichlet  cells ~ Gamma(alpha) with alpha in {1, 5}, a share of cells set to 0
  heavy      cells ~ Gamma(alpha) with alpha in {0.1, 0.3}: positive entries
             from about 1e-30 to 0.1 side by side, many structural zeros
  counts     empirical tables: N draws (N in 50..1000) from a random table,
             entries multiples of 1/N (what `estimate` produces)
  near       near-deterministic 2x2x2 and 3x3x2 tables (what a maximum-
             likelihood fit produces): y = f(x1, x2) for f AND, XOR or a
             random map, p(x1, x2) random, label noise
             p(y|x1,x2) = (1-eps) onehot + eps/k with eps = 1e-6; in some
             tables a few cells are set to exact zeros and others to tiny
             masses (1e-9..1e-6)

Usage: scripts/stress-pid.py [--binary PATH] [--family dirichlet,heavy,counts,near]
       [--trials 100] [--seed 11] [--gap 1e-9] [--keep DIR]
"""
import argparse, json, os, random, shutil, subprocess, sys, tempfile

here = os.path.dirname(os.path.abspath(__file__))

def near_deterministic(rng):
    n1, n2, k = rng.choice([(2, 2, 2), (3, 3, 2)])
    kind = rng.choice(["and", "xor", "random"])
    def label(a, b):
        if kind == "and":
            return int(a == n1 - 1 and b == n2 - 1)
        if kind == "xor":
            return (a + b) % k
        return rng.randrange(k)
    f = {(a, b): label(a, b) for a in range(n1) for b in range(n2)}
    eps = 1e-6
    cells = []
    for a in range(n1):
        for b in range(n2):
            pair = rng.gammavariate(1.0, 1)
            cells += [pair * ((1 - eps) * (y == f[a, b]) + eps / k) for y in range(k)]
    variant = rng.choice(["noise", "zeros", "tiny", "zeros+tiny"])
    pair_total = sum(cells)
    if "zeros" in variant:
        # Exact zeros in place of some of the noise cells (a fit that put
        # no mass there).
        for i in rng.sample(range(len(cells)), rng.randint(1, len(cells) // 2)):
            if cells[i] < 1e-3 * pair_total:
                cells[i] = 0
    if "tiny" in variant:
        # Some cells, noise or not, get tiny masses.
        for i in rng.sample(range(len(cells)), rng.randint(1, len(cells) // 2)):
            cells[i] = pair_total * 10 ** rng.uniform(-9, -6)
    return (n1, n2, k), f"f={kind} eps={eps} {variant}", cells

def random_table(rng, family):
    if family == "near":
        shape, detail, cells = near_deterministic(rng)
        n1, n2, k = shape
        total = sum(cells)
        p = [[[cells[(a * n2 + b) * k + y] / total for y in range(k)] for b in range(n2)] for a in range(n1)]
        return shape, detail, p
    n1, n2, k = rng.randint(2, 24), rng.randint(2, 24), rng.randint(2, 12)
    if family == "counts":
        n = rng.choice([50, 100, 300, 1000])
        weights = [rng.gammavariate(rng.choice([0.2, 1.0]), 1) for _ in range(n1 * n2 * k)]
        cells = [0] * (n1 * n2 * k)
        for i in rng.choices(range(n1 * n2 * k), weights=weights, k=n):
            cells[i] += 1
        detail = f"N={n}"
    else:
        alpha = rng.choice([1.0, 5.0] if family == "dirichlet" else [0.1, 0.3])
        zeros = rng.choice([0, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95])
        cells = [0 if rng.random() < zeros else rng.gammavariate(alpha, 1) for _ in range(n1 * n2 * k)]
        if sum(cells) == 0:
            cells[0] = 1
        detail = f"alpha={alpha} zeros={zeros}"
    total = sum(cells)
    p = [[[cells[(a * n2 + b) * k + y] / total for y in range(k)] for b in range(n2)] for a in range(n1)]
    return (n1, n2, k), detail, p

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=os.path.join(here, "..", ".build", "release", "pidbounds"))
    ap.add_argument("--family", default="dirichlet,heavy,counts,near")
    ap.add_argument("--trials", type=int, default=100, help="tables per family")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--gap", type=float, default=1e-9)
    ap.add_argument("--keep", default=os.path.join(tempfile.gettempdir(), "pidbounds-stress"),
                    help="where failing tables are saved")
    args = ap.parse_args()
    if not os.access(args.binary, os.X_OK):
        sys.exit(f"stress-pid: no executable at {args.binary}")
    os.makedirs(args.keep, exist_ok=True)
    work = tempfile.mkdtemp(prefix="pidbounds-stress-")
    failures = 0
    try:
        for family in args.family.split(","):
            rng = random.Random(f"{args.seed}-{family}")
            failed = 0
            for trial in range(args.trials):
                shape, detail, p = random_table(rng, family)
                path = os.path.join(work, "joint.json")
                with open(path, "w") as f:
                    json.dump({"p": p}, f)
                out = subprocess.run([args.binary, "pid", "--joint", path, "--gap", str(args.gap), "--no-bounds",
                                      "--format", "json"], capture_output=True, text=True)
                ok = out.returncode == 0 and json.loads(out.stdout)["pid"]["gap_bits"] <= args.gap
                if not ok:
                    failed += 1
                    kept = os.path.join(args.keep, f"{family}-{trial}.json")
                    shutil.copy(path, kept)
                    print(f"FAIL {family} #{trial} {shape[0]}x{shape[1]}x{shape[2]} {detail} (exit {out.returncode}): "
                          f"{out.stderr.strip()[-120:]} -> {kept}")
            print(json.dumps({"family": family, "tables": args.trials, "failed": failed}))
            failures += failed
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failures else 0

if __name__ == "__main__":
    sys.exit(main())
