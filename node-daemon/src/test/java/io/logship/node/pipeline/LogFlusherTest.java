package io.logship.node.pipeline;

import io.logship.format.BatchBuilder;
import io.logship.log.FsyncPolicy;
import io.logship.log.LogConfig;
import io.logship.log.SegmentedLog;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The node's fsync thread as both roles use it: what is appended without forcing is written at once (what a
 * follower under {@code interval} acks, and holds) and fsynced by this thread only as the policy says.
 */
class LogFlusherTest
{
    private static final System.Logger LOGGER = System.getLogger(LogFlusherTest.class.getName());
    private static final long INTERVAL_MS = 1_000;

    @TempDir
    Path dir;

    private final AtomicLong clockMs = new AtomicLong(1_000_000);
    private final BatchBuilder builder = new BatchBuilder(64 * 1024);
    private SegmentedLog log;
    private LogFlusher flusher;

    @AfterEach
    void close()
    {
        if (null != flusher)
        {
            flusher.close();
        }
        if (null != log)
        {
            log.close();
        }
    }

    @Test
    void shouldLeaveAnIntervalFollowersWrittenEndAheadOfItsDurableEndUntilTheIntervalIsDue()
    {
        start(FsyncPolicy.INTERVAL);
        append("first");
        clockMs.addAndGet(INTERVAL_MS); // one interval since the log was opened (and forced)
        awaitDurable(1);

        append("second");
        flusher.request();
        final long untilNs = System.nanoTime() + 200_000_000L;
        while (System.nanoTime() < untilNs)
        {
            assertThat(log.logEndOffset()).as("written end: what the follower acks at once").isEqualTo(2);
            assertThat(log.durableEndOffset()).as("no fsync before the interval is due, request or not").isEqualTo(1);
            Thread.onSpinWait();
        }

        clockMs.addAndGet(INTERVAL_MS);
        awaitDurable(2);
    }

    @Test
    void shouldForceEveryRequestUnderFsyncAlwaysAndWakeTheConductor() throws Exception
    {
        start(FsyncPolicy.ALWAYS);
        final Thread conductor = new Thread(() ->
        {
            while (log.durableEndOffset() < 1)
            {
                LockSupport.park();
            }
        }, "conductor-test");
        final Wakeup wakeup = new Wakeup();
        wakeup.bind(conductor);
        flusher.wakeAfterFlush(wakeup);
        conductor.start();

        append("first");
        assertThat(log.durableEndOffset()).as("appended without forcing").isZero();
        flusher.request();

        conductor.join(10_000);
        assertThat(conductor.isAlive()).as("the conductor was woken once the durable end moved").isFalse();
        assertThat(log.durableEndOffset()).isEqualTo(1);
    }

    private void start(final FsyncPolicy policy)
    {
        final LogConfig config = new LogConfig().directory(dir.resolve("log")).fsyncPolicy(policy)
            .fsyncIntervalMs(INTERVAL_MS).epochClockMs(clockMs::get).conclude();
        log = SegmentedLog.open(config);
        flusher = new LogFlusher(log, policy, clockMs::get, 1, LOGGER);
        flusher.start();
    }

    private void append(final String value)
    {
        builder.reset(1, clockMs.get());
        builder.put("k".getBytes(StandardCharsets.UTF_8), value.getBytes(StandardCharsets.UTF_8));
        log.appendAsLeader(builder.buffer(), 0, builder.build(), false);
    }

    private void awaitDurable(final long offset)
    {
        final long deadlineNs = System.nanoTime() + 10_000_000_000L;
        while (log.durableEndOffset() < offset && System.nanoTime() < deadlineNs)
        {
            Thread.onSpinWait();
        }
        assertThat(log.durableEndOffset()).as("durable end").isEqualTo(offset);
    }
}
