package io.logship.client;

import io.logship.format.RecordDescriptor;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * Client-side batching: the writes drained in one duty cycle go out as one request. One write alone is
 * sent as a WriteRequest; several as one WriteLogBatch, encoded in the log's own batch format
 * (docs/DESIGN.md#client-batches: consecutive sequences, one ack level, one reply with the first offset).
 * No linger: a batch is whatever queued up while the previous cycle worked,
 * so batching costs no latency and grows with load. A batch closes early at
 * {@code ClientConfig.maxBatchRecords}, at {@code maxBatchBytes}, or when the next write asks for another
 * ack level.
 *
 * <p>A batch is retried as its single writes: after a leader change part of it may be in the log and part
 * not, and only per-sequence retries let the leader answer each with its own offset.
 *
 * <p>Owned by the conductor thread; not thread-safe.
 */
final class BatchAssembler
{
    /**
     * Per-record overhead counted against {@code maxBatchBytes} on top of key and value: a record's header in the
     * log's format with its client id and sequence, so {@code maxBatchBytes} bounds the batch as the leader stores it.
     */
    private static final int RECORD_OVERHEAD_BYTES = RecordDescriptor.recordLength(0, 0, true);

    private final int maxBatchRecords;
    private final int maxBatchBytes;
    /** Writes drained in this duty cycle, not sent yet. */
    private final ArrayList<ClientRequest> openBatch = new ArrayList<>();
    /** Writes of batches being retried one by one, until {@link #drainUnbatched} hands them back. */
    private final ArrayList<ClientRequest> unbatched = new ArrayList<>();
    private int openBatchBytes;

    BatchAssembler(final int maxBatchRecords, final int maxBatchBytes)
    {
        this.maxBatchRecords = maxBatchRecords;
        this.maxBatchBytes = maxBatchBytes;
    }

    /** False when {@code maxBatchRecords} is 1: every write goes alone, straight away. */
    boolean isEnabled()
    {
        return maxBatchRecords > 1;
    }

    /**
     * Adds a write (its sequence assigned) to the open batch.
     *
     * @return the batch this write could not join, sealed (see {@link #seal}), to be sent first; else null.
     */
    ClientRequest add(final ClientRequest write)
    {
        final int bytes = write.key.length + write.value.length + RECORD_OVERHEAD_BYTES;
        ClientRequest sealed = null;
        if (!openBatch.isEmpty() && (openBatch.get(0).ackLevel != write.ackLevel ||
            openBatch.size() == maxBatchRecords || openBatchBytes + bytes > maxBatchBytes))
        {
            sealed = seal();
        }
        openBatch.add(write);
        openBatchBytes += bytes;
        return sealed;
    }

    /**
     * Closes the open batch: its only write, or a WRITE_BATCH request carrying them all (sequence, ack
     * level and deadline of the first); null if no write is open.
     */
    ClientRequest seal()
    {
        if (openBatch.isEmpty())
        {
            return null;
        }
        final ClientRequest request;
        if (openBatch.size() == 1)
        {
            request = openBatch.get(0);
        }
        else
        {
            final ClientRequest first = openBatch.get(0);
            request = new ClientRequest(ClientRequest.Kind.WRITE_BATCH, ClientRequest.Routing.LEADER, -1,
                new CompletableFuture<>());
            request.children = new ArrayList<>(openBatch);
            request.sequence = first.sequence;
            request.ackLevel = first.ackLevel;
            request.deadlineNs = first.deadlineNs;
        }
        openBatch.clear();
        openBatchBytes = 0;
        return request;
    }

    /**
     * A batch due for another attempt is split instead: its writes take over its retry state and wait in
     * {@link #drainUnbatched}; the batch is done. Its writes keep their permits.
     *
     * @return true if {@code request} was a batch being retried and is now split.
     */
    boolean splitForRetry(final ClientRequest request)
    {
        if (request.kind != ClientRequest.Kind.WRITE_BATCH || request.attempts == 0)
        {
            return false;
        }
        for (final ClientRequest child : request.children)
        {
            child.state = ClientRequest.WAITING;
            child.nextAttemptNs = request.nextAttemptNs;
            child.attempts = request.attempts;
            child.redirects = request.redirects;
            child.rotation = request.rotation;
            unbatched.add(child);
        }
        request.state = ClientRequest.DONE;
        return true;
    }

    /** Moves the writes of split batches into {@code active}, where they go on alone. */
    void drainUnbatched(final List<ClientRequest> active)
    {
        if (!unbatched.isEmpty())
        {
            active.addAll(unbatched);
            unbatched.clear();
        }
    }

    /**
     * Hands every write it still holds to {@code closer} and forgets them (the client is closing): the open
     * batch, and the writes of split batches not yet back in the active list (a batch split while
     * following a redirect waits here until the next scan, and its writes must fail on close too).
     */
    void closeAll(final Consumer<ClientRequest> closer)
    {
        openBatch.forEach(closer);
        openBatch.clear();
        openBatchBytes = 0;
        unbatched.forEach(closer);
        unbatched.clear();
    }
}
