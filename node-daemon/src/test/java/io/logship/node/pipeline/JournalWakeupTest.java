package io.logship.node.pipeline;

import com.lmax.disruptor.BatchEventProcessor;
import com.lmax.disruptor.BatchEventProcessorBuilder;
import com.lmax.disruptor.EventPoller;
import com.lmax.disruptor.RingBuffer;
import io.logship.log.FsyncPolicy;
import io.logship.log.LogConfig;
import io.logship.log.SegmentedLog;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The journal → conductor hand-off as {@code Node} wires it: the journal wakes the conductor only once the
 * conductor's poller can see the batch's results, so a woken conductor never finds nothing and parks again.
 */
class JournalWakeupTest
{
    private static final System.Logger LOGGER = System.getLogger(JournalWakeupTest.class.getName());
    private static final int RING_SIZE = 64;

    @TempDir
    Path dir;

    private SegmentedLog log;
    private BatchEventProcessor<WriteEvent> journal;
    private Thread journalThread;

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
    void shouldWakeTheConductorOnlyOnceItsPollerSeesTheResults() throws Exception
    {
        final LogConfig logConfig = new LogConfig().directory(dir.resolve("log")).fsyncPolicy(FsyncPolicy.ALWAYS)
            .conclude();
        log = SegmentedLog.open(logConfig);
        final RingBuffer<WriteEvent> ring = RingBuffer.createSingleProducer(WriteEvent::new, RING_SIZE,
            JournalWaitStrategy.forLog(logConfig));
        final CopyOnWriteArrayList<Long> visibleAtWake = new CopyOnWriteArrayList<>();
        final Thread conductor = Thread.currentThread();
        final AtomicReference<BatchEventProcessor<WriteEvent>> processor = new AtomicReference<>();
        final JournalHandler handler = new JournalHandler(log, 64 * 1024, () -> 1, RING_SIZE, LOGGER,
            System::currentTimeMillis, () -> { }, () ->
            {
                visibleAtWake.add(processor.get().getSequence().get());
                LockSupport.unpark(conductor);
            });
        journal = new BatchEventProcessorBuilder().setMaxBatchSize(RING_SIZE).build(ring, ring.newBarrier(), handler);
        processor.set(journal);
        final EventPoller<WriteEvent> poller = ring.newPoller(journal.getSequence());
        ring.addGatingSequences(poller.getSequence());
        journalThread = new Thread(journal, "journal-test");
        journalThread.setDaemon(true);
        journalThread.start();

        final long sequence = publish(ring, "k1", "v1");
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (visibleAtWake.isEmpty() && System.nanoTime() < deadlineNs)
        {
            LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(1)); // the wake-up ends this park
        }

        assertThat(visibleAtWake).as("journal sequence seen by each wake-up").isNotEmpty();
        assertThat(visibleAtWake.get(0)).isGreaterThanOrEqualTo(sequence);
        final WriteEvent[] polled = new WriteEvent[1];
        poller.poll((event, seq, endOfBatch) ->
        {
            polled[0] = event;
            return false;
        });
        assertThat(polled[0]).isNotNull();
        assertThat(polled[0].result).as("result: %s", polled[0].error).isEqualTo(WriteEvent.RESULT_APPENDED);
        assertThat(polled[0].offset).isZero();
    }

    private static long publish(final RingBuffer<WriteEvent> ring, final String key, final String value)
    {
        final long sequence = ring.next();
        WriteEvents.plainPut(ring.get(sequence), key, value);
        ring.publish(sequence);
        return sequence;
    }
}
