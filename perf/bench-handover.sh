#!/usr/bin/env bash
# Controlled shutdown benchmark: how long writes pause when the leader is stopped cleanly (SIGTERM) under load, now
# that a stopping leader hands its epoch to a follower instead of letting the followers wait out the election
# timeout. A local 3-node cluster on 127.0.0.1 (co-resident on this machine, default timeouts); every process
# stopped and the directory removed at the end. Builds nothing: `mvn -B -q -DskipTests -pl admin-cli,node-daemon
# -am package` first (bin/logship and bin/logshipd then find the jars).
#
#   perf/bench-handover.sh [ROUNDS] [RATE] [SECONDS]
#     ROUNDS rounds (default 5). Each round: quorum load (`logship load`) at RATE writes/s (default 1000) for
#     SECONDS (default 8), 100-byte values, unique keys; once 2 s of writes are acknowledged, SIGTERM to the leader;
#     when the load ends, the stopped node is started again and the cluster waits to be healthy (`logship health`)
#     before the next round. Per round it prints:
#       pause   the longest gap between two consecutive acknowledgements (the `ackMs` of `load --out`, sorted) that
#               ends after the SIGTERM and begins at most PAUSE_WINDOW_MS (default 5000) after it: how long no write
#               completed because of the stop;
#       failed  writes the load gave up on (from its --json summary; must be 0);
#       the new leader and epoch, the node's own "handed epoch E over ... after N ms" line, and the longest gap
#       elsewhere in the same run (the load's normal hiccups: fsync stalls, GC), for scale.
#     Then the median, min and max pause over the rounds, and the failed writes in total; exits 1 if any failed.
#
#   Environment: KEEP=1 keeps the directory (node logs, ack files); ATTEMPT_MS (default 500) is the load's
#   --attempt-timeout-ms; PAUSE_WINDOW_MS as above.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rounds="${1:-5}"; rate="${2:-1000}"; seconds="${3:-8}"
window_ms="${PAUSE_WINDOW_MS:-5000}"
command -v python3 > /dev/null || { echo "bench-handover: needs python3 on PATH (reads the JSON)" >&2; exit 2; }
if (( seconds < 4 )); then
    echo "bench-handover: SECONDS must be >= 4 (2 s before the SIGTERM, the rest after it), got $seconds" >&2
    exit 2
fi
dir=$(mktemp -d /tmp/logship-handover.XXXXXX)
declare -A pids
load=""
source "$root/perf/nodes.sh"
cleanup() {
    [[ -n "$load" ]] && kill -TERM "$load" 2>/dev/null || true
    stop_nodes "$dir" "${pids[@]}"
    if [[ "${KEEP:-0}" == 1 ]]; then echo "kept $dir (node logs, ack files)"; else rm -rf "$dir"; fi
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
# Until `logship health` says healthy: one leader, every node following it, none far behind.
await_healthy() {
    for _ in $(seq 1 120); do
        cli health --config "$dir/node1.conf" --timeout-ms 1000 > /dev/null 2>&1 && return
        sleep 0.5
    done
    echo "bench-handover: cluster not healthy after 60 s; node logs in $dir" >&2
    KEEP=1; exit 1
}
# Waits for a node process to exit (its handover is bounded by 2 x handover timeout + election timeout, ~4.4 s with
# the defaults); sets exit_status to its exit status, or "killed" if it had to be SIGKILLed after 60 s. Not in a
# $(...) subshell: only this shell can wait for its children.
await_exit() {
    local pid=$1
    for _ in $(seq 1 600); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
        kill -KILL "$pid"; wait "$pid" 2>/dev/null || true; exit_status=killed; return
    fi
    exit_status=0; wait "$pid" || exit_status=$?
}
ack_lines() { [[ -f "$1" ]] && wc -l < "$1" || echo 0; }

base_port=$(( 20000 + RANDOM % 20000 ))
cli local init --nodes 3 --dir "$dir" --base-port "$base_port" > /dev/null
use_run_aeron_dirs "$dir" 1 2 3
for i in 1 2 3; do start_node "$i"; done
await_healthy

pauses=()
failed_total=0
for round in $(seq 1 "$rounds"); do
    read -r lid lepoch < <(leader) || true
    [[ -n "${lid:-}" ]] || { echo "round $round: no leader in status" >&2; KEEP=1; exit 1; }
    acks="$dir/acks-$round.jsonl"
    cli load --config "$dir/node1.conf" --records $(( rate * seconds )) --rate "$rate" --key-prefix "h$round-" \
        --value-size 100 --ack quorum --attempt-timeout-ms "${ATTEMPT_MS:-500}" --out "$acks" --json \
        > "$dir/load-$round.json" 2> "$dir/load-$round.err" &
    load=$!
    # 2 s of acknowledged writes first, so the pause is measured against a running load (not the client's start).
    until (( $(ack_lines "$acks") >= 2 * rate )); do
        if ! kill -0 "$load" 2>/dev/null; then
            echo "round $round: load ended early" >&2; cat "$dir/load-$round.err" >&2; KEEP=1; exit 1
        fi
        sleep 0.05
    done
    term=$(now_ms)
    kill -TERM "${pids[$lid]}"
    await_exit "${pids[$lid]}"
    stopped=$(now_ms)
    load_rc=0; wait "$load" || load_rc=$?
    load=""
    handed=$(grep -a "node $lid leader of epoch $lepoch stopping:" "$dir/node$lid.log" | tail -n 1 |
        sed 's/.*stopping: //' || true)
    line=$(python3 - "$acks" "$dir/load-$round.json" "$term" "$window_ms" <<'PY'
import json, sys
acks, summary_file, term, window = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
lines = [json.loads(l) for l in open(acks)]
ms = sorted(j["ackMs"] for j in lines)
try:
    summary = json.load(open(summary_file))
    failed = summary["failed"]; acked = summary["acknowledged"]
except (ValueError, KeyError):
    failed, acked = "?", len(lines)
pause, start, other = -1, 0, 0
for a, b in zip(ms, ms[1:]):
    if b >= term and a <= term + window:
        if b - a > pause:
            pause, start = b - a, a - term
    else:
        other = max(other, b - a)
epochs = sorted({j["epoch"] for j in lines})
print(pause, start, failed, acked, other, epochs[-1] if epochs else -1)
PY
)
    read -r pause start failed acked other new_epoch <<< "$line"
    new_leader=$(leader | cut -d' ' -f1 || true)
    echo "round $round: SIGTERM to leader $lid (epoch $lepoch) -> node ${new_leader:-none} leads epoch $new_epoch;" \
        "pause $pause ms (from $start ms after the SIGTERM), failed $failed, acknowledged $acked;" \
        "node exited ($exit_status) $(( stopped - term )) ms after the SIGTERM:" \
        "${handed:-no stopping line in its log};" \
        "longest gap elsewhere $other ms; load exit $load_rc"
    pauses+=("$pause")
    [[ "$failed" =~ ^[0-9]+$ ]] && failed_total=$(( failed_total + failed )) || failed_total=$(( failed_total + 1 ))
    start_node "$lid"
    await_healthy
done
python3 - "$failed_total" "$rate" "${pauses[@]}" <<'PY'
import statistics, sys
failed, rate, v = int(sys.argv[1]), sys.argv[2], [int(x) for x in sys.argv[3:]]
print("handover pause (SIGTERM of the leader at %s quorum writes/s), ms: median %s min %d max %d (n=%d); "
      "failed writes in total: %d" % (rate, statistics.median(v), min(v), max(v), len(v), failed))
PY
(( failed_total == 0 ))
