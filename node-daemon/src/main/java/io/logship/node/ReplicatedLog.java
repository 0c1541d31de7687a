package io.logship.node;

import io.logship.kv.KeyValueStore;
import io.logship.log.SegmentedLog;
import io.logship.node.election.ElectionState;
import io.logship.node.pipeline.LogFlusher;
import io.logship.node.status.NodeCounters;
import org.agrona.concurrent.NanoClock;

import static java.lang.System.Logger.Level.ERROR;

/**
 * The state of one replicated log on this node: the log and the store it feeds, the election that decides
 * who leads it, and what this node knows of it now (role, epoch, leader, commit offset). The node hosts one
 * such log today; the duty thread, the transport, the client sessions and the admin stream are shared by
 * the node, so a node can later host several logs (partitions, each with its own leader), each with its own
 * {@code ReplicatedLog}.
 *
 * <p>Vocabulary used throughout the node: an <b>offset</b> is a record number in the log (the first record
 * is offset 0); a <b>position</b> is a byte position (in a buffer, a message or a file). A parameter that
 * counts bytes is never called an offset.
 *
 * <p>Owned by the conductor thread. The volatile fields are also read by the metrics thread, the journal
 * thread ({@link #leadingEpoch()}) and the apply thread ({@link #commitOffset()}).
 */
public final class ReplicatedLog
{
    private final int nodeId;
    private final SegmentedLog log;
    private final KeyValueStore store;
    private final NanoClock clock;
    private final System.Logger logger;
    private final NodeCounters counters;
    private ElectionState election;
    private LogFlusher flusher;

    private volatile Role role = Role.FOLLOWER;
    private volatile int epoch;
    private volatile int leaderId = -1;
    private volatile long commitOffset;
    /** The epoch this node leads, -1 when it does not: the journal thread appends only under it. */
    private volatile int leadingEpoch = -1;

    public ReplicatedLog(final int nodeId, final SegmentedLog log, final KeyValueStore store, final NanoClock clock,
        final System.Logger logger, final NodeCounters counters)
    {
        this.nodeId = nodeId;
        this.log = log;
        this.store = store;
        this.clock = clock;
        this.logger = logger;
        this.counters = counters;
    }

    /** Set once, right after construction: the election's outbox calls back into the node that owns this log. */
    public void election(final ElectionState election)
    {
        this.election = election;
    }

    /** Set once, right after construction: the thread that forces {@link #log()} in both roles. */
    public void flusher(final LogFlusher flusher)
    {
        this.flusher = flusher;
    }

    public LogFlusher flusher()
    {
        return flusher;
    }

    /**
     * Stops this node taking writes or data for this log after a storage failure: logs why (the message is
     * complete, it names the node), steps down if it leads, and stays FENCED until restarted. The one place
     * that sets {@link Role#FENCED}.
     */
    public void fence(final String message)
    {
        logger.log(ERROR, message);
        if (role == Role.LEADER)
        {
            election.demote(nowMs(clock.nanoTime()));
        }
        role = Role.FENCED;
    }

    /** The election's clock and Heartbeat.leaderTimestampNs are the same monotonic clock, so an echoed
     * timestamp can be compared with "now" on the leader. */
    public static long nowMs(final long nowNs)
    {
        return nowNs / 1_000_000;
    }

    public int nodeId()
    {
        return nodeId;
    }

    public SegmentedLog log()
    {
        return log;
    }

    public KeyValueStore store()
    {
        return store;
    }

    public ElectionState election()
    {
        return election;
    }

    public NanoClock clock()
    {
        return clock;
    }

    public System.Logger logger()
    {
        return logger;
    }

    public NodeCounters counters()
    {
        return counters;
    }

    public Role role()
    {
        return role;
    }

    public void role(final Role role)
    {
        this.role = role;
    }

    public boolean isLeader()
    {
        return role == Role.LEADER;
    }

    public int epoch()
    {
        return epoch;
    }

    public void epoch(final int epoch)
    {
        this.epoch = epoch;
    }

    public int leaderId()
    {
        return leaderId;
    }

    public void leaderId(final int leaderId)
    {
        this.leaderId = leaderId;
    }

    /** Offsets below are committed: a majority holds them durably (leader), or the leader said so (follower). */
    public long commitOffset()
    {
        return commitOffset;
    }

    public void commitOffset(final long commitOffset)
    {
        this.commitOffset = commitOffset;
    }

    public int leadingEpoch()
    {
        return leadingEpoch;
    }

    public void leadingEpoch(final int leadingEpoch)
    {
        this.leadingEpoch = leadingEpoch;
    }
}
