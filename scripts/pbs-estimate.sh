#!/usr/bin/env bash
# PBS/Torque batch script: `estimate` with a bootstrap over every allocated
# rank. Submit with:
#   qsub -v D1=d1.csv,D2=d2.csv,DM=dm.csv,OUT=out.json scripts/pbs-estimate.sh
#PBS -N pidbounds
#PBS -l select=2:ncpus=32:mpiprocs=32
#PBS -l walltime=02:00:00
#PBS -j oe
set -euo pipefail
cd "$PBS_O_WORKDIR"
binary="${PIDBOUNDS:-$PBS_O_WORKDIR/.build/release/pidbounds}"
ranks=$(wc -l < "$PBS_NODEFILE")
mpirun --timeout 7000 --hostfile "$PBS_NODEFILE" -np "$ranks" "$binary" estimate \
  --x1y "$D1" --x2y "$D2" --x1x2 "$DM" --bootstrap 2000 --seed 0 --format json --output "$OUT"
