#!/usr/bin/env bash
# Local launcher: runs pidbounds under mpirun on this machine with one rank
# per core (or RANKS), as root too, with a timeout (TIMEOUT seconds, default
# 3600). Usage: scripts/run-local.sh estimate --example synergy --bootstrap 200
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
binary="${PIDBOUNDS:-$here/../.build/release/pidbounds}"
[ -x "$binary" ] || { echo "build first: swift build -c release --static-swift-stdlib" >&2; exit 69; }
source "$here/mpi-env.sh"
exec mpirun --timeout "${TIMEOUT:-3600}" -np "${RANKS:-$(nproc)}" "$binary" "$@"
