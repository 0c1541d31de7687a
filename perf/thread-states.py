#!/usr/bin/env python3
"""Where the logship nodes' threads wait: samples the scheduler state of each node thread every few milliseconds.

    perf/thread-states.py [SECONDS [PERIOD_MS]]      (defaults 60 and 5)

Run it beside perf/bench-cluster.sh once the warm-up is over. For every running logshipd (its JVM's command line names
io.logship.node.NodeDaemon) and each of its threads named conductor-N, journal-N, log-fsync-N or apply, it reads
/proc/PID/task/TID/stat every PERIOD_MS and counts the state letter: R (running, or runnable and waiting for a core),
S (sleeping: parked, or waiting on a socket or a lock), D (uninterruptible: waiting inside the kernel, almost always
for the disk: a page under write-back, a journal commit). For D samples it also counts the kernel function the
thread waits in (/proc/.../wchan). A thread that blocks on the disk on the write path shows as D; one that waits for
a core shows as R, and perf/thread-cpu.sh says how long. Reads /proc only; starts and stops nothing.
"""
import collections
import os
import sys
import time

PREFIXES = ('conductor-', 'journal-', 'log-fsync-', 'apply')


def nodes():
    found = {}
    for pid in os.listdir('/proc'):
        if not pid.isdigit():
            continue
        try:
            with open(f'/proc/{pid}/cmdline', 'rb') as f:
                args = f.read().split(b'\0')
        except OSError:
            continue
        if b'io.logship.node.NodeDaemon' in args:
            conf = next((a.decode() for a in args if a.endswith(b'.conf')), pid)
            found[pid] = os.path.basename(conf)
    return found


def threads(found):
    out = []
    for pid, name in found.items():
        for tid in os.listdir(f'/proc/{pid}/task'):
            try:
                with open(f'/proc/{pid}/task/{tid}/comm') as f:
                    comm = f.read().strip()
            except OSError:
                continue
            if comm.startswith(PREFIXES):
                out.append((pid, tid, f'{name}/{comm}'))
    return out


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 60
    period = (float(sys.argv[2]) if len(sys.argv) > 2 else 5) / 1000
    watched = threads(nodes())
    if not watched:
        sys.exit('thread-states: no running logshipd found')
    states = collections.Counter()
    waits = collections.Counter()
    samples = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        samples += 1
        for pid, tid, name in watched:
            try:
                with open(f'/proc/{pid}/task/{tid}/stat') as f:
                    stat = f.read()
            except OSError:
                continue
            # the state follows the name in parentheses, which may hold spaces
            state = stat[stat.rindex(')') + 2]
            states[(name, state)] += 1
            if state == 'D':
                try:
                    with open(f'/proc/{pid}/task/{tid}/wchan') as f:
                        waits[(name, f.read().strip() or '?')] += 1
                except OSError:
                    pass
        time.sleep(period)
    print(f'{samples} samples of {len(watched)} threads over {seconds:.0f} s (every {period * 1000:.0f} ms)')
    for name in sorted({n for n, _ in states}):
        total = sum(states[(name, s)] for s in 'RSD') or 1
        print(f'{name:24} R {100 * states[(name, "R")] / total:5.1f} %  S {100 * states[(name, "S")] / total:5.1f} %  '
              f'D {100 * states[(name, "D")] / total:5.2f} % ({states[(name, "D")]} samples)')
    for (name, wchan), count in waits.most_common(20):
        print(f'D {name:24} in {wchan}: {count}')


if __name__ == '__main__':
    main()
