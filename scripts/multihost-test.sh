#!/usr/bin/env bash
# Multi-host test on one machine: two network namespaces ("hosts") joined by
# a veth pair, an rsh agent that runs commands with `ip netns exec`, a host
# file naming the namespaces' addresses, and a bootstrap run whose two ranks
# sit on different "hosts" and talk over TCP. The JSON must equal a plain
# run's (except "ranks"). Only these namespaces' own addresses are used.
# Exits 0 on success, 1 on a mismatch, and 0 with a SKIP line when
# namespaces cannot be created here.
set -euo pipefail
cd "$(dirname "$0")/.."
binary="$(pwd)/${1:-.build/debug/pidbounds}"
suffix=$$
nsA="pbA$suffix" nsB="pbB$suffix"
addrA=10.213.7.1 addrB=10.213.7.2
work=$(mktemp -d)
cleanup() {
  ip netns del "$nsA" 2>/dev/null || true
  ip netns del "$nsB" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
if ! ip netns add "$nsA" 2>/dev/null || ! ip netns add "$nsB" 2>/dev/null; then
  echo "SKIP multihost: cannot create network namespaces here (needs root and iproute2)"
  exit 0
fi
ip link add "vA$suffix" type veth peer name "vB$suffix"
ip link set "vA$suffix" netns "$nsA"
ip link set "vB$suffix" netns "$nsB"
ip -n "$nsA" addr add "$addrA/24" dev "vA$suffix"
ip -n "$nsB" addr add "$addrB/24" dev "vB$suffix"
for ns in "$nsA" "$nsB"; do ip -n "$ns" link set lo up; done
ip -n "$nsA" link set "vA$suffix" up
ip -n "$nsB" link set "vB$suffix" up

# The rsh agent: Open MPI calls it as `agent [options] HOST COMMAND...`.
cat > "$work/agent" <<AGENT
#!/usr/bin/env bash
while [ "\${1#-}" != "\$1" ]; do shift; done
host="\$1"; shift
case "\$host" in
  $addrA) ns=$nsA ;;
  $addrB) ns=$nsB ;;
  *) echo "agent: unknown host \$host" >&2; exit 1 ;;
esac
exec ip netns exec "\$ns" /bin/sh -c "\$*"
AGENT
chmod +x "$work/agent"
printf '%s slots=1\n%s slots=1\n' "$addrA" "$addrB" > "$work/hosts"

source scripts/mpi-env.sh
export OMPI_MCA_btl=self,tcp
export OMPI_MCA_plm_rsh_agent="$work/agent"
export OMPI_MCA_btl_tcp_if_include=10.213.7.0/24
export OMPI_MCA_oob_tcp_if_include=10.213.7.0/24
# (A small sharp-bound budget: the test is about placement and TCP, and the
# debug binary pays for every node LP of every replicate.)
arguments=(estimate --example synergy --clusters 6 --sharp-nodes 50 --bootstrap 24 --seed 5 --format json)
"$binary" "${arguments[@]}" > "$work/plain.json"
ip netns exec "$nsA" mpirun --timeout 120 --hostfile "$work/hosts" -np 2 --map-by node \
  --mca plm_rsh_no_tree_spawn 1 \
  /bin/sh -c 'echo "rank $OMPI_COMM_WORLD_RANK on $(ip -4 -o addr show | grep -o "10\.213\.7\.[0-9]*")" >&2' 2> "$work/placement"
cat "$work/placement"
if [ "$(sort -u "$work/placement" | grep -c '10.213.7')" -lt 2 ]; then
  echo "FAIL multihost: the ranks did not land on both hosts" >&2
  exit 1
fi
ip netns exec "$nsA" mpirun --timeout 300 --hostfile "$work/hosts" -np 2 --map-by node \
  --mca plm_rsh_no_tree_spawn 1 "$binary" "${arguments[@]}" > "$work/hosts.json"
python3 - "$work/plain.json" "$work/hosts.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
assert b["ranks"] == 2, b["ranks"]
b["ranks"] = a["ranks"]
if a != b:
    print("FAIL multihost: results differ between the plain run and two hosts"); sys.exit(1)
print("multihost: 2 ranks on 2 network-namespace hosts over TCP give the plain run's JSON")
PY
