package io.logship.node.pipeline;

import com.lmax.disruptor.BatchEventProcessor;
import com.lmax.disruptor.BatchEventProcessorBuilder;
import com.lmax.disruptor.RingBuffer;
import io.logship.log.FsyncPolicy;
import io.logship.log.LogConfig;
import io.logship.log.SegmentedLog;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The leader's journal pipeline as {@code Node} wires it (ring, wait strategy, {@link JournalHandler}) over a
 * real {@link SegmentedLog} with {@code fsync=interval}: once writes stop, the tail must still be forced.
 */
class JournalIdleFlushTest
{
    private static final System.Logger LOGGER = System.getLogger(JournalIdleFlushTest.class.getName());
    private static final long INTERVAL_MS = 200;
    /** Room for one fsync on a loaded shared disk, on top of the bound the policy promises. */
    private static final long FSYNC_SLACK_MS = 1_000;
    private static final int RING_SIZE = 64;

    @TempDir
    Path dir;

    private SegmentedLog log;
    private RingBuffer<WriteEvent> ring;
    private BatchEventProcessor<WriteEvent> journal;
    private Thread journalThread;
    private final AtomicInteger leadingEpoch = new AtomicInteger(1);

    @AfterEach
    void stop() throws InterruptedException
    {
        if (null != journal)
        {
            journal.halt();
            journalThread.join(TimeUnit.SECONDS.toMillis(10));
        }
        if (null != log)
        {
            log.close();
        }
    }

    @Test
    void shouldForceTheTailWithinTwoIntervalsOnceTheLeaderStopsAppending()
    {
        start(FsyncPolicy.INTERVAL);
        write("k1", "first");
        write("k2", "second"); // right after the first: the interval has not passed, the append does not force
        final long appendedAtMs = System.currentTimeMillis();
        assertThat(log.logEndOffset()).isEqualTo(2);

        final long deadlineMs = appendedAtMs + 2 * INTERVAL_MS + FSYNC_SLACK_MS;
        while (log.durableEndOffset() < log.logEndOffset() && System.currentTimeMillis() < deadlineMs)
        {
            Thread.onSpinWait();
        }

        assertThat(log.durableEndOffset())
            .as("durable end %d ms after the last append (interval %d ms)",
                System.currentTimeMillis() - appendedAtMs, INTERVAL_MS)
            .isEqualTo(log.logEndOffset());
    }

    @Test
    void shouldForceAWriteThatArrivesAfterAnIdlePeriodToo()
    {
        start(FsyncPolicy.INTERVAL);
        write("k1", "first");
        awaitDurable(1);
        write("k2", "second");
        write("k3", "third");
        awaitDurable(3);

        assertThat(log.durableEndOffset()).isEqualTo(3);
    }

    @Test
    void shouldNotForceAFollowersLogFromTheJournalThread()
    {
        start(FsyncPolicy.INTERVAL);
        write("k1", "first");
        write("k2", "second");
        leadingEpoch.set(-1); // stepped down: the follower's flusher owns forcing from now on
        final long durableAtStepDown = log.durableEndOffset();
        final long untilMs = System.currentTimeMillis() + 4 * INTERVAL_MS;
        while (System.currentTimeMillis() < untilMs)
        {
            assertThat(log.durableEndOffset()).isEqualTo(durableAtStepDown);
            Thread.onSpinWait();
        }
    }

    private void start(final FsyncPolicy policy)
    {
        final LogConfig logConfig = new LogConfig().directory(dir.resolve("log")).fsyncPolicy(policy)
            .fsyncIntervalMs(INTERVAL_MS).conclude();
        log = SegmentedLog.open(logConfig);
        ring = RingBuffer.createSingleProducer(WriteEvent::new, RING_SIZE, JournalWaitStrategy.forLog(logConfig));
        // No flusher thread: the journal's own idle flush is what is tested.
        final JournalHandler handler = new JournalHandler(log, 64 * 1024, leadingEpoch::get, RING_SIZE, LOGGER,
            logConfig.epochClockMs(), () -> { });
        journal = new BatchEventProcessorBuilder().setMaxBatchSize(RING_SIZE).build(ring, ring.newBarrier(), handler);
        ring.addGatingSequences(journal.getSequence());
        journalThread = new Thread(journal, "journal-test");
        journalThread.setDaemon(true);
        journalThread.start();
    }

    private void write(final String key, final String value)
    {
        final long sequence = ring.next();
        final WriteEvent event = WriteEvents.plainPut(ring.get(sequence), key, value);
        ring.publish(sequence);

        final long deadlineMs = System.currentTimeMillis() + 10_000;
        while (journal.getSequence().get() < sequence && System.currentTimeMillis() < deadlineMs)
        {
            Thread.onSpinWait();
        }
        assertThat(event.result).as("journal result of %s: %s", key, event.error).isEqualTo(WriteEvent.RESULT_APPENDED);
    }

    private void awaitDurable(final long offset)
    {
        final long deadlineMs = System.currentTimeMillis() + 2 * INTERVAL_MS + FSYNC_SLACK_MS;
        while (log.durableEndOffset() < offset && System.currentTimeMillis() < deadlineMs)
        {
            Thread.onSpinWait();
        }
        assertThat(log.durableEndOffset()).as("durable end").isGreaterThanOrEqualTo(offset);
    }
}
