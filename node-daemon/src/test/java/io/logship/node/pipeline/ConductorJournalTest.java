package io.logship.node.pipeline;

import com.lmax.disruptor.BusySpinWaitStrategy;
import com.lmax.disruptor.EventPoller;
import com.lmax.disruptor.RingBuffer;
import io.logship.log.FsyncPolicy;
import io.logship.log.LogConfig;
import io.logship.log.SegmentedLog;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The journal stage on the conductor ({@code logship.node.journal=conductor}) as {@code Node} wires it: the result
 * poller gated on the stage, both polled by one thread. What the conductor published since the last poll is one
 * log batch, answered in the same poll; a failing handler fails that write, is reported, and the next write is
 * stored.
 */
class ConductorJournalTest
{
    private static final System.Logger LOGGER = System.getLogger(ConductorJournalTest.class.getName());
    private static final int RING_SIZE = 64;

    @TempDir
    Path dir;

    private SegmentedLog log;
    private RingBuffer<WriteEvent> ring;
    private EventPoller<WriteEvent> results;
    private ConductorJournal stage;
    private JournalHandler handler;
    private final List<Throwable> errors = new ArrayList<>();
    private boolean epochFails;

    @BeforeEach
    void wire()
    {
        log = SegmentedLog.open(new LogConfig().directory(dir.resolve("log")).fsyncPolicy(FsyncPolicy.INTERVAL)
            .conclude());
        ring = RingBuffer.createSingleProducer(WriteEvent::new, RING_SIZE, new BusySpinWaitStrategy());
        handler = new JournalHandler(log, 64 * 1024, () ->
        {
            if (epochFails)
            {
                throw new IllegalStateException("epoch unreadable");
            }
            return 1;
        }, RING_SIZE, LOGGER, System::currentTimeMillis, () -> { });
        stage = new ConductorJournal(ring, handler, errors::add);
        results = ring.newPoller(stage.sequence());
        ring.addGatingSequences(results.getSequence());
    }

    @AfterEach
    void close()
    {
        log.close();
    }

    @Test
    void shouldAppendEverythingPublishedSinceTheLastPollAsOneBatchAndAnswerItInTheSameCycle() throws Exception
    {
        publish("k1", "v1");
        publish("k2", "v2");
        publish("k3", "v3");
        assertThat(collect()).as("results before the stage ran").isEmpty();

        assertThat(stage.poll()).isEqualTo(1);

        assertThat(handler.batchesAppended()).as("log batches").isEqualTo(1);
        assertThat(log.logEndOffset()).isEqualTo(3);
        final List<long[]> answered = collect();
        assertThat(answered).extracting(r -> r[0]).containsOnly((long)WriteEvent.RESULT_APPENDED);
        assertThat(answered).extracting(r -> r[1]).containsExactly(0L, 1L, 2L);
        assertThat(stage.poll()).as("nothing published since").isZero();
        assertThat(errors).isEmpty();
    }

    @Test
    void shouldFailTheWriteWhoseJournalThrowsReportItAndStoreTheNext() throws Exception
    {
        epochFails = true;
        publish("k1", "v1");
        stage.poll();
        final List<long[]> failed = collect();
        assertThat(failed).hasSize(1);
        assertThat(failed.get(0)[0]).isEqualTo(WriteEvent.RESULT_FAILED);
        assertThat(errors).hasSize(1);
        assertThat(errors.get(0)).hasMessage("epoch unreadable");
        assertThat(log.logEndOffset()).isZero();

        epochFails = false;
        publish("k2", "v2");
        stage.poll();
        final List<long[]> stored = collect();
        assertThat(stored).hasSize(1);
        assertThat(stored.get(0)).containsExactly(WriteEvent.RESULT_APPENDED, 0L);
        assertThat(log.logEndOffset()).isEqualTo(1);
    }

    private void publish(final String key, final String value)
    {
        final long sequence = ring.next();
        WriteEvents.plainPut(ring.get(sequence), key, value);
        ring.publish(sequence);
    }

    /** What the conductor's result poller sees now: {result, offset} per write. */
    private List<long[]> collect() throws Exception
    {
        final List<long[]> seen = new ArrayList<>();
        results.poll((event, sequence, endOfBatch) ->
        {
            seen.add(new long[]{event.result, event.offset});
            return true;
        });
        return seen;
    }
}
