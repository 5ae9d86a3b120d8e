#!/usr/bin/env bash
# Builds everything (the tests spawn the built binary, also under mpirun)
# and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/mpi-env.sh
swift build
swift test
