package io.logship.node;

import java.util.Collection;
import java.util.TreeSet;

/**
 * The offsets at which a node takes its periodic store snapshot: every {@code interval} offsets, shifted by a
 * phase that differs from node to node, so the nodes of a cluster do not all snapshot at once.
 *
 * <p>Why: every node applies the same log, so a count of records applied since the last snapshot fires at the
 * same offsets on every node. A snapshot walks and writes the whole store (127 MB at 1 M keys) and took 8–14 s on
 * a 3-node cluster sharing 2 cores, with p99 at 10 k writes/s rising from ~8 ms to 30–90 ms over that window
 * (perf/README.md, sitting of 2026-12-05 15:30). With the phases of a 3-node cluster at 0, 1/3 and 2/3 of the
 * interval, at most one node snapshots at a time while a snapshot takes less than a third of the interval, so a
 * majority is always free of it. The boundaries are log offsets, not a count since start, so the stagger holds
 * across restarts and snapshot installs (docs/DESIGN.md#snapshots).
 */
public final class SnapshotSchedule
{
    private final long interval;
    private final long phase;

    /**
     * @param interval offsets between two snapshots of one node, at least 1.
     * @param phase    this node's shift, in [0, interval).
     */
    public SnapshotSchedule(final long interval, final long phase)
    {
        if (interval < 1 || phase < 0 || phase >= interval)
        {
            throw new IllegalArgumentException("interval " + interval + " and phase " + phase +
                ": expected interval >= 1 and 0 <= phase < interval");
        }
        this.interval = interval;
        this.phase = phase;
    }

    /**
     * The schedule of node {@code nodeId} among {@code memberIds} (the configured members): phases spread evenly
     * over the interval by the node's rank among the members' ids. A node not among them (a learner added later)
     * takes the rank of its id modulo the member count, so it may share a phase with a member.
     */
    public static SnapshotSchedule forMember(final long interval, final int nodeId, final Collection<Integer> memberIds)
    {
        final TreeSet<Integer> sorted = new TreeSet<>(memberIds);
        final int count = Math.max(1, sorted.size());
        final int rank = sorted.contains(nodeId) ? sorted.headSet(nodeId).size() : Math.floorMod(nodeId, count);
        // Divide first: no overflow near Long.MAX_VALUE, and rank < count keeps the phase below the interval.
        return new SnapshotSchedule(interval, interval / count * rank);
    }

    /** The first snapshot boundary strictly above {@code offset}: a snapshot is due once the store applied it. */
    public long nextAfter(final long offset)
    {
        final long sincePhase = offset - phase;
        final long periods = Math.floorDiv(sincePhase, interval) + 1;
        final long next = phase + periods * interval;
        return next < offset ? Long.MAX_VALUE : next; // overflow near Long.MAX_VALUE: never
    }

    public long interval()
    {
        return interval;
    }

    public long phase()
    {
        return phase;
    }
}
