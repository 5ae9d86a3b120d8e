#!/usr/bin/env python3
"""Reference maximum-likelihood joint fit from three pairwise count tables
(numpy only; written to check pidbounds' Swift implementation against).

Input: TABLES.json = {"p_x1y": [[...]], "p_x2y": [[...]], "p_x1x2": [[...]]}
holding nonnegative counts
    n1[x1][y]   (n1 x k)     labeled modality-1 sample D1
    n2[x2][y]   (n2 x k)     labeled modality-2 sample D2
    nm[x1][x2]  (n1 x n2)    unlabeled pairs DM
With --equal-weight each table is first divided by its own total (fractions,
equal weight per table).

Problem: maximize over joints r[x1,x2,y] >= 0 with sum r = 1
    l(r) = sum n1(x1,y) log r(x1,y) + sum n2(x2,y) log r(x2,y)
         + sum nm(x1,x2) log r(x1,x2)                        (0 log 0 = 0)
where r(x1,y) = sum_x2 r, r(x2,y) = sum_x1 r, r(x1,x2) = sum_y r.
l is strictly concave in the three fitted pairwise marginals, so those are
unique; the joint itself generally is not (only its marginals are reported).

Method: plain EM (the multiplicative fixed point of the KKT conditions)
    g_c(r) = n1(x1,y)/r(x1,y) + n2(x2,y)/r(x2,y) + nm(x1,x2)/r(x1,x2)
             (a term whose count is 0 is 0)
    r+(c)  = r(c) g_c(r) / N,     N = total count of the three tables,
started uniform over the cells c = (x1,x2,y) touched by at least one positive
count (other cells have g_c = 0 and stay 0, as they are at the optimum).
sum_c r(c) g_c(r) = N always, so the Frank-Wolfe gap of the concave l at r is
    certificate = max_c g_c(r) - N   >=   l(r*) - l(r)   (>= 0 up to rounding)
and iteration stops once certificate <= tol * N (default tol 1e-10) or after
--max-iter updates (default 2,000,000), whichever comes first. Each iteration
is a few vectorized numpy operations; the method can crawl (sublinearly) when
the optimum puts zero mass on touched cells, i.e. when the three tables are
not jointly realizable. It is a slow reference, not a production solver.

Output (JSON on stdout; all values from the final r, at which the certificate
was evaluated):
    p_x1y, p_x2y, p_x1x2   fitted pairwise marginals of r (nested lists, sum 1)
    log_likelihood         l(r), natural log, with the (possibly normalized) counts
    certificate            max_c g_c(r) - N (an upper bound on l(r*) - l(r))
    relative_certificate   certificate / N
    converged              certificate <= tol * N
    iterations             EM updates done
    N, table_totals, shape, equal_weight, tol, max_iter
    l_saturated            sum over each table of n log(n / table total)
    G2                     2 (l_saturated - l(r))   (>= 0; 0 iff jointly realizable)
    total_variation        {p_x1y, p_x2y, p_x1x2}: 1/2 sum |n/total - fitted marginal|
    seconds                wall time of the fit

Usage: fit_reference.py TABLES.json [--equal-weight] [--tol 1e-10]
                        [--max-iter 2000000] [--out FILE]
"""
import argparse
import json
import sys
import time

import numpy as np


def load(path):
    with open(path) as f:
        d = json.load(f)
    try:
        n1 = np.array(d["p_x1y"], dtype=float)
        n2 = np.array(d["p_x2y"], dtype=float)
        nm = np.array(d["p_x1x2"], dtype=float)
    except KeyError as e:
        sys.exit("missing table %s in %s" % (e, path))
    if n1.ndim != 2 or n2.ndim != 2 or nm.ndim != 2:
        sys.exit("each table must be a nonempty 2-D array")
    if n1.shape[1] != n2.shape[1] or nm.shape != (n1.shape[0], n2.shape[0]):
        sys.exit("shapes do not agree: p_x1y %s, p_x2y %s, p_x1x2 %s (need n1 x k, n2 x k, n1 x n2)"
                 % (n1.shape, n2.shape, nm.shape))
    for name, t in (("p_x1y", n1), ("p_x2y", n2), ("p_x1x2", nm)):
        if not np.all(np.isfinite(t)) or np.any(t < 0):
            sys.exit("%s has a negative or non-finite entry" % name)
        if t.sum() <= 0:
            sys.exit("%s has total 0" % name)
    return n1, n2, nm


def ratio(n, m):
    """n / m where n > 0, else 0 (m > 0 wherever n > 0 by construction)."""
    out = np.zeros_like(n)
    np.divide(n, m, out=out, where=n > 0)
    return out


def xlogy(n, m):
    out = np.zeros_like(n)
    pos = n > 0
    out[pos] = n[pos] * np.log(m[pos])
    return out.sum()


def marginals(r):
    # r[x1, x2, y]
    return r.sum(axis=1), r.sum(axis=0), r.sum(axis=2)


def gradient(r, n1, n2, nm):
    a, b, c = marginals(r)
    g = ratio(n1, a)[:, None, :] + ratio(n2, b)[None, :, :] + ratio(nm, c)[:, :, None]
    return g, (a, b, c)


def log_likelihood(margs, n1, n2, nm):
    a, b, c = margs
    return xlogy(n1, a) + xlogy(n2, b) + xlogy(nm, c)


def fit(n1, n2, nm, tol=1e-10, max_iter=2_000_000):
    N = n1.sum() + n2.sum() + nm.sum()
    support = (n1[:, None, :] > 0) | (n2[None, :, :] > 0) | (nm[:, :, None] > 0)
    r = support / support.sum()
    it = 0
    while True:
        g, margs = gradient(r, n1, n2, nm)
        cert = g.max() - N
        if cert <= tol * N or it >= max_iter:
            break
        r = r * (g / N)
        # renormalize against rounding drift (sum r g = N exactly in exact arithmetic)
        r /= r.sum()
        it += 1
    return r, margs, cert, it, N


def main():
    ap = argparse.ArgumentParser(description="Reference EM fit of a joint to three pairwise count tables.")
    ap.add_argument("tables", help="JSON file {p_x1y, p_x2y, p_x1x2} of counts")
    ap.add_argument("--equal-weight", action="store_true",
                    help="normalize each table to total 1 first (equal weight per table)")
    ap.add_argument("--tol", type=float, default=1e-10, help="stop when certificate <= tol * N")
    ap.add_argument("--max-iter", type=int, default=2_000_000)
    ap.add_argument("--out", help="write the JSON here instead of stdout")
    args = ap.parse_args()

    n1, n2, nm = load(args.tables)
    totals = [n1.sum(), n2.sum(), nm.sum()]
    if args.equal_weight:
        n1, n2, nm = n1 / totals[0], n2 / totals[1], nm / totals[2]
    t0 = time.perf_counter()
    r, margs, cert, it, N = fit(n1, n2, nm, args.tol, args.max_iter)
    secs = time.perf_counter() - t0
    ll = log_likelihood(margs, n1, n2, nm)
    l_sat = sum(xlogy(t, t / t.sum()) for t in (n1, n2, nm))
    tv = {name: 0.5 * float(np.abs(t / t.sum() - m).sum())
          for name, t, m in (("p_x1y", n1, margs[0]), ("p_x2y", n2, margs[1]), ("p_x1x2", nm, margs[2]))}
    out = {
        "p_x1y": margs[0].tolist(),
        "p_x2y": margs[1].tolist(),
        "p_x1x2": margs[2].tolist(),
        "log_likelihood": float(ll),
        "certificate": float(cert),
        "relative_certificate": float(cert / N),
        "converged": bool(cert <= args.tol * N),
        "iterations": it,
        "G2": float(2 * (l_sat - ll)),
        "l_saturated": float(l_sat),
        "total_variation": tv,
        "N": float(N),
        "table_totals": [float(t) for t in totals],
        "shape": [n1.shape[0], n2.shape[0], n1.shape[1]],
        "equal_weight": args.equal_weight,
        "tol": args.tol,
        "max_iter": args.max_iter,
        "seconds": round(secs, 3),
    }
    text = json.dumps(out, indent=1)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")
    else:
        print(text)


if __name__ == "__main__":
    main()
