#!/usr/bin/env python3
"""Predicts how `estimate --bootstrap B` scales to many ranks, from costs
measured on this machine.

Measures (release build):
  1. one process, `estimate --example synergy --bootstrap M --checkpoint F
     --timing`: the cost of every job (replicate) and of the checkpoint
     appends, and the serial part of one process (reading, clustering, the
     fit, the point estimate and the fit's G² p-value, output);
  2. `mpirun -np 2` of the same run: rank 0's time per result message
     (receive, record, answer), the serial part of a run on several ranks
     (what every rank waits for: reading, clustering with the k-means
     restarts shared by the ranks, the fit, output; on R ranks its
     clustering scales with the restarts per rank), rank 0's time on the
     point estimate, which it computes while the other ranks start on the
     jobs, and on the G² p-value, whose draws it makes one at a time
     whenever no result waits;
  3. the round trip of messages of the work queue's sizes between two ranks
     (`scripts/mpi-pingpong.c`): over shared memory, over TCP on the
     loopback, and over TCP between two network namespaces (as
     `scripts/multihost-test.sh` sets up; skipped where they cannot be made).

Then simulates the scheduling policy of `Sources/PIDCommands/ResamplingJobs.swift`
event by event (rank 0 computes the point estimate once every worker has two
chunks, then makes the G² p-value's draws one at a time whenever no result
waits, before its own jobs; it hands out chunks of `clamp(pending / (4 R), 1, 8)`
jobs, two ahead per worker, answers each result, computes jobs itself only
while no result waits, chunks hold two jobs or more (or R = 2) and answering takes at
most half of its time, hands results to the checkpoint writer thread every
0.5 s or 1,000 records, and whenever it is idle once no job is left to hand
out, and waits for its last append) for 2 to 1,024
ranks and B = 1,000 to 100,000, job costs drawn from the measured ones, and
prints the predicted efficiency with where the time goes.

Usage: python3 scripts/scaling-model.py [--binary .build/release/pidbounds]
         [--measure-replicates 200] [--transport tcp-namespaces] [--seed 1]
"""
import argparse
import heapq
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESTARTS = 8  # k-means restarts of the measured runs: --restarts 4 per modality
DRAWS = 99  # draws of the G² p-value (Report.populationDraws)

MPI_ENV = {
    "OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
    "OMPI_MCA_rmaps_base_oversubscribe": "1",
}


def run_json(command, env=None):
    out = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if out.returncode != 0:
        sys.exit(f"failed ({out.returncode}): {' '.join(command)}\n{out.stderr}")
    return json.loads(out.stdout)


def measure_pidbounds(binary, replicates, work):
    base = [binary, "estimate", "--example", "synergy", "--restarts", str(RESTARTS // 2), "--bootstrap", str(replicates),
            "--timing", "--format", "json"]
    one = run_json(base + ["--checkpoint", os.path.join(work, "one.ckpt")])
    timing = one["timing"]
    resampling = timing["resampling"]
    env = dict(os.environ, **MPI_ENV, OMPI_MCA_btl="self,vader")
    two = run_json(["mpirun", "--timeout", "900", "-np", "2"] + base, env=env)
    r2 = two["timing"]["resampling"]
    return {
        "job_seconds": resampling["job_seconds"],
        "serial_seconds": timing["seconds"] - resampling["seconds"],
        "serial_ranks_seconds": two["timing"]["seconds"] - r2["seconds"],
        "restarts_ranks_seconds": two["timing"]["clustering"]["restarts_seconds"],
        "clustering_ranks_seconds": two["timing"]["clustering"]["seconds"],
        "point_seconds": r2["first_on_rank_0_seconds"],
        "root_work_seconds": r2["root_work_on_rank_0_seconds"],
        "checkpoint_seconds": resampling["checkpoint_seconds"],
        "checkpoint_flushes": resampling["checkpoint_flushes"],
        "checkpoint_records": resampling["checkpoint_records"],
        "message_seconds": r2["message_seconds"] / max(1, r2["messages"]),
        "one_rank_seconds": timing["seconds"],
        "two_rank_seconds": two["timing"]["seconds"],
        "two_rank_resampling_seconds": r2["seconds"],
        "one_rank_resampling_seconds": resampling["seconds"],
        "replicates": replicates,
    }


def pingpong(work, transport):
    """Median round trips {bytes: seconds} between two ranks, or None."""
    source = os.path.join(ROOT, "scripts", "mpi-pingpong.c")
    program = os.path.join(work, "pingpong")
    if not os.path.exists(program):
        subprocess.run(["mpicc", "-O2", "-o", program, source], check=True)
    env = dict(os.environ, **MPI_ENV)
    command = ["mpirun", "--timeout", "120", "-np", "2", program]
    setup = teardown = None
    if transport == "shared-memory":
        env["OMPI_MCA_btl"] = "self,vader"
    elif transport == "tcp-loopback":
        env["OMPI_MCA_btl"] = "self,tcp"
    else:
        suffix = str(os.getpid())
        ns_a, ns_b = "pbsA" + suffix, "pbsB" + suffix
        addr_a, addr_b = "10.213.9.1", "10.213.9.2"
        agent = os.path.join(work, "agent")
        with open(agent, "w") as f:
            f.write("#!/usr/bin/env bash\nwhile [ \"${1#-}\" != \"$1\" ]; do shift; done\nhost=\"$1\"; shift\n"
                    f"case \"$host\" in {addr_a}) ns={ns_a} ;; {addr_b}) ns={ns_b} ;; *) exit 1 ;; esac\n"
                    "exec ip netns exec \"$ns\" /bin/sh -c \"$*\"\n")
        os.chmod(agent, 0o755)
        hosts = os.path.join(work, "hosts")
        with open(hosts, "w") as f:
            f.write(f"{addr_a} slots=1\n{addr_b} slots=1\n")
        cmds = [f"ip netns add {ns_a}", f"ip netns add {ns_b}",
                f"ip link add vA{suffix} type veth peer name vB{suffix}",
                f"ip link set vA{suffix} netns {ns_a}", f"ip link set vB{suffix} netns {ns_b}",
                f"ip -n {ns_a} addr add {addr_a}/24 dev vA{suffix}", f"ip -n {ns_b} addr add {addr_b}/24 dev vB{suffix}",
                f"ip -n {ns_a} link set lo up", f"ip -n {ns_b} link set lo up",
                f"ip -n {ns_a} link set vA{suffix} up", f"ip -n {ns_b} link set vB{suffix} up"]
        teardown = [f"ip netns del {ns_a}", f"ip netns del {ns_b}"]
        for c in cmds:
            if subprocess.run(c.split(), capture_output=True).returncode != 0:
                for t in teardown:
                    subprocess.run(t.split(), capture_output=True)
                return None
        env.update(OMPI_MCA_btl="self,tcp", OMPI_MCA_plm_rsh_agent=agent,
                   OMPI_MCA_btl_tcp_if_include="10.213.9.0/24", OMPI_MCA_oob_tcp_if_include="10.213.9.0/24")
        command = ["ip", "netns", "exec", ns_a, "mpirun", "--timeout", "120", "--hostfile", hosts, "-np", "2",
                   "--map-by", "node", "--mca", "plm_rsh_no_tree_spawn", "1", program]
    try:
        out = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    finally:
        for t in teardown or []:
            subprocess.run(t.split(), capture_output=True)
    if out.returncode != 0:
        return None
    return {int(a): float(b) for a, b in (line.split() for line in out.stdout.strip().splitlines())}


def fsync_seconds(work):
    path = os.path.join(work, "fsync-probe")
    times = []
    with open(path, "ab") as f:
        for _ in range(50):
            f.write(b"x" * 700)
            f.flush()
            start = time.perf_counter()
            os.fsync(f.fileno())
            times.append(time.perf_counter() - start)
    times.sort()
    return times[len(times) // 2]


def latency(round_trips, size):
    """One-way time of a message of `size` bytes, interpolated."""
    sizes = sorted(round_trips)
    if size <= sizes[0]:
        return round_trips[sizes[0]] / 2
    for a, b in zip(sizes, sizes[1:]):
        if size <= b:
            w = (size - a) / (b - a)
            return (round_trips[a] * (1 - w) + round_trips[b] * w) / 2
    a, b = sizes[-2], sizes[-1]
    slope = (round_trips[b] - round_trips[a]) / (b - a)
    return (round_trips[b] + slope * (size - b)) / 2


def simulate(ranks, jobs, costs, m, round_trips, fsync, seed):
    """Event simulation of the work queue; returns phase time, rank 0's
    time on own jobs and messages, and the checkpoint writer thread's busy
    time."""
    rng = random.Random(seed)
    job_cost = [rng.choice(costs) for _ in range(jobs)]
    numbers_per_job = 45
    handle = m["message_seconds"]
    per_record = m["per_record"]
    pending = list(range(jobs))
    next_job = 0

    def chunk_size():
        return max(1, min(8, (jobs - next_job) // (4 * ranks)))

    events = []  # (time, order, kind, rank, payload)
    order = 0
    t0 = 0.0  # rank 0's clock
    busy_own = busy_msg = busy_ckpt = 0.0
    worker_free = [0.0] * ranks  # when each worker finishes its queue
    unsaved, last_save = 0, 0.0
    done_jobs = 0
    finished_at = 0.0
    own_jobs, own_seconds = 0, 0.0
    writer_free = 0.0  # when the checkpoint writer thread is done

    def send_chunk(rank, now):
        nonlocal next_job, order
        if next_job >= jobs:
            return False
        size = chunk_size()
        chunk = list(range(next_job, min(jobs, next_job + size)))
        next_job += len(chunk)
        arrive = now + latency(round_trips, 8 * (len(chunk) + 1))
        start = max(arrive, worker_free[rank])
        end = start + sum(job_cost[j] for j in chunk)
        worker_free[rank] = end
        reply = end + latency(round_trips, 8 * (1 + len(chunk) * (2 + numbers_per_job)))
        order += 1
        heapq.heappush(events, (reply, order, rank, len(chunk)))
        return True

    for _ in range(2):
        for rank in range(1, ranks):
            t0 += handle / 2
            busy_msg += handle / 2
            send_chunk(rank, t0)
    # Rank 0 computes the point estimate while the others start on their
    # first chunks; then the G² p-value's draws, one at a time whenever no
    # result waits (before its own jobs).
    t0 += m["point_seconds"]
    # (One process makes them after the jobs, in its serial part.)
    draws_left = DRAWS if ranks > 1 else 0
    draw = m["root_work_seconds"] / DRAWS
    while events or next_job < jobs or draws_left > 0:
        if events and events[0][0] <= t0:
            _, _, rank, count = heapq.heappop(events)
            t0 += handle
            busy_msg += handle
            done_jobs += count
            unsaved += count
            send_chunk(rank, t0)
        elif draws_left > 0:
            draws_left -= 1
            t0 += draw
        elif next_job < jobs and (ranks == 1 or ((chunk_size() >= 2 or ranks == 2) and (
                own_jobs == 0 or (ranks - 1) * handle <= 0.5 * chunk_size() * own_seconds / own_jobs))):
            # Rank 0's own job: only while chunks hold two jobs or more and
            # answering results takes at most half of its time
            # (Coordinator.computesOwnJobs).
            cost = job_cost[next_job]
            own_jobs += 1
            own_seconds += cost
            next_job += 1
            t0 += cost
            busy_own += cost
            done_jobs += 1
            unsaved += 1
        else:
            t0 = max(t0, events[0][0])
        if unsaved and (t0 - last_save >= 0.5 or unsaved >= 1000 or (next_job >= jobs and writer_free <= t0)):
            # Handed to the writer thread, which appends in the background
            # (once no job is left to hand out, whenever it is idle).
            c = fsync + per_record * unsaved
            writer_free = max(writer_free, t0) + c
            busy_ckpt += c
            unsaved, last_save = 0, t0
        finished_at = max(finished_at, t0)
    if unsaved:
        c = fsync + per_record * unsaved
        writer_free = max(writer_free, t0) + c
        busy_ckpt += c
    # Rank 0 waits for the writer's last append.
    t0 = max(t0, writer_free)
    return t0, busy_own, busy_msg, busy_ckpt, sum(job_cost)


def serial_on(ranks, m):
    """The serial part on `ranks` ranks: the 2-rank run's, with the time of
    its k-means restarts (and their gather) scaled by the restarts per rank
    (ceil(8 / R) against 4); reading, the projections and the fit stay."""
    restarts = m["restarts_ranks_seconds"]
    per_rank = -(-RESTARTS // ranks) / -(-RESTARTS // 2)
    return m["serial_ranks_seconds"] - restarts + restarts * per_rank


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build/release/pidbounds"))
    parser.add_argument("--measure-replicates", type=int, default=200)
    parser.add_argument("--transport", default="tcp-namespaces",
                        choices=["shared-memory", "tcp-loopback", "tcp-namespaces"],
                        help="the transport whose measured latency the simulation uses")
    parser.add_argument("--ranks", default="2,4,8,16,32,64,128,256,512,1024")
    parser.add_argument("--replicates", default="1000,10000,100000")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="pidbounds-scaling-")
    try:
        m = measure_pidbounds(args.binary, args.measure_replicates, work)
        transports = {t: pingpong(work, t) for t in ["shared-memory", "tcp-loopback", "tcp-namespaces"]}
        fsync = fsync_seconds(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    # A checkpoint append costs one fsync plus the formatting of its records.
    m["per_record"] = max(0.0, m["checkpoint_seconds"] - m["checkpoint_flushes"] * fsync) / max(1, m["checkpoint_records"])
    costs = m["job_seconds"]
    mean = sum(costs) / len(costs)
    srt = sorted(costs)
    print(f"measured on this machine ({m['replicates']} replicates of estimate --example synergy):")
    print(f"  job cost: mean {mean * 1e3:.1f} ms, median {srt[len(srt) // 2] * 1e3:.1f} ms, "
          f"p90 {srt[int(0.9 * len(srt))] * 1e3:.1f} ms, max {srt[-1] * 1e3:.1f} ms ({len(costs)} jobs)")
    print(f"  serial part, one process (reading, clustering, fit, point estimate, G² p-value): {m['serial_seconds']:.3f} s")
    print(f"  serial part on 2 ranks (reading, clustering shared by the ranks, fit): {m['serial_ranks_seconds']:.3f} s, "
          f"of which clustering {m['clustering_ranks_seconds']:.3f} s, its {RESTARTS} k-means restarts "
          f"{m['restarts_ranks_seconds']:.3f} s (so {serial_on(256, m):.3f} s on 8 ranks or more); "
          f"rank 0's point estimate at the start of the jobs {m['point_seconds']:.3f} s, "
          f"its G² p-value's {DRAWS} draws between answers {m['root_work_seconds']:.3f} s")
    print(f"  rank 0 per result message: {m['message_seconds'] * 1e6:.0f} us; checkpoint: "
          f"{m['checkpoint_seconds']:.3f} s for {m['checkpoint_records']} records in {m['checkpoint_flushes']} appends "
          f"(fsync {fsync * 1e3:.2f} ms each, so {m['per_record'] * 1e6:.0f} us per record)")
    e2 = m["one_rank_resampling_seconds"] / (2 * m["two_rank_resampling_seconds"])
    e2w = m["one_rank_seconds"] / (2 * m["two_rank_seconds"])
    print(f"  2 ranks against 1: resampling {m['one_rank_resampling_seconds']:.2f} s -> {m['two_rank_resampling_seconds']:.2f} s "
          f"(efficiency {e2:.3f}); whole run {m['one_rank_seconds']:.2f} s -> {m['two_rank_seconds']:.2f} s (efficiency {e2w:.3f})")
    for name, rt in transports.items():
        if rt is None:
            print(f"  round trip over {name}: not measured here")
        else:
            print(f"  round trip over {name}: " + ", ".join(f"{b} B {t * 1e6:.1f} us" for b, t in sorted(rt.items())))
    round_trips = transports.get(args.transport) or transports.get("tcp-loopback") or transports["shared-memory"]
    used = args.transport if transports.get(args.transport) else ("tcp-loopback" if transports.get("tcp-loopback") else "shared-memory")
    print(f"\npredicted (messages over {used}); efficiency = one rank's time / (R x time on R ranks)\n")
    print("| ranks | B | resampling efficiency | whole-run efficiency | rank 0: own jobs / messages; writer thread | limited by |")
    print("|---|---|---|---|---|---|")
    for b in [int(x) for x in args.replicates.split(",")]:
        for r in [int(x) for x in args.ranks.split(",")]:
            t, own, msg, ckpt, work_total = simulate(r, b, costs, m, round_trips, fsync, args.seed)
            # The work of the phase on R ranks includes rank 0's point
            # estimate and G² p-value; one process does them in its serial
            # part.
            rank0_extra = m["point_seconds"] + m["root_work_seconds"] if r > 1 else 0.0
            e = (work_total + rank0_extra) / (r * t)
            serial = serial_on(r, m)
            ew = (m["serial_seconds"] + work_total) / (r * (serial + t))
            # Where the whole run loses against R x one rank: the serial part,
            # and the phase's time beyond an even share of its work (ranks
            # waiting for rank 0 at the start or for answers, the last jobs).
            tail = t - (work_total + rank0_extra) / r
            if ckpt / t > 0.8:
                limit = f"the checkpoint writer busy {ckpt / t:.0%}"
            elif msg / t > 0.5:
                limit = f"rank 0 busy {msg / t:.0%} with messages"
            elif ew < 0.9 and serial >= tail:
                limit = f"serial part {serial:.3f} s against {t:.2f} s of resampling"
            elif ew < 0.9 or e < 0.9:
                limit = f"the phase {tail:.3f} s beyond an even share of {t - tail:.3f} s"
            else:
                limit = "-"
            print(f"| {r} | {b} | {e:.3f} | {ew:.3f} | {own / t:.0%} / {msg / t:.0%}; {ckpt / t:.0%} | {limit} |")


if __name__ == "__main__":
    main()
