#!/usr/bin/env bash
# Sets everything up on a fresh machine and runs the bundled example under
# mpirun with 2 ranks: installs Open MPI if missing, builds the release
# binary, prints the PID of the AND table (examples/and.json).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
swift build -c release --static-swift-stdlib >&2
source scripts/mpi-env.sh
mpirun --timeout 120 -np 2 .build/release/pidbounds pid --joint examples/and.json --format table
