package io.logship.log;

import io.logship.format.BatchBuilder;
import io.logship.format.BatchDescriptor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A node forces its log on an I/O thread while its appending thread keeps writing (the follower's fsync thread,
 * and the leader's since the journal stopped forcing inline). Appends roll segments, and a roll seals the old
 * segment: data and index forced, through the same index write buffer a concurrent {@link SegmentedLog#flush()}
 * uses. Before the roll took the flush lock, the two threads interleaved in that buffer and the fsync thread died
 * with {@code IllegalArgumentException: newPosition > limit} (seen in CatchUpSystemTest), or the durable end went
 * backwards.
 */
class SegmentedLogConcurrentFlushTest
{
    private static final int MAX_SEGMENTS = 200;

    @TempDir
    Path dir;

    @Test
    @Timeout(120)
    void shouldForceOnAnotherThreadWhileAppendsRollSegmentsWithoutCorruptingTheIndexOrTheDurableEnd() throws Exception
    {
        final LogConfig config = new LogConfig().directory(dir).segmentBytes(16 * 1024).indexIntervalBytes(64)
            .fsyncPolicy(FsyncPolicy.INTERVAL).fsyncIntervalMs(60_000);
        final BatchBuilder builder = new BatchBuilder(4096);
        final AtomicReference<Throwable> flusherFailure = new AtomicReference<>();
        // Not Thread.interrupt: an interrupt during FileChannel.force closes the channel (ClosedByInterruptException).
        final AtomicBoolean stop = new AtomicBoolean();
        long written = 0;
        try (SegmentedLog log = SegmentedLog.open(config))
        {
            final Thread flusher = new Thread(() ->
            {
                long lastDurable = 0;
                try
                {
                    while (!stop.get())
                    {
                        log.flush();
                        final long durable = log.durableEndOffset();
                        if (durable < lastDurable)
                        {
                            throw new AssertionError("durable end went back from " + lastDurable + " to " + durable);
                        }
                        lastDurable = durable;
                    }
                }
                catch (final Throwable ex)
                {
                    flusherFailure.compareAndSet(null, ex);
                }
            }, "test-flusher");
            flusher.start();
            // Bounded by segments as well as time: each open segment holds two descriptors, and a fast machine
            // rolled thousands in 8 s and ran out of them (EMFILE) under a 1,024-descriptor limit.
            final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(8);
            for (int n = 0; System.nanoTime() < deadlineNs && null == flusherFailure.get() &&
                log.segmentCount() < MAX_SEGMENTS; n++)
            {
                final int length = TestBatches.build(builder, 7, n, 1, 8, 60);
                BatchDescriptor.baseOffset(builder.buffer(), 0, log.logEndOffset());
                log.appendAsFollower(builder.buffer(), 0, length, false);
                written = log.logEndOffset();
            }
            stop.set(true);
            flusher.join();
            assertThat(flusherFailure.get()).as("the flushing thread").isNull();
            assertThat(log.segmentCount()).as("segments rolled under the flusher").isGreaterThan(10);
            log.flush();
        }
        try (SegmentedLog reopened = SegmentedLog.open(config))
        {
            assertThat(reopened.logEndOffset()).isEqualTo(written);
            for (final long base : reopened.segmentBaseOffsets())
            {
                assertThat(TestBatches.readBatch(reopened, base)).as("first batch of segment %s", base).isNotEmpty();
            }
        }
    }
}
