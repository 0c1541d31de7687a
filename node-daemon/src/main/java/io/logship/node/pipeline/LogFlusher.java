package io.logship.node.pipeline;

import io.logship.LogshipException;
import io.logship.log.FsyncPolicy;
import io.logship.log.SegmentedLog;
import io.logship.node.status.LatencyHistogram;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

import static java.lang.System.Logger.Level.ERROR;
import static java.lang.System.Logger.Level.WARNING;

/**
 * The node's fsync of its log, on its own thread, in both roles (docs/DESIGN.md#fsync-policy). The appender
 * (the leader's journal thread, or a follower's conductor) appends without forcing and calls {@link #request()};
 * this thread forces and so moves {@link SegmentedLog#durableEndOffset()}, which the conductor reads on each duty
 * cycle (it is woken when the durable end moves). With {@code logship.log.fsync=always} it forces on every
 * request, so batch N+1 is appended while batch N is forced (pipelined group commit); with {@code interval} it
 * forces at most once per interval, and also the idle tail, so fsync is never on the ack path.
 *
 * <p>Why not on the conductor: the conductor acks heartbeats, and the leader's lease runs on those acks. On this
 * machine an fsync sometimes takes 100–200 ms, on both followers at once (one disk); with the fsync on the
 * conductor those stalls cost healthy leaders their 300 ms lease under load (measured: 41 spurious step-downs
 * in 5 minutes at 10 k writes/s). Why not on the leader's journal: the next batch would wait for this one's
 * fsync. {@link SegmentedLog#flush()} is serialised with truncation, so a role change racing a flush is safe.
 * A failed fsync marks the log failed; the conductor sees {@link SegmentedLog#isFailed()} and fences the node.
 */
public final class LogFlusher implements AutoCloseable
{
    private static final long SLOW_FSYNC_NS = TimeUnit.MILLISECONDS.toNanos(100);
    /** Upper bound on a missed wake-up, and the resolution of the interval policy: the thread looks every millisecond. */
    private static final long PARK_NS = TimeUnit.MILLISECONDS.toNanos(1);

    private final SegmentedLog log;
    private final boolean always;
    private final LongSupplier epochClockMs;
    private final int nodeId;
    private final System.Logger logger;
    private final Thread thread;
    private volatile Runnable wakeAfterFlush;
    private volatile boolean requested;
    private volatile boolean running = true;
    private volatile long slowFsyncs;
    private final LatencyHistogram fsyncLatency = new LatencyHistogram("logship_follower_fsync_seconds",
        "time an fsync of the log took on the flusher thread (off the conductor and, on a leader, off the journal)");

    public LogFlusher(final SegmentedLog log, final FsyncPolicy policy, final LongSupplier epochClockMs,
        final int nodeId, final System.Logger logger)
    {
        this.log = log;
        this.always = policy == FsyncPolicy.ALWAYS;
        this.epochClockMs = epochClockMs;
        this.nodeId = nodeId;
        this.logger = logger;
        this.thread = new Thread(this::run, "log-fsync-" + nodeId);
        thread.setDaemon(true);
    }

    public void start()
    {
        thread.start();
    }

    /** {@code conductor} is woken after every fsync, so it sees the new durable end without waiting to idle out. */
    public void wakeAfterFlush(final Wakeup conductor)
    {
        wakeAfterFlush = conductor::wake;
    }

    /**
     * Something was appended: with {@code always}, force it now. With {@code interval} the thread forces whatever
     * is appended once due and needs no request. Never blocks.
     */
    public void request()
    {
        if (always)
        {
            requested = true;
            LockSupport.unpark(thread);
        }
    }

    /** Fsync durations, recorded by this thread and exported by the metrics thread. */
    public LatencyHistogram fsyncLatency()
    {
        return fsyncLatency;
    }

    /** Fsyncs that took longer than 100 ms, for the metrics. */
    public long slowFsyncs()
    {
        return slowFsyncs;
    }

    private void run()
    {
        while (running)
        {
            // interval: whatever is appended (whoever appended it) is forced once due, requested or not, so an
            // idle log is on disk at most one interval (plus the fsync) after its last append.
            final boolean pending = always ? requested : log.durableEndOffset() != log.logEndOffset();
            if (!pending || log.isFailed())
            {
                LockSupport.parkNanos(this, PARK_NS);
                continue;
            }
            final long startNs = System.nanoTime();
            try
            {
                requested = false;
                if (always)
                {
                    log.flush();
                }
                else if (!log.flushIfDue(epochClockMs.getAsLong()))
                {
                    LockSupport.parkNanos(this, PARK_NS);
                    continue;
                }
            }
            catch (final LogshipException ex)
            {
                logger.log(ERROR, "Node " + nodeId + ": fsync of the log failed: " + ex.getMessage());
                wakeConductor();
                continue;
            }
            wakeConductor();
            final long tookNs = System.nanoTime() - startNs;
            fsyncLatency.record(tookNs);
            if (tookNs > SLOW_FSYNC_NS)
            {
                slowFsyncs++;
                logger.log(WARNING, "Node " + nodeId + ": fsync of the log took " + TimeUnit.NANOSECONDS.toMillis(tookNs) +
                    " ms (off the conductor: heartbeats were still acknowledged)");
            }
        }
    }

    private void wakeConductor()
    {
        final Runnable conductor = wakeAfterFlush;
        if (null != conductor)
        {
            conductor.run();
        }
    }

    @Override
    public void close()
    {
        running = false;
        LockSupport.unpark(thread);
        try
        {
            thread.join(TimeUnit.SECONDS.toMillis(10));
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }
}
