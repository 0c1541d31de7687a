#!/usr/bin/env bash
# End-to-end cluster benchmark: a local 3-node cluster on 127.0.0.1 (co-resident on this machine),
# the load generator against it, then verify; every process stopped and the directory removed.
#
#   perf/bench-cluster.sh FSYNC RECORDS IN_FLIGHT [RATE] [ACK]
#     FSYNC      always | interval          (logship.log.fsync of every node)
#     RECORDS    writes to send              (100-byte values, unique keys)
#     IN_FLIGHT  pipelined writes in flight
#     RATE       records/s, 0 = unbounded    (default 0)
#     ACK        leader | quorum | all       (default quorum)
#   WARMUP=N (environment, default 300000): unreported writes first, so the JIT has compiled the path
#   (the Kafka peer's run does the same with 2M records).
#
# Prints the load generator's summary line (throughput, latency percentiles from the intended send
# time) and the verify result. Builds what it needs (bin/logship, bin/logshipd).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
fsync="${1:?fsync}"; records="${2:?records}"; inflight="${3:?in-flight}"; rate="${4:-0}"; ack="${5:-quorum}"
dir=$(mktemp -d /tmp/logship-bench.XXXXXX)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
    done
    rm -rf "$dir"
}
trap cleanup EXIT INT TERM

base_port=$(( 20000 + RANDOM % 20000 ))
"$root/bin/logship" local init --nodes 3 --dir "$dir" --base-port "$base_port" > /dev/null
for i in 1 2 3; do
    echo "logship.log.fsync=$fsync" >> "$dir/node$i.conf"
    "$root/bin/logshipd" --config "$dir/node$i.conf" > "$dir/node$i.log" 2>&1 &
    pids+=($!)
done
for _ in $(seq 1 100); do
    if "$root/bin/logship" status --config "$dir/node1.conf" --json 2>/dev/null | grep -q '"role":"LEADER"'; then break; fi
    sleep 0.2
done
if [[ "${WARMUP:-300000}" -gt 0 ]]; then
    "$root/bin/logship" load --config "$dir/node1.conf" --records "${WARMUP:-300000}" --in-flight "$inflight" \
        --key-prefix warmup- --value-size 100 > /dev/null
fi
"$root/bin/logship" load --config "$dir/node1.conf" --records "$records" --in-flight "$inflight" --rate "$rate" \
    --ack "$ack" --value-size 100 | grep '^summary'
"$root/bin/logship" verify --config "$dir/node1.conf" | tail -n 1
