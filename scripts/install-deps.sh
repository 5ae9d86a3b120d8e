#!/usr/bin/env bash
# Installs what pidbounds needs from Debian packages when it is missing:
# Open MPI (library, headers, mpirun) and pkg-config. Swift must already be
# on PATH (Swift 6.x).
set -euo pipefail
if ! command -v mpirun >/dev/null || ! pkg-config --exists ompi 2>/dev/null; then
  echo "installing Open MPI (libopenmpi-dev openmpi-bin pkg-config)..." >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq libopenmpi-dev openmpi-bin pkg-config >/dev/null
fi
command -v swift >/dev/null || { echo "swift is not on PATH (Swift 6.x is required)" >&2; exit 69; }
