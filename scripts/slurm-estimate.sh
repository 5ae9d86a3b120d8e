#!/usr/bin/env bash
# Slurm batch script: `estimate` with a checkpointed bootstrap over every
# allocated rank. A job stopped by its time limit, `scancel` or preemption
# exits 75 with its finished replicates in the checkpoint; submitting the
# same command again (or `scontrol requeue JOBID`) resumes it, and the final
# JSON is identical to an uninterrupted run's.
#
# Submit with:
#   sbatch scripts/slurm-estimate.sh D1.csv D2.csv DM.csv OUT.json [estimate options...]
# Extra arguments go to `pidbounds estimate` (for example --clusters 10).
# Environment (all optional):
#   PIDBOUNDS             the binary (default $SLURM_SUBMIT_DIR/.build/release/pidbounds)
#   PIDBOUNDS_BOOTSTRAP   replicates (default 2000)
#   PIDBOUNDS_SEED        seed (default 0)
#   PIDBOUNDS_CHECKPOINT  checkpoint file (default OUT.checkpoint)
#   PIDBOUNDS_KILL_GRACE  Open MPI's odls_base_sigkill_timeout for this run
#                         (default: the cluster's KillWait / 4, at least 1;
#                         7 if KillWait is unknown)
#
# Stopping safely. Slurm stops a job with SIGTERM and, KillWait seconds
# later, SIGKILL. Open MPI 4.1's mpirun, measured: on SIGTERM it waits
# odls_base_sigkill_timeout (T, default 1 s), sends SIGTERM to the ranks,
# and kills them T later; when a rank exits non-zero (75 included) it also
# spends 2T before it exits itself. With T = 1 a rank that is finishing its
# round and flushing the checkpoint is killed after a second.
# This script therefore
#   1. asks for an early warning (--signal=B:USR1@300: SIGUSR1 to this
#      shell five minutes before the limit) and forwards it, and any SIGTERM
#      this shell gets, to mpirun as SIGUSR1, which mpirun passes on to the
#      ranks without killing them: they finish the round, flush and exit 75;
#   2. starts mpirun in its own session (setsid), so that a SIGTERM Slurm
#      sends to the batch shell's process group (proctrack/pgid) reaches
#      mpirun only as that SIGUSR1;
#   3. sets T = KillWait / 4: on clusters whose proctrack signals every
#      process of the job (cgroup, linuxproc) the ranks get SIGTERM from
#      Slurm directly and have 2T = KillWait / 2 to flush before mpirun
#      kills them; with pgid they have KillWait - 2T = KillWait / 2 before
#      mpirun's own 2T exit runs into Slurm's SIGKILL.
# Finished replicates are on disk after every round in any case; at worst
# the round in progress is computed again.
#SBATCH --job-name=pidbounds
#SBATCH --ntasks=64
#SBATCH --time=02:00:00
#SBATCH --output=pidbounds-%j.log
#SBATCH --open-mode=append
#SBATCH --signal=B:USR1@300
set -euo pipefail
if [ $# -lt 4 ]; then
  echo "usage: sbatch slurm-estimate.sh D1 D2 DM OUT.json [estimate options...]" >&2
  exit 64
fi
d1="$1" d2="$2" dm="$3" out="$4"
shift 4
binary="${PIDBOUNDS:-${SLURM_SUBMIT_DIR:-.}/.build/release/pidbounds}"
checkpoint="${PIDBOUNDS_CHECKPOINT:-$out.checkpoint}"
if [ -z "${PIDBOUNDS_KILL_GRACE:-}" ]; then
  killwait=$(scontrol show config 2>/dev/null | awk '$1 == "KillWait" { print $3 }')
  case "$killwait" in
    ''|*[!0-9]*) PIDBOUNDS_KILL_GRACE=7 ;;
    *) PIDBOUNDS_KILL_GRACE=$((killwait >= 8 ? killwait / 4 : 1)) ;;
  esac
fi
export OMPI_MCA_odls_base_sigkill_timeout="$PIDBOUNDS_KILL_GRACE"
echo "pidbounds: job ${SLURM_JOB_ID:-?} (restart ${SLURM_RESTART_COUNT:-0}) on $SLURM_NTASKS ranks; checkpoint $checkpoint; mpirun kill timeout $PIDBOUNDS_KILL_GRACE s"

# mpirun in a session of its own: a SIGTERM that Slurm sends to this
# shell's process group (proctrack/pgid) does not reach it, only this
# shell's trap below, which turns it into SIGUSR1.
launcher=()
command -v setsid >/dev/null && launcher=(setsid)
"${launcher[@]}" mpirun -np "$SLURM_NTASKS" "$binary" estimate \
  --x1y "$d1" --x2y "$d2" --x1x2 "$dm" --bootstrap "${PIDBOUNDS_BOOTSTRAP:-2000}" --seed "${PIDBOUNDS_SEED:-0}" \
  --checkpoint "$checkpoint" --format json --output "$out" "$@" &
mpirun_pid=$!
signalled="" interrupted=""
forward() {
  signalled="$1" interrupted=1
  echo "pidbounds: batch shell got SIG$1; asking the ranks to flush and stop (SIGUSR1 to mpirun)"
  kill -USR1 "$mpirun_pid" 2>/dev/null || true
}
trap 'forward USR1' USR1
trap 'forward TERM' TERM
# `wait` returns early (status > 128) when a trapped signal arrives; then
# wait again (bash keeps the status of a child that ended meanwhile).
while true; do
  interrupted=""
  status=0
  wait "$mpirun_pid" || status=$?
  [ "$status" -gt 128 ] && [ -n "$interrupted" ] && continue
  break
done
# mpirun reports its own failure status when SIGTERM reached it directly,
# even though the ranks stopped cleanly with 75 (checkpoint flushed).
if [ "$status" -ne 0 ] && [ "$status" -ne 75 ] && [ -n "$signalled" ] && [ -s "$checkpoint" ] && [ ! -e "$out" ]; then
  status=75
fi
if [ "$status" -eq 75 ]; then
  echo "pidbounds: interrupted; $checkpoint holds the finished replicates: submit the same command again (or scontrol requeue ${SLURM_JOB_ID:-JOBID}) to resume"
fi
exit "$status"
