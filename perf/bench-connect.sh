#!/usr/bin/env bash
# What a client's Connect costs the nodes' duty threads (perf/README.md, "A Connect's counters"). Builds nothing:
# run `bin/logship demo` (or `mvn -B -q install -DskipTests`) first.
#
#   perf/bench-connect.sh [CONNECTS]
#     Starts a local 3-node cluster (127.0.0.1, default threading, idle), runs `logship status` CONNECTS times
#     (default 20), 0.3 s apart (each a Connect to every node), and prints per node how many conductor duty cycles
#     took longer than each threshold of `logship_duty_cycles_over_total` meanwhile. Every process is stopped and
#     the directory removed at the end.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
connects="${1:-20}"
dir=$(mktemp -d /tmp/logship-connect.XXXXXX)
pids=()
source "$root/perf/nodes.sh"
cleanup() { stop_nodes "$dir" "${pids[@]}"; rm -rf "$dir"; }
trap cleanup EXIT INT TERM

port=$(( 20000 + RANDOM % 20000 ))
"$root/bin/logship" local init --nodes 3 --dir "$dir" --base-port "$port" > /dev/null
use_run_aeron_dirs "$dir" 1 2 3
for i in 1 2 3; do
    echo "logship.node.metrics.port=$(( port + 100 + i ))" >> "$dir/node$i.conf"
    "$root/bin/logshipd" --config "$dir/node$i.conf" > "$dir/node$i.log" 2>&1 & pids+=($!)
done
# Each node's duty-cycle counters, one line per threshold: "<node> <threshold s> <cycles>".
snapshot() {
    for i in 1 2 3; do
        curl -s "http://127.0.0.1:$(( port + 100 + i ))/metrics" |
            sed -n "s/^logship_duty_cycles_over_total{threshold_seconds=\"\([^\"]*\)\"} \(.*\)/$i \1 \2/p"
    done
}
for _ in $(seq 1 150); do
    "$root/bin/logship" status --config "$dir/node1.conf" --json > /dev/null 2>&1 && break
    sleep 0.2
done
sleep 5 # past the first election and the nodes' start-up cycles
snapshot > "$dir/before"
for _ in $(seq 1 "$connects"); do
    "$root/bin/logship" status --config "$dir/node1.conf" --json > /dev/null
    sleep 0.3
done
sleep 1
snapshot > "$dir/after"
python3 - "$dir/before" "$dir/after" "$connects" <<'PY'
import sys
def load(path):
    return {(n, float(t)): float(v) for n, t, v in (line.split() for line in open(path))}
before, after, connects = load(sys.argv[1]), load(sys.argv[2]), sys.argv[3]
thresholds = sorted({t for _, t in after})
print("conductor duty cycles over each threshold during %s Connects to every node" % connects)
print("node " + " ".join("%8s" % ("%gms" % (t * 1000)) for t in thresholds))
for node in sorted({n for n, _ in after}):
    print("%4s " % node + " ".join("%8d" % (after[(node, t)] - before.get((node, t), 0)) for t in thresholds))
PY
