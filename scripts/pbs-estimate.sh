#!/usr/bin/env bash
# PBS Pro / Torque batch script: `estimate` with a checkpointed bootstrap
# over every allocated rank; the PBS twin of slurm-estimate.sh (same
# options, same exit codes, same resume). Submit with:
#   qsub -v D1=d1.csv,D2=d2.csv,DM=dm.csv,OUT=out.json scripts/pbs-estimate.sh
# Optional -v variables: PIDBOUNDS (the binary), PIDBOUNDS_BOOTSTRAP (2000),
# PIDBOUNDS_SEED (0), PIDBOUNDS_CHECKPOINT (OUT.checkpoint),
# PIDBOUNDS_OPTIONS (more `estimate` options, space-separated),
# PIDBOUNDS_KILL_GRACE (Open MPI's odls_base_sigkill_timeout; default 2,
# a quarter of a kill_delay of 10 s: raise it with the site's kill_delay).
#
# Exit 75 means interrupted with the finished replicates in the checkpoint:
# qsub the same command again to resume; the final JSON is identical to an
# uninterrupted run's.
#
# Stopping safely. At the walltime PBS sends SIGTERM to every process of the
# job's session and SIGKILL kill_delay seconds later. The ranks get SIGTERM
# directly and finish their round and the checkpoint flush; mpirun, which
# would kill them 1 s after SIGTERM by default, is given
# odls_base_sigkill_timeout = PIDBOUNDS_KILL_GRACE (it kills after twice
# that), and this shell forwards SIGTERM/SIGUSR1 to it as SIGUSR1 (passed
# on to the ranks without a kill), so that `qsig -s USR1 JOBID` is an early
# warning. Unlike the Slurm script, mpirun stays in the job's session: PBS
# tracks a job's processes by session and would not kill one that left it.
#
# Tested: the signal handling and resume of this script outside PBS (see
# docs/cluster.md). Not tested: under a real PBS server (none is packaged
# for Debian 12).
#PBS -N pidbounds
#PBS -l select=2:ncpus=32:mpiprocs=32
#PBS -l walltime=02:00:00
#PBS -j oe
set -euo pipefail
cd "${PBS_O_WORKDIR:-.}"
binary="${PIDBOUNDS:-${PBS_O_WORKDIR:-.}/.build/release/pidbounds}"
checkpoint="${PIDBOUNDS_CHECKPOINT:-$OUT.checkpoint}"
ranks=$(wc -l < "$PBS_NODEFILE")
export OMPI_MCA_odls_base_sigkill_timeout="${PIDBOUNDS_KILL_GRACE:-2}"
echo "pidbounds: job ${PBS_JOBID:-?} on $ranks ranks; checkpoint $checkpoint; mpirun kill timeout $OMPI_MCA_odls_base_sigkill_timeout s"
# shellcheck disable=SC2086
mpirun --hostfile "$PBS_NODEFILE" -np "$ranks" "$binary" estimate \
  --x1y "$D1" --x2y "$D2" --x1x2 "$DM" --bootstrap "${PIDBOUNDS_BOOTSTRAP:-2000}" --seed "${PIDBOUNDS_SEED:-0}" \
  --checkpoint "$checkpoint" --format json --output "$OUT" ${PIDBOUNDS_OPTIONS:-} &
mpirun_pid=$!
signalled="" interrupted=""
forward() {
  signalled="$1" interrupted=1
  echo "pidbounds: batch shell got SIG$1; asking the ranks to flush and stop (SIGUSR1 to mpirun)"
  kill -USR1 "$mpirun_pid" 2>/dev/null || true
}
trap 'forward USR1' USR1
trap 'forward TERM' TERM
while true; do
  interrupted=""
  status=0
  wait "$mpirun_pid" || status=$?
  [ "$status" -gt 128 ] && [ -n "$interrupted" ] && continue
  break
done
# mpirun reports its own failure status when SIGTERM reached it directly,
# even though the ranks stopped cleanly with 75 (checkpoint flushed).
if [ "$status" -ne 0 ] && [ "$status" -ne 75 ] && [ -n "$signalled" ] && [ -s "$checkpoint" ] && [ ! -e "$OUT" ]; then
  status=75
fi
if [ "$status" -eq 75 ]; then
  echo "pidbounds: interrupted; $checkpoint holds the finished replicates: qsub the same command again to resume"
fi
exit "$status"
