#!/usr/bin/env bash
# Slurm test on one machine: a real one-node Slurm 22.05 cluster (munged,
# slurmctld, slurmd in a temporary directory, see slurm-cluster.sh), and the
# project's own scripts/slurm-estimate.sh submitted with sbatch:
#   0. control, without Slurm: SIGTERM to a bare mpirun cuts a checkpoint
#      flush that takes 2 s (Open MPI kills the ranks 1 s after SIGTERM) --
#      the trap the batch script must avoid;
#   1. 2 tasks under mpirun inside the allocation (no oversubscription: the
#      two slots come from Slurm); the JSON equals a plain run's;
#   2. a 1-minute time limit ends the job mid-bootstrap: Slurm's SIGTERM,
#      a 2-second flush (PIDBOUNDS_TEST_FLUSH_DELAY) completes, the ranks
#      stop with 75, every finished replicate is in the checkpoint;
#      `scontrol requeue` resumes it and the final JSON equals an
#      uninterrupted run's;
#   3. the early warning (SIGUSR1 to the batch shell, what --signal=B:USR1@N
#      sends) stops the job with exit 75 after a 2-second flush; then
#      `scancel` of the resubmitted job loses no finished replicate; a last
#      resubmission completes with the plain run's JSON.
# Usage: scripts/slurm-test.sh [BINARY] (default .build/debug/pidbounds).
# Prints "SKIP slurm: REASON" and exits 0 when Slurm cannot run here; exits
# 1 with "FAIL slurm: ..." on any wrong result; stops exactly the daemons it
# started (by pid) and cancels its own jobs.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
binary="$root/${1:-.build/debug/pidbounds}"
data="$root/Tests/Fixtures/real/wine"
options=(--clusters 3)
started=$(date +%s)

skip() { echo "SKIP slurm: $*"; exit 0; }
fail() { echo "FAIL slurm: $*" >&2; exit 1; }
note() { echo "slurm: [$(($(date +%s) - started)) s] $*"; }

[ -x "$binary" ] || fail "no binary at $binary (build first)"
[ "$(id -u)" = 0 ] || skip "needs root (munged, slurmctld and slurmd run as root here)"
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v sbatch >/dev/null \
  || ! command -v munged >/dev/null || ! command -v mungekey >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  { apt-get update -qq && apt-get install -y -qq slurmctld slurmd slurm-client munge; } >/dev/null 2>&1 \
    || skip "the Debian packages slurmctld slurmd slurm-client munge are missing and could not be installed"
fi

# Jobs run as root: Open MPI must be told that this is allowed. No
# oversubscription: mpirun must find its slots in the Slurm allocation.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl=self,vader
unset OMPI_MCA_rmaps_base_oversubscribe OMPI_MCA_odls_base_sigkill_timeout
export PIDBOUNDS="$binary"
work=$(mktemp -d /tmp/pidbounds-slurm.XXXXXX)
source scripts/slurm-cluster.sh
background=()
cleanup() {
  set +e
  if [ -n "${SLURM_CONF:-}" ] && [ -f "$SLURM_CONF" ]; then
    scancel --full $(squeue -h -o %i 2>/dev/null) 2>/dev/null
    for _ in $(seq 100); do [ -z "$(squeue -h -o %i 2>/dev/null)" ] && break; sleep 0.2; done
  fi
  for pid in "${background[@]}"; do kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
  slurm_cluster_stop
  if [ -n "${KEEP_SLURM_TEST:-}" ]; then echo "slurm: kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
slurm_cluster_start "$work/cluster" || skip "the one-node cluster did not start: $slurm_cluster_reason"
note "one-node cluster up ($(sinfo -h -o '%N %c CPUs %t'))"


# Field NAME of `scontrol show job ID`.
job_field() { scontrol show job "$1" -o 2>/dev/null | tr ' ' '\n' | sed -n "s/^$2=//p" | head -1; }
# Waits until job ID is in one of the states (regex) or fails after SECONDS.
wait_state() {
  local id="$1" states="$2" limit="$3" state=""
  for _ in $(seq $((limit * 2))); do
    state=$(job_field "$id" JobState)
    [[ "$state" =~ ^($states)$ ]] && { echo "$state"; return 0; }
    sleep 0.5
  done
  fail "job $id still $state after $limit s (wanted $states); log: $(tail -3 "$work"/job-"$id".log 2>/dev/null)"
}
records() { [ -f "$1" ] && echo $(($(wc -l < "$1") - 1)) || echo 0; }
wait_records() {
  local file="$1" want="$2" limit="$3"
  for _ in $(seq $((limit * 5))); do [ "$(records "$file")" -ge "$want" ] && return 0; sleep 0.2; done
  fail "$file has $(records "$file") records after $limit s, wanted $want"
}
# JSON files equal except "ranks"; the second must have ranks == RANKS.
same_json() {
  python3 - "$1" "$2" "$3" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
if b.get("ranks") != int(sys.argv[3]):
    sys.exit("ranks %r, expected %s" % (b.get("ranks"), sys.argv[3]))
a.pop("ranks", None); b.pop("ranks", None)
if a != b:
    keys = [k for k in set(a) | set(b) if a.get(k) != b.get(k)]
    sys.exit("JSON differs in %s" % sorted(keys))
PY
}
submit() { sbatch --parsable --output="$work/job-%j.log" "$@" scripts/slurm-estimate.sh \
  "$data/d1.csv" "$data/d2.csv" "$data/dm.csv" "${outputs[@]}" "${options[@]}"; }

# The large job must still be running when its 1-minute limit is enforced
# (60-90 s): about 6,500 replicates were done by then on a 2-core machine,
# so 25,000 leaves room for a machine nearly four times as fast.
small=300 large=25000
plain=(estimate --x1y "$data/d1.csv" --x2y "$data/d2.csv" --x1x2 "$data/dm.csv" "${options[@]}" --format json)

# --- 0. The trap, without Slurm: SIGTERM to mpirun, a 2 s flush is cut.
control="$work/control.ck"
PIDBOUNDS_TEST_FLUSH_DELAY=2 mpirun --timeout 300 -np 2 --oversubscribe "$binary" "${plain[@]}" --bootstrap "$small" \
  --checkpoint "$control" > /dev/null 2> "$work/control.err" &
control_pid=$!
background+=("$control_pid")
wait_records "$control" 8 120
kill -TERM "$control_pid"
control_status=0
wait "$control_pid" || control_status=$?
if [ "$control_status" = 75 ] || grep -q "holds them" "$work/control.err"; then
  fail "control: a bare mpirun let a 2 s flush finish after SIGTERM (status $control_status); the test would prove nothing"
fi
note "0. control: SIGTERM to a bare mpirun, ranks killed mid-flush (mpirun status $control_status, no exit 75)"

# --- Reference runs: plain (1 process) for the small count, in the
# background the large one for scenario 2.
"$binary" "${plain[@]}" --bootstrap "$small" > "$work/plain-small.json"
"$binary" "${plain[@]}" --bootstrap "$large" > "$work/plain-large.json" 2> "$work/plain-large.err" &
reference_pid=$!
background+=("$reference_pid")

# --- 1. Two tasks under mpirun inside the allocation.
outputs=("$work/s1.json")
id=$(PIDBOUNDS_BOOTSTRAP=$small PIDBOUNDS_CHECKPOINT="$work/s1.ck" submit --ntasks=2 --time=10 --wait) \
  || fail "1. job failed: $(tail -5 "$work"/job-*.log)"
same_json "$work/plain-small.json" "$work/s1.json" 2 || fail "1. the 2-task Slurm job's JSON differs from the plain run's"
note "1. sbatch --ntasks=2: mpirun took 2 slots from Slurm (job $id); JSON equals the plain run's ($small replicates)"

# --- 2. Time limit mid-bootstrap: SIGTERM from Slurm, flush, 75; requeue.
ck2="$work/s2.ck"
outputs=("$work/s2.json")
id=$(PIDBOUNDS_BOOTSTRAP=$large PIDBOUNDS_CHECKPOINT="$ck2" PIDBOUNDS_TEST_FLUSH_DELAY=2 \
  submit --ntasks=1 --time=1 --signal=B:USR1@0)
wait_state "$id" RUNNING 60 > /dev/null
running=$(date +%s)
wait_records "$ck2" 8 60
state=$(wait_state "$id" "TIMEOUT|COMPLETED|FAILED|CANCELLED" 200)
log="$work/job-$id.log"
[ "$state" = TIMEOUT ] || fail "2. job $id ended $state, not by its time limit; log: $(tail -3 "$log")"
grep -q "DUE TO TIME LIMIT" "$log" || fail "2. no time-limit message from Slurm in the log"
grep -q "got SIGUSR1" "$log" && fail "2. the job got the early warning; this scenario is for SIGTERM at the limit"
stopped=$(sed -n 's/.*terminated (SIGTERM or SIGUSR1) after \([0-9]*\) of.*/\1/p' "$log" | tail -1)
[ -n "$stopped" ] || fail "2. the ranks did not stop cleanly (no 'terminated ... after K' line): $(tail -5 "$log")"
kept=$(records "$ck2")
[ "$kept" = "$stopped" ] || fail "2. the ranks finished $stopped replicates but the checkpoint holds $kept (the last flush was cut)"
[ "$kept" -lt "$large" ] || fail "2. the job finished its $large replicates before the limit; the test proves nothing"
grep -q "pidbounds: interrupted" "$log" || fail "2. the batch script did not exit 75"
note "2. time limit after $(($(date +%s) - running)) s: Slurm's SIGTERM, a 2 s flush completed, exit 75; checkpoint holds all $kept finished replicates"
scontrol requeue "$id" || fail "2. scontrol requeue $id failed"
# The rest must fit: a requeued job keeps its limit unless raised.
scontrol update JobId="$id" TimeLimit=20 || fail "2. cannot raise the requeued job's time limit"
state=$(wait_state "$id" "COMPLETED|FAILED|TIMEOUT|CANCELLED" 1200)
[ "$state" = COMPLETED ] || fail "2. the requeued job ended $state: $(tail -5 "$log")"
grep -q "restart 1" "$log" || fail "2. the log does not show the requeued run (--open-mode=append)"
wait "$reference_pid" || fail "2. the uninterrupted reference run failed: $(tail -2 "$work/plain-large.err")"
same_json "$work/plain-large.json" "$work/s2.json" 1 || fail "2. the resumed JSON differs from an uninterrupted run's"
note "2. scontrol requeue resumed from $kept of $large; final JSON identical to the uninterrupted run's"

# --- 3. Early warning (SIGUSR1 to the batch shell), then scancel.
ck3="$work/s3.ck"
outputs=("$work/s3.json")
id=$(PIDBOUNDS_BOOTSTRAP=$small PIDBOUNDS_CHECKPOINT="$ck3" PIDBOUNDS_TEST_FLUSH_DELAY=2 submit --ntasks=2 --time=10)
wait_records "$ck3" 16 120
scancel --batch --signal=USR1 "$id"
state=$(wait_state "$id" "COMPLETED|FAILED|CANCELLED|TIMEOUT" 120)
exitcode=$(job_field "$id" ExitCode)
log="$work/job-$id.log"
[ "$exitcode" = "75:0" ] || fail "3. after the early warning job $id ended $state with $exitcode, not 75: $(tail -5 "$log")"
stopped=$(sed -n 's/.*terminated (SIGTERM or SIGUSR1) after \([0-9]*\) of.*/\1/p' "$log" | tail -1)
warned=$(records "$ck3")
[ -n "$stopped" ] && [ "$warned" = "$stopped" ] || fail "3. $stopped replicates finished, $warned in the checkpoint"
note "3. early warning: SIGUSR1 to the batch shell, forwarded through mpirun, 2 s flush, exit 75 with all $warned replicates"
id=$(PIDBOUNDS_BOOTSTRAP=$small PIDBOUNDS_CHECKPOINT="$ck3" PIDBOUNDS_TEST_FLUSH_DELAY=2 submit --ntasks=2 --time=10)
wait_records "$ck3" $((warned + 16)) 120
cp "$ck3" "$work/before-scancel.ck"
scancel "$id"
state=$(wait_state "$id" "COMPLETED|FAILED|CANCELLED|TIMEOUT" 120)
missing=$(comm -23 <(tail -n +2 "$work/before-scancel.ck" | sort) <(tail -n +2 "$ck3" | sort) | wc -l)
[ "$missing" = 0 ] || fail "3. scancel lost $missing finished replicates"
note "3. scancel (job $state): all $(records "$work/before-scancel.ck") replicates recorded before it are kept ($(records "$ck3") now)"
id=$(PIDBOUNDS_BOOTSTRAP=$small PIDBOUNDS_CHECKPOINT="$ck3" submit --ntasks=2 --time=10 --wait) \
  || fail "3. the last resubmission failed: $(tail -5 "$work/job-$id.log")"
same_json "$work/plain-small.json" "$work/s3.json" 2 || fail "3. the resumed JSON differs from the plain run's"
note "3. resubmitted: final JSON identical to the plain run's"
echo "slurm: PASS: 2 tasks in an allocation, time limit + SIGTERM + 2 s flush + requeue, early warning, scancel; identical JSON ($(($(date +%s) - started)) s)"
