#!/usr/bin/env bash
# Sets everything up on a fresh machine and runs the main job on a bundled
# example under mpirun with 2 ranks: installs Open MPI if missing, builds the
# release binary, runs `estimate --example synergy` (XOR-like bits) and
# writes its HTML report to .build/example-report.html.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
swift build -c release --static-swift-stdlib >&2
source scripts/mpi-env.sh
mpirun --timeout 300 -np 2 .build/release/pidbounds estimate --example synergy --bootstrap 100 --permutations 99 --seed 1 --format table \
  --report .build/example-report.html
echo "HTML report: .build/example-report.html" >&2
