#!/usr/bin/env bash
# Slurm batch script: `estimate` with a bootstrap over every allocated rank.
# Submit with: sbatch scripts/slurm-estimate.sh D1.csv D2.csv DM.csv OUT.json
#SBATCH --job-name=pidbounds
#SBATCH --ntasks=64
#SBATCH --time=02:00:00
#SBATCH --output=pidbounds-%j.log
set -euo pipefail
d1="$1" d2="$2" dm="$3" out="$4"
binary="${PIDBOUNDS:-$SLURM_SUBMIT_DIR/.build/release/pidbounds}"
# Slurm sends SIGTERM before the time limit; give mpirun its own limit just
# below the job's so that it always ends, never hangs.
mpirun --timeout 7000 -np "$SLURM_NTASKS" "$binary" estimate \
  --x1y "$d1" --x2y "$d2" --x1x2 "$dm" --bootstrap 2000 --seed 0 --format json --output "$out"
