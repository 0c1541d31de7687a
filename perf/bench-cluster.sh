#!/usr/bin/env bash
# End-to-end cluster benchmark, one run: a fresh local 3-node cluster on 127.0.0.1 (co-resident on this
# machine), the load generator against it, then verify; every process stopped and the directory removed.
# For figures, run it several times (perf/bench-sitting.sh does: median and min–max of R runs).
#
#   perf/bench-cluster.sh FSYNC RECORDS IN_FLIGHT [RATE] [ACK]
#     FSYNC      always | interval          (logship.log.fsync of every node)
#     RECORDS    measured writes             (100-byte values, unique keys)
#     IN_FLIGHT  pipelined writes in flight; 1 = one write at a time (the sequential round trip)
#     RATE       records/s, 0 = unbounded    (default 0)
#     ACK        leader | quorum | all       (default quorum)
#   WARMUP=N (environment, default 300000): unreported writes sent first by the same load JVM and client
#   (`load --warmup-records N`), so the client, the nodes and the JIT are warm when measuring starts; the
#   histogram and counters start afresh after it (the Kafka peer's run warms up with 2M records). With
#   IN_FLIGHT 1 they go one at a time too: use a smaller WARMUP (about 1,000 per second).
#
#   NODE_CONF="key=value ..." (environment): extra node settings appended to every node's config, e.g.
#   NODE_CONF="logship.node.threading=shared".
#   JFR_DIR=DIR (environment): every node records a JFR profile (settings=profile) into DIR/nodeN.jfr, written
#   when the node stops at the end of the run; the CLI and the load JVM record nothing.
#   NODE_JAVA_OPTS="..." (environment): JVM options for the nodes only (LOGSHIP_JAVA_OPTS reaches the load JVM too).
#   KEEP_DIR=1 (environment): keep the cluster's directory (configs, data, node logs) for diagnosis.
#   LOGS_ON_FAILURE=DIR (environment): if the run fails (the load gave up on a write, verify failed, no leader),
#   copy its node logs, configs and the load's output into DIR/<run directory name> before removing the rest.
#   LOAD_ARGS="..." (environment): extra options for `logship load`, e.g. LOAD_ARGS="--attempt-timeout-ms 1000".
#   BENCH_DIR_PARENT=DIR (environment, default /tmp): where the cluster's directory is made, e.g. /dev/shm to take
#   the disk out of a comparison.
#   METRICS=1 (environment): print the base port as `base port P`; node N always serves Prometheus metrics on
#   127.0.0.1:(base port + 100 + N) (the script reads the duty-cycle counters there); scrape them while the load runs.
#
# Prints `summary {…}` (the load generator's JSON summary: throughput, latency percentiles in µs from the
# intended send time), `verify OK: …`, per node `duty nodeN: …` (its slow duty cycles since start, from its log) and
# `duty nodeN measured run: …` (the cycles over 1–100 ms between the load's "measuring" and its end, from the node's
# logship_duty_cycles_over_total, and the band of the longest); exits 1 if the load gave up on a write or verify did not
# find identical committed logs on the 3 nodes.
#
# Builds nothing: run `mvn -B -q -DskipTests -pl admin-cli,node-daemon -am package` first. It refuses to
# start when a jar is missing or older than its sources (bin/logship would otherwise rebuild with
# `mvn install` in the middle of the benchmark).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
fsync="${1:?fsync}"; records="${2:?records}"; inflight="${3:?in-flight}"; rate="${4:-0}"; ack="${5:-quorum}"
warmup="${WARMUP:-300000}"

for m in admin-cli node-daemon; do
    jar=$(ls "$root/$m"/target/"$m"-*.jar 2>/dev/null | grep -v -- '-tests.jar' | head -n 1 || true)
    if [[ -z "$jar" || ! -f "$root/$m/target/runtime-classpath.txt" ]] || [[ -n "$(find "$root"/{common,log-store,aeron-transport,client,$m}/src/main \
            "$root/pom.xml" -newer "$jar" -print -quit 2>/dev/null)" ]]; then
        echo "bench-cluster: $m is not built or older than its sources: run" \
            "mvn -B -q -DskipTests -pl admin-cli,node-daemon -am package" >&2
        exit 2
    fi
done

dir=$(mktemp -d ${BENCH_DIR_PARENT:-/tmp}/logship-bench.XXXXXX)
pids=()
source "$root/perf/nodes.sh"
cleanup() {
    local rc=$?
    stop_nodes "$dir" "${pids[@]}"
    if [[ "$rc" -ne 0 && -n "${LOGS_ON_FAILURE:-}" && -d "$dir" ]]; then
        # What a failed run needs for diagnosis (its data, gigabytes after a long run, is not kept).
        local keep="$LOGS_ON_FAILURE/$(basename "$dir")"
        mkdir -p "$keep"
        cp "$dir"/node*.log "$dir"/node*.conf "$dir"/load.out "$dir"/load.err "$keep/" 2>/dev/null || true
        echo "bench-cluster: run failed (exit $rc); node logs kept in $keep" >&2
    fi
    if [[ -n "${KEEP_DIR:-}" ]]; then echo "kept $dir (node logs: $dir/node*.log)"; else rm -rf "$dir"; fi
}
trap cleanup EXIT INT TERM

base_port=$(( 20000 + RANDOM % 20000 ))
[[ -z "${METRICS:-}" ]] || echo "base port $base_port (metrics of node N on port $(( base_port + 100 ))+N)"
"$root/bin/logship" local init --nodes 3 --dir "$dir" --base-port "$base_port" > /dev/null
for i in 1 2 3; do
    echo "logship.log.fsync=$fsync" >> "$dir/node$i.conf"
    use_run_aeron_dirs "$dir" "$i"
    for setting in ${NODE_CONF:-}; do echo "$setting" >> "$dir/node$i.conf"; done
    # Always served: the duty-cycle counters are read before and after the measured run (below).
    echo "logship.node.metrics.port=$(( base_port + 100 + i ))" >> "$dir/node$i.conf"
    node_opts="${LOGSHIP_JAVA_OPTS:-} ${NODE_JAVA_OPTS:-}"
    if [[ -n "${JFR_DIR:-}" ]]; then
        mkdir -p "$JFR_DIR"
        node_opts="$node_opts -XX:StartFlightRecording=filename=$JFR_DIR/node$i.jfr,settings=profile,dumponexit=true"
    fi
    LOGSHIP_JAVA_OPTS="$node_opts" "$root/bin/logshipd" --config "$dir/node$i.conf" > "$dir/node$i.log" 2>&1 &
    pids+=($!)
done
leader=""
for _ in $(seq 1 100); do
    if "$root/bin/logship" status --config "$dir/node1.conf" --json 2>/dev/null | grep -q '"role":"LEADER"'; then
        leader=yes; break
    fi
    sleep 0.2
done
[[ -n "$leader" ]] || { echo "bench-cluster: no leader after 20 s" >&2; tail -n 20 "$dir"/node*.log >&2; exit 1; }

# Each node's logship_duty_cycles_over_total, one line per node and threshold: "node threshold_seconds count".
duty_counters() {
    for i in 1 2 3; do
        curl -s --max-time 5 "http://127.0.0.1:$(( base_port + 100 + i ))/metrics" 2>/dev/null |
            sed -nE "s/^logship_duty_cycles_over_total\{threshold_seconds=\"([^\"]+)\"\} ([0-9.eE+]+)$/$i \1 \2/p"
    done
}

status=0
duty_counters > "$dir/duty.before"
"$root/bin/logship" load --config "$dir/node1.conf" --records "$records" --in-flight "$inflight" --rate "$rate" \
    --ack "$ack" --value-size 100 --warmup-records "$warmup" ${LOAD_ARGS:-} > "$dir/load.out" 2> "$dir/load.err" &
load_pid=$!
# The measured run starts when the load says "measuring" (after its warm-up and the nodes' catch-up): the counters
# are read again then, so the stalls of start-up and warm-up stay out of the run's figure.
( while kill -0 "$load_pid" 2>/dev/null; do
      if grep -q 'measuring' "$dir/load.err" 2>/dev/null; then duty_counters > "$dir/duty.before"; break; fi
      sleep 0.2
  done ) &
watcher=$!
wait "$load_pid" || status=$?
wait "$watcher" || true
duty_counters > "$dir/duty.after"
grep '^summary' "$dir/load.out" || true
if [[ "$status" -ne 0 ]]; then
    echo "bench-cluster: load exited $status" >&2; tail -n 5 "$dir/load.err" >&2
fi
# A long run leaves a log of a GB or more per node: its checksum takes longer than verify's 2 s default.
if verified=$("$root/bin/logship" verify --config "$dir/node1.conf" --timeout-ms 120000 2>&1); then
    echo "verify $(tail -n 1 <<< "$verified")"
else
    echo "verify FAILED: $(tail -n 3 <<< "$verified" | tr '\n' ' ')"
    status=1
fi
# The nodes' slow duty cycles (over DutyCycleTimer's 5 ms), from their logs, start-up and warm-up included: each
# warning counts the slow cycles since the one before and names the longest since start; the slow cycles after a
# node's last warning are not counted (a warning goes out at most every 10 s).
for i in 1 2 3; do
    grep -o 'duty cycle took [0-9]* µs.*cycle(s) over 5 ms since the last warning, longest cycle since start [0-9]* µs' \
        "$dir/node$i.log" 2>/dev/null | sed -E 's/.*\((\S+) cycle\(s\).* start ([0-9]+) µs/\1 \2/' |
        awk -v n="$i" '{c += $1; if ($2 > m) m = $2} END {printf "duty node%d: %d cycles over 5 ms logged, longest %d µs\n", n, c, m}'
done
# The measured run's duty cycles per node, from the counters (every cycle counts, logged or not): how many took over
# each threshold, and the band the longest one fell in.
awk 'NR == FNR {before[$1 " " $2] = $3; next}
     {d = $3 - before[$1 " " $2]; n[$1] = n[$1] sprintf(" %g ms: %d,", $2 * 1000, d); if (d > 0) top[$1] = $2 * 1000
      else if (!($1 in upper) && ($1 in top)) upper[$1] = $2 * 1000}
     END {for (i = 1; i <= 3; i++) if (i in n) {
              band = (i in top) ? ((i in upper) ? "(" top[i] ", " upper[i] "] ms" : "over " top[i] " ms") : "at most 1 ms"
              printf "duty node%d measured run: cycles over%s longest %s\n", i, n[i], band }}' \
    "$dir/duty.before" "$dir/duty.after" 2>/dev/null || true
exit "$status"
