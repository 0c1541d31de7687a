package io.logship.node.follower;

import io.logship.LogshipException;
import io.logship.log.SegmentedLog;
import io.logship.node.status.LatencyHistogram;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static java.lang.System.Logger.Level.ERROR;
import static java.lang.System.Logger.Level.WARNING;

/**
 * A follower's fsync, on its own thread. The conductor appends what the leader ships and calls
 * {@link #request()}; this thread forces the log and the conductor acks the new durable end when it sees
 * it. Why not on the conductor: the conductor also acks heartbeats, and the leader's lease runs on those
 * acks. On this machine a follower fsync sometimes takes 100–200 ms, on both followers at once (one
 * disk); with the fsync on the conductor those stalls cost healthy leaders their 300 ms lease under load
 * (measured: 41 spurious step-downs in 5 minutes at 10 k writes/s). A failed fsync marks the log failed;
 * the conductor sees {@link SegmentedLog#isFailed()} and fences the node.
 */
public final class FollowerFlusher implements AutoCloseable
{
    private static final long SLOW_FSYNC_NS = TimeUnit.MILLISECONDS.toNanos(100);
    /** Upper bound on a missed wake-up: the thread also looks every millisecond. */
    private static final long PARK_NS = TimeUnit.MILLISECONDS.toNanos(1);

    private final SegmentedLog log;
    private final int nodeId;
    private final System.Logger logger;
    private final Thread thread;
    private volatile boolean requested;
    private volatile boolean running = true;
    private volatile long slowFsyncs;
    private final LatencyHistogram fsyncLatency = new LatencyHistogram("logship_follower_fsync_seconds",
        "time a follower fsync of the log took (this thread, off the conductor)");

    public FollowerFlusher(final SegmentedLog log, final int nodeId, final System.Logger logger)
    {
        this.log = log;
        this.nodeId = nodeId;
        this.logger = logger;
        this.thread = new Thread(this::run, "follower-fsync-" + nodeId);
        thread.setDaemon(true);
    }

    public void start()
    {
        thread.start();
    }

    /** The conductor appended: force it soon. Cheap; never blocks. */
    public void request()
    {
        requested = true;
        LockSupport.unpark(thread);
    }

    /** Fsyncs that took longer than 100 ms, for the metrics. */
    /** Fsync durations, recorded by this thread and exported by the metrics thread. */
    public LatencyHistogram fsyncLatency()
    {
        return fsyncLatency;
    }

    public long slowFsyncs()
    {
        return slowFsyncs;
    }

    private void run()
    {
        while (running)
        {
            if (!requested)
            {
                LockSupport.parkNanos(this, PARK_NS);
                continue;
            }
            requested = false;
            if (log.isFailed())
            {
                continue;
            }
            final long startNs = System.nanoTime();
            try
            {
                log.flush();
            }
            catch (final LogshipException ex)
            {
                logger.log(ERROR, "Node " + nodeId + ": follower fsync failed: " + ex.getMessage());
                continue;
            }
            final long tookNs = System.nanoTime() - startNs;
            fsyncLatency.record(tookNs);
            if (tookNs > SLOW_FSYNC_NS)
            {
                slowFsyncs++;
                logger.log(WARNING, "Node " + nodeId + ": follower fsync took " + TimeUnit.NANOSECONDS.toMillis(tookNs) +
                    " ms (off the conductor: heartbeats were still acknowledged)");
            }
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
