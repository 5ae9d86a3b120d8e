#!/usr/bin/env bash
# Node-LP timing of Clp against GLPK (see bench-lp.c; DUAL=1 for the dual simplex), on the random 4x4x3
# table of issue 16 (numpy default_rng(1), Dirichlet(1) over 48 cells) and a
# random 10x10x4 one. Needs coinor-libclp-dev and libglpk-dev.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cc -O2 -o "$out/bench-lp" scripts/bench-lp.c $(pkg-config --cflags --libs clp) -lglpk -lm
for shape in "4 4 3 1" "10 10 4 2"; do
  python3 - $shape <<'PY' | "$out/bench-lp" "${DIVES:-200}"
import sys, numpy as np
n1, n2, k, seed = map(int, sys.argv[1:])
p = np.random.default_rng(seed).dirichlet(np.ones(n1 * n2 * k))
print(n1, n2, k)
print(" ".join(repr(float(v)) for v in p))
PY
done
