#!/usr/bin/env python3
"""Bootstrap confidence-interval coverage study for `pidbounds estimate`.

For a few true joint tables p(x1, x2, y) with known PID (computed by
`pidbounds pid --joint`), and for each sample size N, repeatedly:

  * draw D1 (N rows of (x1, y)), D2 (N rows of (x2, y)) and DM (N rows of
    (x1, x2)) independently from the true pairwise marginals,
  * run `pidbounds estimate --codes --bootstrap B --seed s --format json`,
  * record whether each interval contains the true value:
      R, U1, U2   percentile interval bootstrap.pid.<Q>.lo/hi and
                  BCa interval bootstrap.pid.<Q>.bca_lo/bca_hi (if present);
      S bracket   percentile bracket bootstrap.S_bracket_percentile.lo/hi
                  and BCa bracket bootstrap.S_bracket_bca.lo/hi (older
                  binaries: bootstrap.S_bracket and the bca ends of
                  S_lower_clipped and S_upper), against the true S.
    plus the plug-in bias (pid.<Q> - true) and the bootstrap bias-corrected
    bias (corrected.pid.<Q> - true).

R, U1 and U2 of the true joint depend only on p(x1,y) and p(x2,y), so they
are identified by the data and their coverage is meaningful. S is not
identified; the bracket is a set of bounds, so its "coverage" of the true S
is expected to be at least nominal (often conservative).

Python 3 standard library only. Only writes into temporary directories and
the files named by --out / --raw.
"""

import argparse
import concurrent.futures as cf
import json
import math
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_BINARY = "/work/main/.build/release/pidbounds"
TOL = 1e-9  # bits; interval end points and true values are compared with this slack
QUANTITIES = ("R", "U1", "U2")
MPI_ENV = {
    "OMPI_ALLOW_RUN_AS_ROOT": "1",
    "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
    "OMPI_MCA_rmaps_base_oversubscribe": "1",
    "OMPI_MCA_btl": "self,vader",
}


# --------------------------------------------------------------------------
# True joint tables
# --------------------------------------------------------------------------

def normalize(t):
    s = sum(v for a in t for b in a for v in b)
    return [[[v / s for v in b] for b in a] for a in t]


def zeros(n1, n2, k):
    return [[[0.0] * k for _ in range(n2)] for _ in range(n1)]


def table_synergy():
    """3x3x2, XOR-like: x1, x2 uniform; y = (x1 + x2) mod 2, flipped w.p. 0.05,
    mixed with 10% uniform noise. Mostly synergy (some R/U because the parity
    of a ternary symbol is not balanced)."""
    n1, n2, k = 3, 3, 2
    t = zeros(n1, n2, k)
    for a in range(n1):
        for b in range(n2):
            y = (a + b) % 2
            t[a][b][y] += 0.95
            t[a][b][1 - y] += 0.05
    t = normalize(t)
    u = 1.0 / (n1 * n2 * k)
    return normalize([[[0.9 * v + 0.1 * u for v in b] for b in a] for a in t])


def table_redundancy():
    """3x3x2: a shared source z uniform on {0,1,2}; x1 and x2 are each a copy
    of z w.p. 0.85 (else uniform); y = [z >= 1] flipped w.p. 0.1. Mostly
    redundancy."""
    n1, n2, k = 3, 3, 2
    t = zeros(n1, n2, k)
    for z in range(3):
        for a in range(n1):
            pa = 0.85 * (a == z) + 0.15 / n1
            for b in range(n2):
                pb = 0.85 * (b == z) + 0.15 / n2
                yz = 1 if z >= 1 else 0
                for y in range(k):
                    py = 0.9 if y == yz else 0.1
                    t[a][b][y] += (1.0 / 3) * pa * pb * py
    return normalize(t)


def table_uniqueness():
    """4x4x3: x1 uniform on 4 symbols, y = x1 mod 3 w.p. 0.85 (else uniform);
    x2 = y w.p. 0.3 (else uniform on 4), i.e. x2 weakly informative. Mostly
    U1, some R."""
    n1, n2, k = 4, 4, 3
    t = zeros(n1, n2, k)
    for a in range(n1):
        for y in range(k):
            py = 0.85 * (y == a % 3) + 0.15 / k
            for b in range(n2):
                pb = 0.3 * (b == y) + 0.7 / n2
                t[a][b][y] += (1.0 / n1) * py * pb
    return normalize(t)


def table_uniqueness3():
    """3x3x2: x1 uniform on 3 symbols, y = [x1 >= 1] flipped w.p. 0.1;
    x2 = y w.p. 0.3 (else uniform on 3), i.e. x2 weakly informative. Mostly
    U1, some R. (Cheaper than uniqueness-4x4x3: its resamples are rarely
    non-realizable.)"""
    n1, n2, k = 3, 3, 2
    t = zeros(n1, n2, k)
    for a in range(n1):
        for y in range(k):
            py = 0.9 if y == (1 if a >= 1 else 0) else 0.1
            for b in range(n2):
                pb = 0.3 * (b == y) + 0.7 / n2
                t[a][b][y] += (1.0 / n1) * py * pb
    return normalize(t)


def table_and():
    """3x3x2 AND-like: x1, x2 uniform; y = [x1 >= 1 and x2 >= 1] flipped
    w.p. 0.1. Redundancy plus synergy."""
    n1, n2, k = 3, 3, 2
    t = zeros(n1, n2, k)
    for a in range(n1):
        for b in range(n2):
            yv = 1 if (a >= 1 and b >= 1) else 0
            for y in range(k):
                t[a][b][y] = (0.9 if y == yv else 0.1) / (n1 * n2)
    return normalize(t)


def table_dirichlet(seed):
    """4x4x3, Dirichlet(1) over the 48 cells, seeded."""
    rng = random.Random("dirichlet-%d" % seed)
    n1, n2, k = 4, 4, 3
    t = [[[rng.gammavariate(1.0, 1.0) for _ in range(k)] for _ in range(n2)]
         for _ in range(n1)]
    return normalize(t)


def table_copies10():
    """10x10x10 codes, realistic size: y uniform on 10 classes; x1 and x2
    are independent copies of y, each right w.p. 0.7 (else uniform on the
    10 codes). Mostly redundancy with some synergy; at N = 600 to 5,000
    rows per sample the three empirical tables are never jointly
    realizable."""
    n1, n2, k = 10, 10, 10
    t = zeros(n1, n2, k)
    for y in range(k):
        for a in range(n1):
            pa = 0.7 * (a == y) + 0.3 / n1
            for b in range(n2):
                pb = 0.7 * (b == y) + 0.3 / n2
                t[a][b][y] += (1.0 / k) * pa * pb
    return normalize(t)


def table_xor20():
    """20x20x2 codes, realistic size: x1, x2 uniform on 20 codes whose
    parities carry an XOR label (flipped w.p. 0.1), and codes 0-3 of x1 also
    carry the label directly. Synergy plus some unique information."""
    n1, n2, k = 20, 20, 2
    t = zeros(n1, n2, k)
    for a in range(n1):
        for b in range(n2):
            y = (a + b) % 2 if a >= 4 else a % 2
            t[a][b][y] += 0.9
            t[a][b][1 - y] += 0.1
    return normalize(t)


def build_tables(seed):
    return {
        "copies-10x10x10": table_copies10(),
        "xor-20x20x2": table_xor20(),
        "synergy-3x3x2": table_synergy(),
        "redundancy-3x3x2": table_redundancy(),
        "uniqueness-3x3x2": table_uniqueness3(),
        "uniqueness-4x4x3": table_uniqueness(),
        "and-3x3x2": table_and(),
        "dirichlet-4x4x3": table_dirichlet(seed),
    }


DEFAULT_TABLES = "synergy-3x3x2,redundancy-3x3x2,uniqueness-3x3x2,dirichlet-4x4x3"


def shape(t):
    return len(t), len(t[0]), len(t[0][0])


def marginals(t):
    n1, n2, k = shape(t)
    p1 = [[sum(t[a][b][y] for b in range(n2)) for y in range(k)] for a in range(n1)]
    p2 = [[sum(t[a][b][y] for a in range(n1)) for y in range(k)] for b in range(n2)]
    pm = [[sum(t[a][b]) for b in range(n2)] for a in range(n1)]
    return p1, p2, pm


# --------------------------------------------------------------------------
# Running the binary
# --------------------------------------------------------------------------

def get(d, path):
    """d['a']['b']... for path 'a.b...'; None when missing or null."""
    cur = d
    for part in path.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return cur


def command_prefix(binary, ranks):
    if ranks and ranks > 0:
        return ["mpirun", "-np", str(ranks), "--timeout", "600", binary]
    return [binary]


def run_env(ranks):
    env = dict(os.environ)
    if ranks and ranks > 0:
        env.update(MPI_ENV)
    return env


def true_pid(binary, table, tmpdir):
    path = os.path.join(tmpdir, "joint.json")
    with open(path, "w") as f:
        json.dump({"p": table}, f)
    out = subprocess.run([binary, "pid", "--joint", path, "--format", "json"],
                         capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError("pid --joint failed (%d): %s" % (out.returncode, out.stderr.strip()))
    return json.loads(out.stdout)


def write_csv(path, header, rows):
    with open(path, "w") as f:
        f.write(header + "\n")
        f.write("".join("%d,%d\n" % r for r in rows))


def draw(rng, table2d, n):
    """n draws of (i, j) from a 2-D probability table."""
    cells = [(i, j) for i in range(len(table2d)) for j in range(len(table2d[0]))]
    cum, acc = [], 0.0
    for i, j in cells:
        acc += table2d[i][j]
        cum.append(acc)
    return rng.choices(cells, cum_weights=cum, k=n)


def bootstrap_has_bca(report):
    return get(report, "bootstrap.pid.R.bca_lo") is not None


def probe_interval(binary, ranks, tmp_base):
    """Decide how to get BCa intervals from this binary.
    Returns (extra_args, note)."""
    d = tempfile.mkdtemp(prefix="cov-probe-", dir=tmp_base)
    try:
        rng = random.Random(1)
        t = table_synergy()
        p1, p2, pm = marginals(t)
        f1, f2, fm = (os.path.join(d, x) for x in ("d1.csv", "d2.csv", "dm.csv"))
        write_csv(f1, "x1,y", draw(rng, p1, 300))
        write_csv(f2, "x2,y", draw(rng, p2, 300))
        write_csv(fm, "x1,x2", draw(rng, pm, 300))
        base = command_prefix(binary, ranks) + [
            "estimate", "--x1y", f1, "--x2y", f2, "--x1x2", fm, "--codes",
            "--bootstrap", "20", "--seed", "1", "--format", "json"]
        r = subprocess.run(base, capture_output=True, text=True, env=run_env(ranks))
        if r.returncode != 0:
            raise RuntimeError("probe estimate failed (%d): %s" % (r.returncode, r.stderr.strip()))
        if bootstrap_has_bca(json.loads(r.stdout)):
            return [], "BCa keys present by default"
        r = subprocess.run(base + ["--interval", "bca"], capture_output=True, text=True,
                           env=run_env(ranks))
        if r.returncode == 0 and bootstrap_has_bca(json.loads(r.stdout)):
            return ["--interval", "bca"], "BCa keys present with --interval bca"
        if r.returncode == 0:
            return ["--interval", "bca"], "--interval bca accepted but no bca_lo/bca_hi keys"
        return [], "binary has no BCa (--interval rejected: exit %d)" % r.returncode
    finally:
        shutil.rmtree(d, ignore_errors=True)


def one_sim(job):
    """Draw one set of datasets, run estimate, return the coverage record.
    Runs in a worker process."""
    (tname, table, n, sim, seed, boot, binary, ranks, extra, tmp_base, truth, timeout) = job
    rng = random.Random("%d|%s|%d|%d" % (seed, tname, n, sim))
    est_seed = rng.randrange(2 ** 31)
    p1, p2, pm = marginals(table)
    d = tempfile.mkdtemp(prefix="cov-", dir=tmp_base)
    rec = {"table": tname, "N": n, "sim": sim, "seed": est_seed}
    try:
        f1, f2, fm = (os.path.join(d, x) for x in ("d1.csv", "d2.csv", "dm.csv"))
        write_csv(f1, "x1,y", draw(rng, p1, n))
        write_csv(f2, "x2,y", draw(rng, p2, n))
        write_csv(fm, "x1,x2", draw(rng, pm, n))
        cmd = command_prefix(binary, ranks) + [
            "estimate", "--x1y", f1, "--x2y", f2, "--x1x2", fm, "--codes",
            "--bootstrap", str(boot), "--seed", str(est_seed), "--format", "json"] + extra
        t0 = time.monotonic()
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, env=run_env(ranks),
                               timeout=timeout)
        except subprocess.TimeoutExpired:
            rec["seconds"] = time.monotonic() - t0
            rec["error"] = "timeout after %.0f s" % timeout
            return rec
        rec["seconds"] = time.monotonic() - t0
        if r.returncode != 0:
            rec["error"] = "exit %d: %s" % (r.returncode, r.stderr.strip()[-300:])
            return rec
        rep = json.loads(r.stdout)
    except Exception as e:  # report, do not abort the study
        rec["error"] = "%s: %s" % (type(e).__name__, e)
        return rec
    finally:
        shutil.rmtree(d, ignore_errors=True)

    bca_replaces_lohi = (get(rep, "bootstrap.interval") == "bca"
                         and get(rep, "bootstrap.pid.R.bca_lo") is None)

    def interval(prefix):
        lo, hi = get(rep, prefix + ".lo"), get(rep, prefix + ".hi")
        blo, bhi = get(rep, prefix + ".bca_lo"), get(rep, prefix + ".bca_hi")
        if bca_replaces_lohi:  # lo/hi are the BCa ends, percentile unknown
            return None, None, lo, hi
        return lo, hi, blo, bhi

    for q in QUANTITIES:
        lo, hi, blo, bhi = interval("bootstrap.pid." + q)
        rec[q] = {"true": truth[q], "plugin": get(rep, "pid." + q),
                  "corrected": get(rep, "corrected.pid." + q),
                  "lo": lo, "hi": hi, "bca_lo": blo, "bca_hi": bhi}
    # synergy bracket
    # S_bracket follows --interval; S_bracket_percentile and S_bracket_bca
    # (when the binary gives them) name the kind explicitly.
    lo, hi = get(rep, "bootstrap.S_bracket.lo"), get(rep, "bootstrap.S_bracket.hi")
    if get(rep, "bootstrap.S_bracket_percentile.lo") is not None:
        lo, hi = get(rep, "bootstrap.S_bracket_percentile.lo"), get(rep, "bootstrap.S_bracket_percentile.hi")
    blo = get(rep, "bootstrap.S_bracket_bca.lo")
    bhi = get(rep, "bootstrap.S_bracket_bca.hi")
    if blo is None or bhi is None:
        blo = get(rep, "bootstrap.bounds.S_lower_clipped.bca_lo")
        bhi = get(rep, "bootstrap.bounds.S_upper.bca_hi")
    if bca_replaces_lohi and get(rep, "bootstrap.S_bracket_percentile.lo") is None:
        lo, hi, blo, bhi = None, None, lo, hi
    rec["S"] = {"true": truth["S"], "lo": lo, "hi": hi, "bca_lo": blo, "bca_hi": bhi,
                "plugin_lo": get(rep, "bounds.S_lower_clipped"),
                "plugin_hi": get(rep, "bounds.S_upper"),
                "consistent": get(rep, "bounds.bracket_consistent")}
    rec["alphabet"] = get(rep, "alphabet")
    return rec


# --------------------------------------------------------------------------
# Summaries
# --------------------------------------------------------------------------

def covers(lo, hi, v):
    if lo is None or hi is None:
        return None
    return lo - TOL <= v <= hi + TOL


ABSURD = 100.0  # bits; an interval end beyond this (or non-finite) is reported as absurd


def absurd(x):
    return x is not None and not (abs(x) <= ABSURD)


def frac(flags):
    flags = [f for f in flags if f is not None]
    if not flags:
        return "n/a"
    k = sum(1 for f in flags if f)
    return "%.3f (%d/%d)" % (k / len(flags), k, len(flags))


def mean_or_na(xs, fmt="%+.4f"):
    xs = [x for x in xs if x is not None]
    return fmt % statistics.fmean(xs) if xs else "n/a"


def summarize(records, names, sizes, confidence):
    ok = [r for r in records if "error" not in r]
    nominal = "%.0f%%" % (100 * confidence)
    lines = ["| table | N | quantity | true | nominal | percentile coverage | BCa coverage "
             "| mean width (pct) | mean width (BCa) | mean plug-in bias | mean corrected bias "
             "| absurd intervals |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    brk = ["| table | N | true S | mean plug-in bracket | plug-in bracket contains S "
           "| percentile bracket coverage | BCa bracket coverage | inconsistent plug-in brackets |",
           "|---|---|---|---|---|---|---|---|"]
    for t in names:
        for n in sizes:
            rs = [r for r in ok if r["table"] == t and r["N"] == n]
            if not rs:
                continue
            for q in QUANTITIES + ("S",):
                xs = [r[q] for r in rs]
                true = xs[0]["true"]
                pct = frac([covers(x["lo"], x["hi"], x["true"]) for x in xs])
                bca = frac([covers(x["bca_lo"], x["bca_hi"], x["true"]) for x in xs])
                bad = sum(1 for x in xs if any(absurd(x[e]) for e in ("lo", "hi", "bca_lo", "bca_hi")))
                w = mean_or_na([x["hi"] - x["lo"] if x["lo"] is not None and x["hi"] is not None
                                and not absurd(x["lo"]) and not absurd(x["hi"])
                                else None for x in xs], "%.4f")
                wb = mean_or_na([x["bca_hi"] - x["bca_lo"]
                                 if x["bca_lo"] is not None and x["bca_hi"] is not None
                                 and not absurd(x["bca_lo"]) and not absurd(x["bca_hi"])
                                 else None for x in xs], "%.4f")
                if q == "S":
                    label, pb, cb = "S bracket", "–", "–"
                else:
                    label = q
                    pb = mean_or_na([x["plugin"] - x["true"] if x["plugin"] is not None
                                     else None for x in xs])
                    cb = mean_or_na([x["corrected"] - x["true"] if x["corrected"] is not None
                                     else None for x in xs])
                tv = "%.4f" % true if abs(true) > 1e-6 else "0 (boundary)"
                lines.append("| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %d/%d |"
                             % (t, n, label, tv, nominal, pct, bca, w, wb, pb, cb, bad, len(xs)))
            xs = [r["S"] for r in rs]
            pl = mean_or_na([x["plugin_lo"] for x in xs], "%.4f")
            ph = mean_or_na([x["plugin_hi"] for x in xs], "%.4f")
            brk.append("| %s | %d | %.4f | [%s, %s] | %s | %s | %s | %d/%d |" % (
                t, n, xs[0]["true"], pl, ph,
                frac([covers(x["plugin_lo"], x["plugin_hi"], x["true"]) for x in xs]),
                frac([covers(x["lo"], x["hi"], x["true"]) for x in xs]),
                frac([covers(x["bca_lo"], x["bca_hi"], x["true"]) for x in xs]),
                sum(1 for x in xs if x["consistent"] is False), len(xs)))
    return lines, brk


def timing_lines(records, names, sizes):
    lines = ["| table | N | runs | mean s/run | median s/run | max s/run |",
             "|---|---|---|---|---|---|"]
    for t in names:
        for n in sizes:
            s = [r["seconds"] for r in records
                 if r["table"] == t and r["N"] == n and "seconds" in r]
            if s:
                lines.append("| %s | %d | %d | %.2f | %.2f | %.2f |" % (
                    t, n, len(s), statistics.fmean(s), statistics.median(s), max(s)))
    return lines


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sims", type=int, default=40, help="simulations per (table, N) (default 40)")
    ap.add_argument("--bootstrap", type=int, default=200, help="bootstrap replicates B (default 200)")
    ap.add_argument("--sizes", default="500,2000,10000",
                    help="comma-separated rows per dataset (default 500,2000,10000)")
    ap.add_argument("--seed", type=int, default=0, help="master seed (default 0)")
    ap.add_argument("--tables", default=DEFAULT_TABLES,
                    help="comma-separated table names (default %s; also: and-3x3x2, "
                         "uniqueness-4x4x3 (slow: many of its resamples are not jointly "
                         "realizable, which costs the binary ~0.5 s per replicate))"
                         % DEFAULT_TABLES)
    ap.add_argument("--binary", default=DEFAULT_BINARY, help="pidbounds binary")
    ap.add_argument("--jobs", type=int, default=2, help="parallel estimate runs (default 2)")
    ap.add_argument("--ranks", type=int, default=0,
                    help="run each estimate under mpirun -np RANKS (default 0 = plain); "
                         "jobs x ranks should not exceed the cores")
    ap.add_argument("--interval", choices=("auto", "none", "bca"), default="auto",
                    help="auto: probe the binary for BCa support; none: never pass "
                         "--interval; bca: always pass --interval bca")
    ap.add_argument("--confidence", type=float, default=0.95,
                    help="nominal level shown in the table (the binary's default is 0.95; "
                         "this script does not pass --confidence)")
    ap.add_argument("--run-timeout", type=float, default=None,
                    help="kill an estimate run after this many seconds and count it as failed "
                         "(default: no limit; failed runs are left out of the coverage)")
    ap.add_argument("--out", help="also write the markdown report to this file")
    ap.add_argument("--raw", help="write every per-simulation record (JSON) to this file")
    ap.add_argument("--tmpdir", default=None, help="parent of the temporary directories")
    args = ap.parse_args()

    if not os.access(args.binary, os.X_OK):
        sys.exit("binary not found or not executable: %s (build it with "
                 "`cd /work/main && swift build -c release --static-swift-stdlib`)" % args.binary)
    if args.ranks and shutil.which("mpirun") is None:
        sys.exit("--ranks given but mpirun is not on PATH")
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    all_tables = build_tables(args.seed)
    names = [s.strip() for s in args.tables.split(",") if s.strip()]
    for nm in names:
        if nm not in all_tables:
            sys.exit("unknown table %r; known: %s" % (nm, ", ".join(all_tables)))

    tmp_base = tempfile.mkdtemp(prefix="pidbounds-coverage-", dir=args.tmpdir)
    started = time.monotonic()
    try:
        # true PIDs
        truths, truth_rows = {}, []
        for nm in names:
            rep = true_pid(args.binary, all_tables[nm], tmp_base)
            truths[nm] = {q: rep["pid"][q] for q in ("R", "U1", "U2", "S")}
            b = rep.get("bounds", {})
            truth_rows.append("| %s | %s | %.4f | %.4f | %.4f | %.4f | [%s, %s] |" % (
                nm, "x".join(map(str, shape(all_tables[nm]))),
                *(truths[nm][q] for q in ("R", "U1", "U2", "S")),
                "%.4f" % b["S_lower_clipped"] if b.get("S_lower_clipped") is not None else "n/a",
                "%.4f" % b["S_upper"] if b.get("S_upper") is not None else "n/a"))

        if args.interval == "auto":
            extra, note = probe_interval(args.binary, args.ranks, tmp_base)
        elif args.interval == "bca":
            extra, note = ["--interval", "bca"], "--interval bca forced"
        else:
            extra, note = [], "--interval never passed"
        print("BCa: %s" % note, file=sys.stderr)

        jobs = [(nm, all_tables[nm], n, s, args.seed, args.bootstrap, args.binary, args.ranks,
                 extra, tmp_base, truths[nm], args.run_timeout)
                for n in sizes for nm in names for s in range(args.sims)]
        records = []
        with cf.ProcessPoolExecutor(max_workers=max(1, args.jobs)) as ex:
            futs = [ex.submit(one_sim, j) for j in jobs]
            for i, fut in enumerate(cf.as_completed(futs), 1):
                rec = fut.result()
                records.append(rec)
                if "error" in rec:
                    print("  failed: %s N=%d sim %d: %s" % (rec["table"], rec["N"], rec["sim"],
                                                           rec["error"]), file=sys.stderr)
                if i % max(1, len(jobs) // 20) == 0 or i == len(jobs):
                    el = time.monotonic() - started
                    print("  %d/%d runs done, %.0f s elapsed, ~%.0f s left"
                          % (i, len(jobs), el, el / i * (len(jobs) - i)), file=sys.stderr)
        records.sort(key=lambda r: (names.index(r["table"]), r["N"], r["sim"]))
    finally:
        shutil.rmtree(tmp_base, ignore_errors=True)
    elapsed = time.monotonic() - started

    cov, brk = summarize(records, names, sizes, args.confidence)
    errors = [r for r in records if "error" in r]
    secs = [r["seconds"] for r in records if "seconds" in r]
    md = []
    md.append("# pidbounds bootstrap coverage study\n")
    md.append("binary `%s`; sims %d per cell; B = %d; sizes %s (rows in each of D1, D2, DM); "
              "seed %d; jobs %d; ranks %s; BCa: %s; tolerance %.0e bits.\n"
              % (args.binary, args.sims, args.bootstrap, ",".join(map(str, sizes)), args.seed,
                 args.jobs, args.ranks or "plain", note, TOL))
    md.append("## True PID of each joint (`pid --joint`)\n")
    md.append("| table | shape | R | U1 | U2 | S | population bracket [S_lower_clipped, S_upper] |")
    md.append("|---|---|---|---|---|---|---|")
    md.extend(truth_rows)
    md.append("\n## Coverage\n")
    md.append("Coverage = fraction of simulations whose interval contains the true value "
              "(count in brackets; Monte-Carlo s.e. about sqrt(0.95*0.05/sims)). "
              "Bias = mean over simulations of (estimate - true), bits. "
              "\"S bracket\": percentile [lo of S_lower_clipped, hi of S_upper] "
              "(bootstrap.S_bracket), BCa [bca_lo of S_lower_clipped, bca_hi of S_upper]. "
              "Interval ends are compared with a slack of %.0e bits. A true value "
              "\"0 (boundary)\" sits on the edge of the term's range (PID terms are >= 0), "
              "where bootstrap intervals need not be nominal. Failed runs are left out. "
              "\"absurd intervals\": runs with an interval end beyond %g bits or non-finite "
              "(counted in the coverage as the binary reported them, left out of the mean "
              "widths).\n" % (TOL, ABSURD))
    md.extend(cov)
    md.append("\n## Synergy bracket detail\n")
    md.extend(brk)
    md.append("\n## Timing (wall seconds per `estimate` run, %d parallel jobs)\n" % args.jobs)
    md.extend(timing_lines(records, names, sizes))
    md.append("\n%d runs, %d failed; total %.1f s wall; mean %.2f s per run."
              % (len(records), len(errors), elapsed, statistics.fmean(secs) if secs else math.nan))
    if errors:
        md.append("\nFailures:\n")
        for r in errors[:20]:
            md.append("- %s N=%d sim %d: %s" % (r["table"], r["N"], r["sim"], r["error"]))
    text = "\n".join(md) + "\n"
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
    if args.raw:
        with open(args.raw, "w") as f:
            json.dump({"truth": truths, "records": records}, f, indent=1)
    return 1 if errors and len(errors) == len(records) else 0


if __name__ == "__main__":
    sys.exit(main())
