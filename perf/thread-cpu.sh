#!/usr/bin/env bash
# CPU time per thread of every running JVM over a window, user and system time both (so the time spent in
# syscalls, which JFR's execution samples do not see, is counted too), and the time each thread was runnable but
# waited for a core (the scheduler's run-queue delay, /proc/.../schedstat): where the machine's cores go during a
# benchmark, and who waits for them. Run it beside perf/bench-cluster.sh once the warm-up is over.
#
#   perf/thread-cpu.sh [SECONDS]      (default 10)
#
# Prints one line per process and thread name (threads of one name in one process summed), as % of one
# core over the window with its user and system (kernel: syscalls, and the network stack they run) parts and the % of
# the window it waited for a core, largest CPU first, then the total against the machine's cores. Thread names are
# the kernel's (15 characters at most). Reads /proc only; starts and stops nothing.
set -euo pipefail
window="${1:-10}"
hz=$(getconf CLK_TCK)

snapshot() {
    for pid in $(pgrep -x java || true); do
        # the process's role: logshipd's config file, a Kafka broker or producer, or the CLI command
        cmd=$(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null || true)
        role=""
        for pattern in ' (load|put|get|tail|status|verify) ' 'node[0-9]+\.conf' 'kafka\.Kafka' 'ProducerPerformance'; do
            role=$(grep -o -E -- "$pattern" <<< "$cmd" | head -n 1 | tr -d ' ' || true)
            [[ -z "$role" ]] || break
        done
        for task in /proc/"$pid"/task/*; do
            [[ -r "$task/stat" ]] || continue
            # comm may hold spaces: take the fields after the closing parenthesis
            stat=$(cat "$task/stat" 2>/dev/null) || continue
            comm=${stat#*(}; comm=${comm%)*}
            rest=${stat##*) }
            read -r -a f <<< "$rest"
            # after the comm: f[11] = utime, f[12] = stime (fields 14 and 15 of proc(5)); schedstat's second
            # number is the time (ns) spent runnable on a run queue, waiting for a core
            read -r _ waited _ < "$task/schedstat" 2>/dev/null || waited=0
            echo "${role:-pid$pid}|${comm// /_}|${f[11]}|${f[12]}|${waited}"
        done
    done
}

start_ns=$(date +%s%N)
before=$(snapshot)
sleep "$window"
after=$(snapshot)
# the window the snapshots really span (reading /proc takes a while on a busy machine)
window=$(awk -v a="$start_ns" -v b="$(date +%s%N)" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')

# Pair threads by process role and name: sum each side, then subtract (threads that came or went count as
# what they ran inside the window, to within one snapshot).
sums='{ u[$1 "/" $2] += $3; k[$1 "/" $2] += $4; w[$1 "/" $2] += $5 } END { for (t in u) printf "%s|%s|%s|%.0f\n", t, u[t], k[t], w[t] }'
join -t'|' -a 2 -e 0 -o '0,1.2,1.3,1.4,2.2,2.3,2.4' \
    <(echo "$before" | awk -F'|' "$sums" | sort) \
    <(echo "$after" | awk -F'|' "$sums" | sort) |
awk -F'|' -v hz="$hz" -v window="$window" -v cores="$(nproc)" '
    { user = ($5 - $2) * 100 / hz / window; sys = ($6 - $3) * 100 / hz / window; waited = ($7 - $4) / 1e7 / window
      if (user + sys > 0) { printf "%6.1f %%  (user %5.1f, system %5.1f, waited for a core %5.1f %%)  %s\n", user + sys, user, sys, waited, $1; total += user + sys; ts += sys } }
    END { printf "%6.1f %%  (system %5.1f)  total, of %d %% (%d cores)\n", total, ts, cores * 100, cores }' | sort -rn
