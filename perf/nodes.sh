# Sourced by perf/bench-cluster.sh, bench-failover.sh and bench-handover.sh: the nodes' Aeron directories and how a
# benchmark stops its nodes, so that no run leaves anything in /dev/shm.
#
# Why the Aeron directory is named per run: the nodes of `logship local init` use the default
# /dev/shm/logship-<node id>-<user>, which a SIGKILLed media driver leaves behind. A node killed by a failover round
# and restarted reuses its own, but a node SIGKILLed at the end (it did not stop within the wait) left its directory
# for good (4 of 6 bench-cluster runs on 2026-12-06, before the wait was lengthened). Named after the run's
# directory, the script can remove them whatever happened.

# node_aeron_dir RUN_DIR N: node N's Aeron directory, on tmpfs as by default.
node_aeron_dir() { echo "/dev/shm/$(basename "$1")-node$2"; }

# use_run_aeron_dirs RUN_DIR N...: points each node's config (RUN_DIR/nodeN.conf) at its own node_aeron_dir.
use_run_aeron_dirs() {
    local run_dir=$1; shift
    local i
    for i in "$@"; do echo "logship.transport.aeron.dir=$(node_aeron_dir "$run_dir" "$i")" >> "$run_dir/node$i.conf"; done
}

# stop_nodes RUN_DIR PID...: SIGTERM every node, waits up to 30 s for each (a leader with a store of a few million
# keys takes several seconds to hand over and close it: 5 s was too short), SIGKILLs what is left, then removes every
# node's Aeron directory (nodes 1 to 9: the benchmarks run 3, a member-change run may add more).
stop_nodes() {
    local run_dir=$1; shift
    local pid i
    for pid in "$@"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "$@"; do
        for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
    done
    for i in $(seq 1 9); do rm -rf "$(node_aeron_dir "$run_dir" "$i")"; done
}
