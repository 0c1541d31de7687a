#!/usr/bin/env bash
# Failover and rejoin benchmarks on a local 3-node cluster (127.0.0.1, co-resident on this machine); every
# process stopped and the directory removed at the end. Builds nothing: run `bin/logship demo` (or
# `mvn -B -q install -DskipTests`) first.
#
#   perf/bench-failover.sh failover ROUNDS [RATE]
#     SIGKILLs the leader ROUNDS times under quorum load at RATE writes/s (default 10000) and prints, per
#     round, the time from the kill to the first write acknowledged in a newer epoch (from `load --out`:
#     each line's ackMs and epoch), then a summary. The killed node is restarted before the next round.
#   perf/bench-failover.sh rejoin MISSING [PRELOAD]
#     Writes PRELOAD records (default 0), stops node 3 (SIGTERM), writes MISSING more records, restarts
#     node 3 and prints how long it takes to hold the leader's whole log (status: log end equal).
#   perf/bench-failover.sh steady SECONDS [RATE]
#     Quorum load at RATE writes/s (default 10000) for SECONDS; prints the elections each node started
#     and the leader's epoch before and after (a spurious failover shows as an epoch change).
#
#   Environment: KEEP=1 keeps the directory (node logs) instead of removing it. ATTEMPT_MS (default 500) is the load client's --attempt-timeout-ms.
#   SETTLE=0 starts the next round without waiting for the restarted node to hold the leader's log (by default each
#   round waits, so that a kill meets three nodes that hold the log, and prints how long that took).
#   TUNED=1 appends shorter election timeouts to every node's config (heartbeat 20 ms,
#   lease 120 ms, election 160 ms, jitter 20 ms, candidacy step 40 ms).
#   NODE_STATE_DELAY_MS=N makes every node's election-state write take N ms longer (the faults file's
#   node-state-delay-ms), as in the slow disk phases that decide the slowest rounds: an election's path then shows
#   how many such writes it waits for one after the other.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mode="${1:?mode: failover | rejoin | steady}"
dir=$(mktemp -d /tmp/logship-failover.XXXXXX)
declare -A pids
source "$root/perf/nodes.sh"
cleanup() {
    stop_nodes "$dir" "${pids[@]}"
    if [[ "${KEEP:-0}" == 1 ]]; then echo "kept $dir (node logs, configs)"; else rm -rf "$dir"; fi
}
trap cleanup EXIT INT TERM

cli() { "$root/bin/logship" "$@"; }
start_node() { "$root/bin/logshipd" --config "$dir/node$1.conf" >> "$dir/node$1.log" 2>&1 & pids[$1]=$!; }
now_ms() { date +%s%3N; }
# The leader's id and epoch from status --json (empty if none).
leader() {
    cli status --config "$dir/node1.conf" --json --timeout-ms 500 2>/dev/null | python3 -c '
import json, sys
nodes = [n for n in json.load(sys.stdin)["nodes"] if n.get("role") == "LEADER"]
if nodes:
    n = max(nodes, key=lambda n: n["epoch"]); print(n["id"], n["epoch"])'
}
await_leader() {
    for _ in $(seq 1 300); do l=$(leader || true); [[ -n "$l" ]] && { echo "$l"; return; }; sleep 0.1; done
    echo "no leader" >&2; exit 1
}

base_port=$(( 20000 + RANDOM % 20000 ))
cli local init --nodes 3 --dir "$dir" --base-port "$base_port" > /dev/null
use_run_aeron_dirs "$dir" 1 2 3
for i in 1 2 3; do
    if [[ "${TUNED:-0}" == 1 ]]; then
        cat >> "$dir/node$i.conf" <<EOF
logship.node.heartbeat.interval.ms=20
logship.node.election.lease.timeout.ms=120
logship.node.election.timeout.ms=160
logship.node.election.jitter.ms=20
logship.node.election.candidacy.step.ms=40
EOF
    fi
    if [[ "${NODE_STATE_DELAY_MS:-0}" -gt 0 ]]; then
        echo "node-state-delay-ms=$NODE_STATE_DELAY_MS" > "$dir/faults-$i"
        echo "logship.node.faults.file=$dir/faults-$i" >> "$dir/node$i.conf"
    fi
    start_node "$i"
done
await_leader > /dev/null

case "$mode" in
failover)
    rounds="${2:?rounds}"; rate="${3:-10000}"
    results=()
    for round in $(seq 1 "$rounds"); do
        read -r lid lepoch < <(await_leader)
        acks="$dir/acks-$round.jsonl"
        cli load --config "$dir/node1.conf" --records $(( rate * 6 )) --rate "$rate" --key-prefix "r$round-" \
            --value-size 100 --attempt-timeout-ms "${ATTEMPT_MS:-500}" --out "$acks" > "$dir/load-$round.out" 2>&1 &
        load=$!
        sleep 3
        kill -KILL "${pids[$lid]}"; killed=$(now_ms)
        wait "$load" || { echo "round $round: load failed"; cat "$dir/load-$round.out"; exit 1; }
        first=$(python3 -c '
import json, sys
epoch, killed = int(sys.argv[2]), int(sys.argv[3])
ms = [j["ackMs"] for j in map(json.loads, open(sys.argv[1])) if j["epoch"] > epoch and j["ackMs"] >= killed]
print(min(ms) - killed if ms else -1)' "$acks" "$lepoch" "$killed")
        echo "round $round: killed leader $lid (epoch $lepoch); first write acknowledged in a newer epoch after $first ms"
        results+=("$first")
        start_node "$lid"
        sleep 2
        # Each round's kill meets a healthy cluster: the restarted node holds the leader's log before the next
        # load starts. Without the wait, a kill could land while it was still starting or catching up, and the new
        # leader's first quorum write waited for that catch-up (up to 1.8 s in slow phases of this machine: perf/
        # README.md, "A Connect's counters"). SETTLE=0 keeps the old rounds: a second fault during a rejoin.
        if [[ "${SETTLE:-1}" == 1 ]]; then
            settle_from=$(now_ms)
            for _ in $(seq 1 120); do
                behind=$(cli status --config "$dir/node1.conf" --json --timeout-ms 1000 2>/dev/null | python3 -c '
import json, sys
nodes = json.load(sys.stdin)["nodes"]
print(max(n["lag"] for n in nodes) if all(n.get("reachable") for n in nodes) else -1)' || echo -1)
                [[ "$behind" == 0 ]] && break
                sleep 0.5
            done
            echo "round $round: node $lid restarted; every node holds the leader's log after" \
                "$(( $(now_ms) - settle_from )) ms (lag $behind)"
        fi
    done
    python3 -c '
import sys, statistics
v = [int(x) for x in sys.argv[1:]]
print("failover kill -> first acknowledged write on the new leader, ms: min %d median %d max %d (n=%d)" %
      (min(v), statistics.median(v), max(v), len(v)))' "${results[@]}"
    ;;
rejoin)
    missing="${2:?missing}"; preload="${3:-0}"
    if [[ "$preload" -gt 0 ]]; then
        cli load --config "$dir/node1.conf" --records "$preload" --in-flight 1024 --key-prefix pre- \
            --value-size 100 > /dev/null
    fi
    read -r lid _ < <(await_leader)
    victim=3; [[ "$lid" == 3 ]] && victim=2
    kill -TERM "${pids[$victim]}"; wait "${pids[$victim]}" 2>/dev/null || true
    if [[ "$missing" -gt 0 ]]; then
        cli load --config "$dir/node$lid.conf" --records "$missing" --in-flight 1024 --key-prefix miss- \
            --value-size 100 > /dev/null
    fi
    target=$(cli status --config "$dir/node$lid.conf" --json | python3 -c '
import json, sys
print(max(n["logEndOffset"] for n in json.load(sys.stdin)["nodes"] if n.get("reachable")))')
    # Poll the victim's Prometheus endpoint (cheap) rather than a CLI JVM per poll.
    metrics_port=$(( base_port + 100 ))
    echo "logship.node.metrics.port=$metrics_port" >> "$dir/node$victim.conf"
    start_node "$victim"
    while true; do
        end=$(curl -s "http://127.0.0.1:$metrics_port/metrics" 2>/dev/null | awk '/^logship_durable_end_offset /{print $2}' || true)
        [[ -n "$end" && "${end%.*}" -ge "$target" ]] && break
        sleep 0.01
    done
    caught=$(now_ms)
    python3 - "$dir/node$victim.log" "$caught" "$missing" "$target" "$preload" <<'PY'
import sys, datetime
log, caught, missing, target, preload = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
started = [l for l in open(log) if "starts as a follower" in l][-1]
t = datetime.datetime.strptime(started[:23], "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=datetime.timezone.utc)
ms = caught - int(t.timestamp() * 1000)
print("rejoin: %s missing records (log of %s records, %s preloaded): node running -> holding the whole log %d ms"
      % (missing, target, preload, ms))
PY
    ;;
steady)
    seconds="${2:?seconds}"; rate="${3:-10000}"
    before=$(await_leader)
    cli load --config "$dir/node1.conf" --records $(( seconds * rate )) --rate "$rate" --value-size 100 \
        --timeout-ms 60000 | grep '^summary'
    after=$(await_leader)
    echo "leader (id epoch) before: $before, after: $after"
    cli status --config "$dir/node1.conf" --json | python3 -c '
import json, sys
for n in json.load(sys.stdin)["nodes"]:
    print("node %s: role %s epoch %s elections started %s" % (n["id"], n.get("role"), n.get("epoch"), n.get("elections")))'
    ;;
*)
    echo "unknown mode $mode" >&2; exit 2 ;;
esac
