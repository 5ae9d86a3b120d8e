# A one-node Slurm cluster in a temporary directory, for tests: source this
# file, then call `slurm_cluster_start DIR` (DIR must exist) and, when done,
# `slurm_cluster_stop`. Needs root (slurmd and munged run as root, jobs run
# as root) and the Debian packages slurmctld, slurmd, slurm-client, munge.
#
# Everything lives in DIR: munge key, socket (its directory mode 0711, as
# munged refuses world-writable ones), pid and log files, slurm.conf, state
# and spool. Ports are chosen from the caller's pid so that parallel runs
# on one machine do not collide. `slurm_cluster_stop` ends exactly the
# three daemons started here, by their process ids.
#
# On failure `slurm_cluster_start` returns 1 with the reason in
# $slurm_cluster_reason.

slurm_cluster_pids=()
slurm_cluster_reason=""

slurm_cluster_start() {
  local dir="$1"
  export SLURM_CONF="$dir/slurm.conf"
  mkdir -p "$dir/munge" "$dir/state" "$dir/spool"
  chmod 0711 "$dir" "$dir/munge"
  if ! mungekey --create --keyfile="$dir/munge/munge.key" 2>"$dir/mungekey.log"; then
    slurm_cluster_reason="mungekey --create failed: $(tail -1 "$dir/mungekey.log")"
    return 1
  fi
  chmod 0400 "$dir/munge/munge.key"
  munged --foreground --force --key-file="$dir/munge/munge.key" --socket="$dir/munge/munge.socket" \
    --pid-file="$dir/munge/munged.pid" --log-file="$dir/munge/munged.log" --seed-file="$dir/munge/munged.seed" \
    >"$dir/munged.out" 2>&1 &
  slurm_cluster_pids+=($!)
  local i
  for i in $(seq 50); do [ -S "$dir/munge/munge.socket" ] && break; sleep 0.1; done
  if [ ! -S "$dir/munge/munge.socket" ]; then
    slurm_cluster_reason="munged did not start: $(tail -1 "$dir/munged.out" 2>/dev/null)"
    return 1
  fi
  local node host port
  host=$(hostname -s)
  node=$(slurmd -C 2>/dev/null | head -1)
  case "$node" in NodeName=*) ;; *) slurm_cluster_reason="slurmd -C did not describe this node"; return 1 ;; esac
  port=$((20000 + ($$ % 20000) * 2))
  cat >"$SLURM_CONF" <<CONF
ClusterName=pbtest
SlurmctldHost=$host
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket,cred_expire=10
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/pgid
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
KillWait=10
MinJobAge=600
ReturnToService=2
InactiveLimit=0
SchedulerType=sched/builtin
$node State=UNKNOWN
PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
  slurmctld -D -i >"$dir/slurmctld.out" 2>&1 &
  slurm_cluster_pids+=($!)
  slurmd -D >"$dir/slurmd.out" 2>&1 &
  slurm_cluster_pids+=($!)
  for i in $(seq 300); do
    if sinfo -h -o '%t' 2>/dev/null | grep -qx 'idle'; then return 0; fi
    sleep 0.1
  done
  slurm_cluster_reason="the node did not become idle within 30 s ($(sinfo -h -o '%t %E' 2>&1 | head -1); $(tail -1 "$dir/slurmctld.log" 2>/dev/null))"
  return 1
}

slurm_cluster_stop() {
  local pid
  # Daemons in reverse order of start, each by its own id.
  for ((i = ${#slurm_cluster_pids[@]} - 1; i >= 0; i--)); do
    pid=${slurm_cluster_pids[$i]}
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${slurm_cluster_pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  slurm_cluster_pids=()
}
