#!/usr/bin/env bash
# The page cache's write-back and the disk's writes over time, to line up with the nodes' "fsync of the log took"
# lines: run it beside perf/bench-cluster.sh (KEEP_DIR=1 keeps the node logs) and stop it after the run.
#
#   perf/disk-writeback.sh [DEVICE] [INTERVAL_S] > samples.txt     (defaults: vda, 0.25)
#   perf/disk-writeback.sh --bursts samples.txt [MB]               (the samples where Dirty fell by more than MB
#                                                                    (default 30) or the disk wrote more than 2*MB)
#
# One line per sample: UTC time, Dirty and Writeback from /proc/meminfo (MB), and since the last sample the disk's
# completed writes, MB written and requests in flight (/proc/diskstats). Reads /proc only.
# What it found (docs/DESIGN.md#store-medium): Linux writes a dirty inode back whole once it has been dirty for
# vm.dirty_expire_centisecs, so mapped store files dirtied at random went to the disk as 250-700 MB bursts every
# ~31 s, and every log fsync queued behind them.
set -euo pipefail

if [[ "${1:-}" == "--bursts" ]]; then
    awk -v mb="${3:-30}" '
        NR > 1 && (prev_dirty - $2 > mb || $5 > 2 * mb) { print $1, "Dirty " prev_dirty " -> " $2 " MB, wrote " $5 " MB" }
        { prev_dirty = $2 }' "$2"
    exit 0
fi

device="${1:-vda}"
interval="${2:-0.25}"
read_stats() {
    awk -v dev="$device" '$3 == dev { print $8, $10, $12 }' /proc/diskstats
}
read -r last_writes last_sectors _ <<< "$(read_stats)"
while true; do
    sleep "$interval"
    read -r writes sectors in_flight <<< "$(read_stats)"
    read -r dirty writeback <<< "$(awk '/^Dirty:/ { d = $2 } /^Writeback:/ { w = $2 } END { print int(d / 1024), int(w / 1024) }' /proc/meminfo)"
    printf '%s %d %d %d %.1f %d\n' "$(date -u +%H:%M:%S.%3N)" "$dirty" "$writeback" $(( writes - last_writes )) \
        "$(awk -v s=$(( sectors - last_sectors )) 'BEGIN { print s / 2048 }')" "$in_flight"
    last_writes=$writes
    last_sectors=$sectors
done
