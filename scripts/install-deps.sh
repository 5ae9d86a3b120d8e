#!/usr/bin/env bash
# Installs what pidbounds needs from Debian packages when it is missing:
# Open MPI (library, headers, mpirun), COIN-OR Clp (the LP engine of the
# sharp bound's branch and bound; library, headers, pkg-config file) and
# pkg-config. Swift must already be on PATH (Swift 6.x).
# scripts/bench-lp.sh also wants GLPK (libglpk-dev), installed only with
# PIDBOUNDS_BENCH_DEPS=1.
set -euo pipefail
packages=()
if ! command -v mpirun >/dev/null || ! pkg-config --exists ompi 2>/dev/null; then
  packages+=(libopenmpi-dev openmpi-bin pkg-config)
fi
if ! pkg-config --exists clp 2>/dev/null; then
  packages+=(coinor-libclp-dev pkg-config)
fi
if [ "${PIDBOUNDS_BENCH_DEPS:-0}" = 1 ] && [ ! -e /usr/include/glpk.h ]; then
  packages+=(libglpk-dev)
fi
if [ ${#packages[@]} -gt 0 ]; then
  echo "installing ${packages[*]}..." >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${packages[@]}" >/dev/null
fi
command -v swift >/dev/null || { echo "swift is not on PATH (Swift 6.x is required)" >&2; exit 69; }
