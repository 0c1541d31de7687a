package io.logship.client;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

class BatchAssemblerTest
{
    private long nextSequence = 1;

    private ClientRequest write(final AckLevel ackLevel, final int keyLength, final int valueLength)
    {
        final ClientRequest write = new ClientRequest(
            ClientRequest.Kind.WRITE, ClientRequest.Routing.LEADER, -1, new CompletableFuture<WriteResult>());
        write.recordType = io.logship.format.RecordType.PUT;
        write.ackLevel = ackLevel;
        write.key = new byte[keyLength];
        write.value = new byte[valueLength];
        write.sequence = nextSequence++;
        write.deadlineNs = 1_000 * write.sequence;
        return write;
    }

    @Test
    void shouldSendALoneWriteAsItself()
    {
        final BatchAssembler batches = new BatchAssembler(256, 256 * 1024);
        final ClientRequest only = write(AckLevel.QUORUM, 3, 5);

        assertThat(batches.add(only)).isNull();

        assertThat(batches.seal()).isSameAs(only);
        assertThat(batches.seal()).as("nothing left open").isNull();
    }

    @Test
    void shouldSendTheWritesOfOneCycleAsOneBatchWithTheFirstSequenceAckLevelAndDeadline()
    {
        final BatchAssembler batches = new BatchAssembler(256, 256 * 1024);
        final List<ClientRequest> writes = new ArrayList<>();
        for (int i = 0; i < 5; i++)
        {
            writes.add(write(AckLevel.ALL, 3, 5));
            assertThat(batches.add(writes.get(i))).isNull();
        }

        final ClientRequest batch = batches.seal();

        assertThat(batch.kind).isEqualTo(ClientRequest.Kind.WRITE_BATCH);
        assertThat(batch.routing).isEqualTo(ClientRequest.Routing.LEADER);
        assertThat(batch.children).containsExactlyElementsOf(writes);
        assertThat(batch.sequence).isEqualTo(1);
        assertThat(batch.ackLevel).isEqualTo(AckLevel.ALL);
        assertThat(batch.deadlineNs).isEqualTo(writes.get(0).deadlineNs);
        assertThat(batch.describe()).isEqualTo("put batch(sequences 1..5)");
    }

    @Test
    void shouldSealTheOpenBatchWhenTheNextWriteAsksForAnotherAckLevel()
    {
        final BatchAssembler batches = new BatchAssembler(256, 256 * 1024);
        final ClientRequest quorum = write(AckLevel.QUORUM, 1, 1);
        final ClientRequest leader = write(AckLevel.LEADER, 1, 1);

        assertThat(batches.add(quorum)).isNull();
        assertThat(batches.add(leader)).as("the QUORUM write goes alone").isSameAs(quorum);
        assertThat(batches.seal()).isSameAs(leader);
    }

    @Test
    void shouldSealAtMaxBatchRecords()
    {
        final BatchAssembler batches = new BatchAssembler(3, 256 * 1024);
        for (int i = 0; i < 3; i++)
        {
            assertThat(batches.add(write(AckLevel.QUORUM, 1, 1))).isNull();
        }

        final ClientRequest full = batches.add(write(AckLevel.QUORUM, 1, 1));

        assertThat(full.children).extracting((w) -> w.sequence).containsExactly(1L, 2L, 3L);
        assertThat(batches.seal().sequence).isEqualTo(4);
    }

    @Test
    void shouldSealBeforeTheBatchWouldExceedMaxBatchBytesCountingTheLogsRecordHeader()
    {
        // Two records of 990 + 8 + 26 (a record's header in the log, with client id and sequence) = 1024 bytes
        // fill 2048 exactly; a third does not fit.
        final BatchAssembler batches = new BatchAssembler(256, 2048);
        assertThat(batches.add(write(AckLevel.QUORUM, 990, 8))).isNull();
        assertThat(batches.add(write(AckLevel.QUORUM, 990, 8))).isNull();

        final ClientRequest sealed = batches.add(write(AckLevel.QUORUM, 1, 0));

        assertThat(sealed.children).hasSize(2);
        assertThat(batches.seal().sequence).isEqualTo(3);
    }

    @Test
    void shouldRetryABatchAsItsSingleWritesCarryingItsRetryState()
    {
        final BatchAssembler batches = new BatchAssembler(256, 256 * 1024);
        batches.add(write(AckLevel.QUORUM, 1, 1));
        batches.add(write(AckLevel.QUORUM, 1, 1));
        final ClientRequest batch = batches.seal();
        assertThat(batches.splitForRetry(batch)).as("never sent: not split").isFalse();

        batch.state = ClientRequest.WAITING;
        batch.attempts = 2;
        batch.redirects = 1;
        batch.rotation = 4;
        batch.nextAttemptNs = 777;
        assertThat(batches.splitForRetry(batch)).isTrue();

        assertThat(batch.state).isEqualTo(ClientRequest.DONE);
        final List<ClientRequest> active = new ArrayList<>();
        batches.drainUnbatched(active);
        assertThat(active).containsExactlyElementsOf(batch.children);
        assertThat(active).allSatisfy((w) ->
        {
            assertThat(w.state).isEqualTo(ClientRequest.WAITING);
            assertThat(w.attempts).isEqualTo(2);
            assertThat(w.redirects).isEqualTo(1);
            assertThat(w.rotation).isEqualTo(4);
            assertThat(w.nextAttemptNs).isEqualTo(777);
        });
        assertThat(active).extracting((w) -> w.sequence).as("each keeps its own sequence").containsExactly(1L, 2L);
        batches.drainUnbatched(active);
        assertThat(active).as("drained once").hasSize(2);
    }

    @Test
    void shouldHandOverOpenWritesAndSplitWritesNotYetDrainedOnClose()
    {
        final BatchAssembler batches = new BatchAssembler(256, 256 * 1024);
        batches.add(write(AckLevel.QUORUM, 1, 1));
        batches.add(write(AckLevel.QUORUM, 1, 1));
        final ClientRequest batch = batches.seal();
        batch.attempts = 1;
        batches.splitForRetry(batch);
        final ClientRequest open = write(AckLevel.QUORUM, 1, 1);
        batches.add(open);

        final List<ClientRequest> closed = new ArrayList<>();
        batches.closeAll(closed::add);

        assertThat(closed).containsExactlyInAnyOrder(open, batch.children.get(0), batch.children.get(1));
        final List<ClientRequest> active = new ArrayList<>();
        batches.drainUnbatched(active);
        assertThat(active).isEmpty();
        assertThat(batches.seal()).isNull();
    }
}
