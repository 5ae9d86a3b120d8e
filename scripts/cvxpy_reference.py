#!/usr/bin/env python3
"""Reference BROJA PID via the standard CVXPY conic program.

This is the baseline that pidbounds' native solver is benchmarked against: the
convex program used by Liang et al. (ICLR 2024, "Multimodal Learning Without
Labeled Multimodal Data") and the BROJA-2PID literature,

    I_min = min_q  I_q(X1,X2;Y)
            s.t.   q >= 0,  q(x1,y) = p(x1,y),  q(x2,y) = p(x2,y).

Since H_q(Y) = H_p(Y) is fixed by the constraints, we minimise
-H_q(Y|X1,X2) = sum_{x1,x2,y} rel_entr(q(x1,x2,y), q(x1,x2)), which is DCP,
with one matrix variable Q[(x1,x2), y].  All cells are kept; the marginal
constraints force q = 0 wherever p(x1,y) = 0 or p(x2,y) = 0.
I_min is recovered from the optimal objective value.  With the solvers'
default tolerances (the benchmarked configuration) I_min can be off by
~1e-7 bits (Clarabel's tol_feas = 1e-8 is the limiting setting); for
reference values use --tol 1e-12 (errors ~1e-11 bits on 20x20x10).

Usage:
  cvxpy_reference.py --joint FILE [--solver CLARABEL|SCS|ECOS] [--repeat N] [--tol EPS]
  cvxpy_reference.py --random N1 N2 K --seed S [--write-joint FILE] [...]

FILE is JSON {"p": [[[...]]]} indexed [x1][x2][y] (counts or probabilities).
--random draws one Dirichlet(1) vector over all N1*N2*K cells with
numpy.random.default_rng(S); --write-joint saves that exact table.
Prints one JSON line: shape, I_min_bits, R, U1, U2 (bits), solver,
solve_time_s (solver only), wall_time_s (problem build + CVXPY compile +
solve), status.  With --repeat N the whole build+solve is repeated N times
and the minimum of each timing is reported.
"""
import argparse
import json
import sys
import time

try:  # numpy/scipy come with cvxpy
    import cvxpy as cp
    import numpy as np
    import scipy.sparse as sp
except ImportError:
    cp = None


def entropy_bits(m):
    m = m[m > 0]
    return float(-(m * np.log2(m)).sum())


def mutual_info_bits(pxy):
    """I(X;Y) in bits for a 2-D joint table."""
    return entropy_bits(pxy.sum(1)) + entropy_bits(pxy.sum(0)) - entropy_bits(pxy)


# solver option names for --tol (feasibility and duality-gap tolerances)
TOL_OPTIONS = {"CLARABEL": ("tol_feas", "tol_gap_abs", "tol_gap_rel"),
               "SCS": ("eps_abs", "eps_rel"),
               "ECOS": ("feastol", "abstol", "reltol")}


def solve_broja(p, solver, tol=None):
    n1, n2, k = p.shape
    Q = cp.Variable((n1 * n2, k), nonneg=True)           # row index = x1*n2 + x2
    A1 = sp.kron(sp.eye(n1), np.ones((1, n2)))            # sums over x2
    A2 = sp.kron(np.ones((1, n1)), sp.eye(n2))            # sums over x1
    qx = cp.sum(Q, axis=1, keepdims=True) @ np.ones((1, k))  # q(x1,x2), per y
    objective = cp.Minimize(cp.sum(cp.rel_entr(Q, qx)))  # = -H_q(Y|X1,X2), nats
    constraints = [A1 @ Q == p.sum(1), A2 @ Q == p.sum(0)]
    problem = cp.Problem(objective, constraints)
    opts = {name: tol for name in TOL_OPTIONS[solver]} if tol else {}
    problem.solve(solver=solver, **opts)
    return problem


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--joint", metavar="FILE")
    src.add_argument("--random", nargs=3, type=int, metavar=("N1", "N2", "K"))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--write-joint", metavar="FILE")
    ap.add_argument("--solver", default="CLARABEL", choices=["CLARABEL", "SCS", "ECOS"])
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--tol", type=float, help="feasibility/gap tolerance passed to the "
                    "solver (default: the solver's own, accurate to ~1e-7 bits)")
    args = ap.parse_args()

    if cp is None:
        print("cvxpy is not installed: pip install cvxpy clarabel", file=sys.stderr)
        sys.exit(69)
    if args.solver not in cp.installed_solvers():
        print(f"solver {args.solver} is not installed: pip install cvxpy clarabel "
              f"(ECOS: pip install ecos)", file=sys.stderr)
        sys.exit(69)

    if args.joint:
        with open(args.joint) as f:
            p = np.asarray(json.load(f)["p"], dtype=float)
    else:
        n1, n2, k = args.random
        rng = np.random.default_rng(args.seed)
        p = rng.dirichlet(np.ones(n1 * n2 * k)).reshape(n1, n2, k)
    if p.ndim != 3 or (p < 0).any() or p.sum() <= 0:
        sys.exit("joint table must be a non-negative, non-zero [x1][x2][y] array")
    p = p / p.sum()
    if args.write_joint:
        with open(args.write_joint, "w") as f:
            json.dump({"p": p.tolist()}, f)

    solve_times, wall_times = [], []
    for _ in range(max(1, args.repeat)):
        t0 = time.perf_counter()
        problem = solve_broja(p, args.solver, args.tol)
        wall_times.append(time.perf_counter() - t0)
        if problem.solver_stats.solve_time is not None:
            solve_times.append(problem.solver_stats.solve_time)

    i1 = mutual_info_bits(p.sum(1))   # I(X1;Y)
    i2 = mutual_info_bits(p.sum(0))   # I(X2;Y)
    out = {"shape": list(p.shape), "I_min_bits": None, "R": None, "U1": None, "U2": None}
    if problem.value is not None and np.isfinite(problem.value):
        i_min = entropy_bits(p.sum((0, 1))) + problem.value / np.log(2)
        out.update(I_min_bits=i_min, R=i1 + i2 - i_min, U1=i_min - i2, U2=i_min - i1)
    out.update(solver=args.solver,
               solve_time_s=min(solve_times, default=None),
               wall_time_s=min(wall_times), status=problem.status)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
