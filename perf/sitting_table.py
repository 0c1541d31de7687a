#!/usr/bin/env python3
"""The table of one sitting (perf/bench-sitting.sh): median and min-max of every figure, logship next to
Kafka's matching durability mode, from the run outputs the sitting kept in OUT.

    python3 perf/sitting_table.py OUT "SETTINGS"

A run whose verify failed or whose load gave up on a write is not counted in the figures; it is listed
under the table instead, so a figure never silently hides a failed run.
"""
import glob
import json
import os
import re
import statistics
import sys

out, settings = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else ""
problems = []


_logship_cache = {}


def logship_runs(case):
    """The JSON summaries of the runs of one case that ended with verify OK (read once: problems are listed once)."""
    if case not in _logship_cache:
        _logship_cache[case] = _read_logship_runs(case)
    return _logship_cache[case]


def _read_logship_runs(case):
    runs = []
    for path in sorted(glob.glob(os.path.join(out, "logship", case + "-*.txt"))):
        text = open(path).read()
        summary = [l for l in text.splitlines() if l.startswith("summary ")]
        verified = [l for l in text.splitlines() if l.startswith("verify ")]
        if not summary or not verified or not verified[-1].startswith("verify OK"):
            problems.append("%s: %s" % (os.path.relpath(path, out),
                                        verified[-1] if verified else "no verify line (load or cluster failed)"))
            continue
        s = json.loads(summary[-1][len("summary "):])
        if s["failed"] or s["acknowledged"] != s["records"]:
            problems.append("%s: %d of %d writes failed: %s" % (os.path.relpath(path, out), s["failed"], s["records"],
                                                               s["firstError"]))
            continue
        lat = s["latencyUs"]
        run = {"rps": s["recordsPerSec"], "p50": lat["p50"] / 1000.0, "p99": lat["p99"] / 1000.0,
               "p999": lat["p999"] / 1000.0}
        run.update(duty_of(text))
        runs.append(run)
    return runs


DUTY_LINE = re.compile(r"^duty node(?P<node>\d+) measured run: cycles over(?P<counts>.*?), longest (?P<band>.+)$")


def duty_of(text):
    """The measured run's duty cycles from bench-cluster's `duty nodeN measured run` lines (none: {})."""
    over5, longest, bands = 0, 0.0, []
    for line in text.splitlines():
        m = DUTY_LINE.match(line)
        if not m:
            continue
        counts = {float(t): int(c) for t, c in re.findall(r"([0-9.]+) ms: (\d+)", m.group("counts"))}
        over5 += counts.get(5.0, 0)
        exceeded = [t for t, c in counts.items() if c > 0]
        longest = max([longest] + exceeded)
        bands.append("node %s %s" % (m.group("node"), m.group("band")))
    return {"over5": over5, "longest": longest, "bands": bands} if bands else {}


KAFKA_LINE = re.compile(r"^kafka (?P<label>.+?)(?: \[run \d+/\d+\])?: (?P<rps>[0-9.]+) rec/s, .* p50 (?P<p50>\d+) ms, "
                        r"p99 (?P<p99>\d+) ms, p99\.9 (?P<p999>\d+) ms")


def kafka_runs(mode):
    """{label: [runs]} of one Kafka mode (nofsync | fsync), and its failover resume time in ms or None."""
    path = os.path.join(out, "kafka", mode + ".txt")
    by_label, resume = {}, None
    if not os.path.exists(path):
        return by_label, resume
    for line in open(path):
        if line.startswith("kafka failover: "):
            m = re.search(r"resumed in (\d+) ms", line)
            resume = int(m.group(1)) if m else None
            continue
        if "FAILED" in line:
            problems.append("kafka %s: %s" % (mode, line.strip()))
            continue
        m = KAFKA_LINE.match(line)
        if m:
            by_label.setdefault(m.group("label"), []).append(
                {k: float(m.group(k)) for k in ("rps", "p50", "p99", "p999")})
    return by_label, resume


def spread(values, fmt):
    if not values:
        return "–"
    med = statistics.median(values)
    if len(values) == 1:
        return fmt(med) + " (1 run)"
    return "%s (%s–%s)" % (fmt(med), fmt(min(values)), fmt(max(values)))


def rate(v):
    return "{:,.0f}".format(v)


def ms(v):
    return "%.0f ms" % v if v >= 100 else ("%.1f ms" % v if v >= 10 else "%.2f ms" % v)


def whole_ms(v):
    return "%.0f ms" % v


def row(name, runs, columns=("rps", "p50", "p99", "p999"), latency=ms):
    """latency: how to print a latency; Kafka's are whole milliseconds, so no decimals are invented."""
    cells = [spread([r[c] for r in runs], rate if c == "rps" else latency) for c in columns]
    return "| %s | %s | %d |" % (name, " | ".join(cells), len(runs))


HEAD = "| | writes/s | p50 | p99 | p99.9 | runs |\n|---|---|---|---|---|---|"
kafka_nofsync, resume_nofsync = kafka_runs("nofsync")
kafka_fsync, _ = kafka_runs("fsync")
lat_rate = re.search(r"LAT_RATE=(\d+)", settings)
lat_rate = lat_rate.group(1) if lat_rate else "10000"
lat_seconds = re.search(r"LAT_SECONDS=(\d+)", settings)
lat_seconds = lat_seconds.group(1) if lat_seconds else "?"


def kafka_rows(by_label, want, mode):
    """Rows of every Kafka run whose label matches; printed only if there are any."""
    lines = []
    for label in sorted(by_label):
        if want(label):
            lines.append(row("Kafka acks=all, %s, %s" % (label.replace("acks=all 100B", "").strip() or
                                                           "producer defaults", mode), by_label[label], latency=whole_ms))
    return lines


def print_rows(lines):
    if lines:
        print("\n".join(lines))


unbounded = lambda l: l.startswith("acks=all 100B") and "@" not in l and "linger.ms=0" not in l
capped = lambda l: l.startswith("acks=all 100B @")
nofsync, fsync = "no fsync (Kafka default)", "fsync per append (log.flush.interval.messages=1)"

print("# Benchmark sitting\n")
print("Settings: `%s`. Latencies: logship from each write's intended send time (µs, shown in ms); Kafka "
      "ProducerPerformance send->ack (whole ms). Median of the runs, min–max in brackets.\n" % settings)
print("## Quorum writes/s, 100 B values, unbounded (3 nodes + client on this machine)\n")
print(HEAD)
print(row("logship quorum, fsync `interval`", logship_runs("tput-interval")))
print_rows(kafka_rows(kafka_nofsync, unbounded, nofsync))
print(row("logship quorum, fsync `always`", logship_runs("tput-always")))
print_rows(kafka_rows(kafka_fsync, unbounded, fsync))
print("\nUnbounded latencies measure the in-flight window (logship) and the 32 MB producer buffer (Kafka), "
      "not service time.\n")
print("## Latency at %s writes/s, %s s per run\n" % (lat_rate, lat_seconds))
print(HEAD)
print(row("logship quorum, fsync `interval`", logship_runs("lat-interval")))
print_rows(kafka_rows(kafka_nofsync, capped, nofsync))
print(row("logship quorum, fsync `always`", logship_runs("lat-always")))
print_rows(kafka_rows(kafka_fsync, capped, fsync))
THRESHOLDS_MS = (1, 2, 5, 10, 20, 50, 100)


def band(longest_ms):
    """The band of a run's longest cycle: between the highest threshold it exceeded and the next one."""
    if not longest_ms:
        return "≤ 1 ms"
    higher = [t for t in THRESHOLDS_MS if t > longest_ms]
    return "(%g, %g] ms" % (longest_ms, higher[0]) if higher else "over %g ms" % longest_ms


print("\n## Conductor duty cycles in the measured runs (logship_duty_cycles_over_total, 3 nodes)\n")
print("Counted between the load's \"measuring\" and its end, start-up and warm-up left out. The longest is a band "
      "between two of the counter's thresholds (1, 2, 5, 10, 20, 50, 100 ms).\n")
print("| case | cycles over 5 ms, 3 nodes together | longest, per run (any node) | runs |\n"
      "|---|---|---|---|")
for case, name in (("tput-interval", "unbounded, `interval`"), ("tput-always", "unbounded, `always`"),
                   ("lat-interval", "%s/s, `interval`" % lat_rate), ("lat-always", "%s/s, `always`" % lat_rate),
                   ("rt-interval", "one at a time, `interval`")):
    counted = [r for r in logship_runs(case) if "over5" in r]
    if counted:
        print("| %s | %s | %s | %d |" % (name, spread([r["over5"] for r in counted], lambda v: "%.0f" % v),
                                        ", ".join(band(r["longest"]) for r in counted), len(counted)))
print("\n## One write at a time (in-flight 1), quorum, fsync `interval`\n")
print(HEAD)
print(row("logship sequential round trip", logship_runs("rt-interval")))
print("| Kafka | not measured: the peer's ProducerPerformance has no one-at-a-time mode | | | | |")
print("\n## kill -9 of the leader -> first write acknowledged on the new leader (default timeouts)\n")
print("| | median (min–max) | rounds |\n|---|---|---|")
failover = os.path.join(out, "logship", "failover.txt")
rounds = []
if os.path.exists(failover):
    rounds = [int(m.group(1)) for m in re.finditer(r"after (-?\d+) ms", open(failover).read())]
    if any(r < 0 for r in rounds):
        problems.append("logship/failover.txt: a round saw no write acknowledged in a newer epoch")
        rounds = [r for r in rounds if r >= 0]
print("| logship, 10 k quorum writes/s | %s | %d |" % (spread(rounds, lambda v: "%.0f ms" % v), len(rounds)))
print("| Kafka (FailoverProbe, 1 k writes/s, broker.session.timeout.ms 9 s) | %s | %d |" % (
    "–" if resume_nofsync is None else "%d ms" % resume_nofsync, 0 if resume_nofsync is None else 1))
print("\n## Machine\n\n```")
print(open(os.path.join(out, "machine.txt")).read().rstrip())
print("```\n\n## Commands, in the order they ran (from the repository root)\n\n```")
print(open(os.path.join(out, "commands.txt")).read().rstrip())
print("```")
if problems:
    print("\n## Runs not counted\n")
    for p in problems:
        print("- " + p)
