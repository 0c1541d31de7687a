package io.logship.node.pipeline;

import com.lmax.disruptor.EventHandler;
import com.lmax.disruptor.Sequence;
import io.logship.LogshipException;
import io.logship.format.BatchBuilder;
import io.logship.format.BatchDescriptor;
import io.logship.format.RecordDescriptor;
import io.logship.format.RecordType;
import io.logship.log.SegmentedLog;
import io.logship.node.status.LatencyHistogram;
import io.logship.transport.codec.MessageHeaderDecoder;
import io.logship.transport.codec.WriteBatchRequestDecoder;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

/**
 * The leader's journal: the single consumer of the write ring. It packs the events of each Disruptor
 * batch into one log batch and appends it when {@code endOfBatch} is true (group commit: the more load, the
 * bigger the batch, the fewer fsyncs per record), splitting only when the batch would exceed
 * {@code batchMaxBytes}; a client's batch in one slot ({@link WriteEvent#isClientBatch()}) is never split. It
 * stamps each event with its offset (a client batch with its last record's), or with the failure that kept it
 * out of the log. It allocates nothing per event.
 *
 * <p>It never forces on the append path: after each append it calls {@code appended} (the node's
 * {@link LogFlusher}), which forces on its own thread while this one appends the next batch (pipelined
 * durability, docs/DESIGN.md#fsync-policy). Acks wait for the forced end where the policy asks for it
 * ({@code always}), so the pipelining never weakens a guarantee. With {@code fsync=interval} the journal also
 * forces when the ring has been idle for an interval ({@link #onTimeout}): the tail is on disk at most about
 * two intervals after it was appended, whether or not more writes come.
 *
 * <p>At the end of each Disruptor batch it publishes its sequence itself and then calls {@code resultsReady}
 * (the node wakes its conductor there): the conductor's poller only sees slots up to that sequence, so a wake-up
 * before it would find nothing and park again, and the results would wait out the conductor's back-off.
 *
 * <p>Runs on the Disruptor's consumer thread; the only thread that appends to the leader's log.
 */
public final class JournalHandler implements EventHandler<WriteEvent>
{
    private final SegmentedLog log;
    private final BatchBuilder builder;
    private final IntSupplier epochSupplier;
    private final System.Logger logger;
    private final LongSupplier epochClockMs;
    private final Runnable appended;
    private final Runnable resultsReady;
    private final RecentBatches recent;
    private Sequence sequenceCallback;
    private final WriteEvent[] inBatch;
    private final MessageHeaderDecoder headerDecoder = new MessageHeaderDecoder();
    private final WriteBatchRequestDecoder batchDecoder = new WriteBatchRequestDecoder();
    /** Views of one record's key and value inside a client batch's payload, re-aimed per record. */
    private final UnsafeBuffer key = new UnsafeBuffer(0, 0);
    private final UnsafeBuffer value = new UnsafeBuffer(0, 0);
    private int inBatchCount;
    private int batchEpoch;
    private volatile long batchesAppended;
    private volatile long recordsAppended;
    private final LatencyHistogram appendLatency = new LatencyHistogram("logship_journal_append_seconds",
        "time the leader's journal took to append one batch (the fsync runs on the flusher thread)");

    /**
     * @param epochSupplier the epoch this node leads, or a negative value once it stepped down; read when a
     *                      batch starts and again before it is appended, and a batch whose epoch changed in
     *                      between is failed rather than written under an epoch this node no longer leads.
     * @param maxEventsPerBatch upper bound on events held before a forced append (the ring size).
     * @param appended          called after every append, on this thread: the node's {@link LogFlusher#request()}.
     */
    public JournalHandler(final SegmentedLog log, final int batchMaxBytes, final IntSupplier epochSupplier,
        final int maxEventsPerBatch, final System.Logger logger, final LongSupplier epochClockMs,
        final Runnable appended)
    {
        this(log, batchMaxBytes, epochSupplier, maxEventsPerBatch, logger, epochClockMs, appended, () -> { });
    }

    /**
     * @param resultsReady called on this thread once a Disruptor batch's results are visible to the ring's
     *                     poller, and after a timed fsync: the node's conductor {@link Wakeup#wake()}.
     */
    public JournalHandler(final SegmentedLog log, final int batchMaxBytes, final IntSupplier epochSupplier,
        final int maxEventsPerBatch, final System.Logger logger, final LongSupplier epochClockMs,
        final Runnable appended, final Runnable resultsReady)
    {
        this(log, batchMaxBytes, epochSupplier, maxEventsPerBatch, logger, epochClockMs, appended, resultsReady,
            RecentBatches.none());
    }

    /**
     * @param recent where each appended batch is kept for the conductor to ship from memory (docs/DESIGN.md#replication-window).
     */
    public JournalHandler(final SegmentedLog log, final int batchMaxBytes, final IntSupplier epochSupplier,
        final int maxEventsPerBatch, final System.Logger logger, final LongSupplier epochClockMs,
        final Runnable appended, final Runnable resultsReady, final RecentBatches recent)
    {
        this.recent = recent;
        this.appended = appended;
        this.resultsReady = resultsReady;
        this.epochClockMs = epochClockMs;
        this.log = log;
        this.builder = new BatchBuilder(batchMaxBytes);
        this.epochSupplier = epochSupplier;
        this.logger = logger;
        this.inBatch = new WriteEvent[maxEventsPerBatch];
    }

    @Override
    public void onEvent(final WriteEvent event, final long sequence, final boolean endOfBatch)
    {
        event.clearResult();
        if (event.kind == WriteEvent.KIND_EPOCH_START)
        {
            appendPending();
            // What the window holds is from an earlier term: the log may have been truncated under it since.
            recent.clear();
            batchEpoch = epochSupplier.getAsInt();
            builder.reset(Math.max(0, batchEpoch), System.currentTimeMillis()).flags(BatchDescriptor.FLAG_EPOCH_START);
            builder.noop();
            add(event);
            appendPending();
        }
        else if (event.kind == WriteEvent.KIND_MEMBERS)
        {
            appendPending();
            batchEpoch = epochSupplier.getAsInt();
            builder.reset(Math.max(0, batchEpoch), System.currentTimeMillis()).flags(BatchDescriptor.FLAG_MEMBERSHIP);
            if (builder.append(RecordType.MEMBERS, false, 0, 0, null, 0, 0, event.payload, 0, event.valueLength))
            {
                add(event);
                appendPending();
            }
            else
            {
                builder.reset(Math.max(0, batchEpoch), 0);
                fail(event, "configuration of " + event.valueLength + " bytes exceeds " + NodeLimits.BATCH_MAX_BYTES_NAME +
                    "=" + builder.capacity());
            }
        }
        else if (event.isClientBatch())
        {
            addClientBatch(event);
            if (inBatchCount == inBatch.length)
            {
                appendPending();
            }
        }
        else
        {
            final boolean idempotent = event.idempotent;
            if (!builder.isEmpty() && !builder.fits(event.keyLength, event.valueLength, idempotent))
            {
                appendPending();
            }
            if (builder.isEmpty())
            {
                batchEpoch = epochSupplier.getAsInt();
                builder.reset(Math.max(0, batchEpoch), System.currentTimeMillis());
            }
            final ExpandableArrayBuffer payload = event.payload;
            try
            {
                if (!builder.append(RecordType.get(event.recordType), idempotent, event.clientId, event.sequence,
                    payload, 0, event.keyLength, payload, event.keyLength, event.valueLength))
                {
                    fail(event, "record of " + RecordDescriptor.recordLength(event.keyLength, event.valueLength,
                        idempotent) + " bytes exceeds " + NodeLimits.BATCH_MAX_BYTES_NAME + "=" + builder.capacity());
                }
                else
                {
                    add(event);
                }
            }
            catch (final IllegalArgumentException ex)
            {
                fail(event, ex.getMessage());
            }
            if (inBatchCount == inBatch.length)
            {
                appendPending();
            }
        }
        // The builder has copied the bytes: a lent buffer goes back to the pool, so the ring does not keep a
        // batch-sized buffer per slot. Done before the sequence is published below: from then on the conductor may
        // reuse the slot.
        event.releasePayload();
        if (endOfBatch)
        {
            appendPending();
            // Every event up to this one has its result: publish now (the processor would only after this
            // returns) so the conductor woken next finds them.
            if (null != sequenceCallback)
            {
                sequenceCallback.set(sequence);
            }
            resultsReady.run();
        }
    }

    /** The processor's own sequence, which the conductor's poller is gated on; set by the Disruptor at build. */
    @Override
    public void setSequenceCallback(final Sequence sequenceCallback)
    {
        this.sequenceCallback = sequenceCallback;
    }

    /**
     * The ring stayed empty for one fsync interval ({@link JournalWaitStrategy}): with {@code fsync=interval}
     * the last appends are not forced by any later append, so force them here. Commits advance from it with no
     * message: the conductor reads {@link SegmentedLog#durableEndOffset()} on every duty cycle.
     *
     * <p>Only while this node leads: as a follower the conductor appends and its flusher forces, and this thread
     * must not touch the log. A step-down racing this check is safe, as {@link SegmentedLog#flush()} is
     * serialised with truncation and may run beside a follower's appends.
     */
    @Override
    public void onTimeout(final long sequence)
    {
        if (epochSupplier.getAsInt() < 0)
        {
            return;
        }
        try
        {
            if (log.flushIfDue(epochClockMs.getAsLong()))
            {
                resultsReady.run(); // the durable end moved: acks and commits may advance
            }
        }
        catch (final LogshipException ex)
        {
            // The log is now failed (offline for appends); the conductor sees it and fences this node.
            logger.log(System.Logger.Level.ERROR, "timed fsync of the leader's log failed: " + ex.getMessage());
        }
    }

    /**
     * A client's batch goes into one log batch whole: behind the pending records if it fits there, else at the
     * start of the next, so its offsets are consecutive and it is stored or failed as one. Its keys and values
     * are read where the conductor copied the request, with no copy of their own; a batch the client encoded in
     * the log's format ({@link WriteEvent#KIND_LOG_BATCH}) is added with one copy of all its records.
     */
    private void addClientBatch(final WriteEvent event)
    {
        if (!builder.isEmpty() && builder.length() + event.batchRecordsLength > builder.capacity())
        {
            appendPending();
        }
        if (builder.isEmpty())
        {
            batchEpoch = epochSupplier.getAsInt();
            builder.reset(Math.max(0, batchEpoch), System.currentTimeMillis());
        }
        final int lengthBefore = builder.length();
        final int recordsBefore = builder.recordCount();
        String failure;
        try
        {
            failure = event.kind == WriteEvent.KIND_LOG_BATCH ? appendLogRecords(event) : appendRecords(event);
        }
        catch (final IllegalArgumentException ex)
        {
            failure = ex.getMessage();
        }
        if (null == failure)
        {
            add(event);
        }
        else
        {
            // The records before the failing one are in the builder: take them back, or the records of the
            // events behind this one would be stamped with their offsets.
            builder.truncate(lengthBefore, recordsBefore);
            fail(event, failure);
        }
    }

    /** Appends the batch's records to the builder; null, or why one did not fit. */
    private String appendRecords(final WriteEvent event)
    {
        final WriteBatchRequestDecoder.RecordsDecoder records =
            batchDecoder.wrapAndApplyHeader(event.payload, 0, headerDecoder).records();
        final long clientId = event.clientId;
        long sequence = event.sequence;
        while (records.hasNext())
        {
            records.next();
            final RecordType type = WriteEvent.logRecordType(records.recordType());
            records.wrapKey(key);
            records.wrapValue(value);
            if (!builder.append(type, true, clientId, sequence++, key, 0, key.capacity(), value, 0, value.capacity()))
            {
                return "batch of " + event.batchCount + " records (" + (BatchDescriptor.HEADER_LENGTH +
                    event.batchRecordsLength) + " bytes) exceeds " + NodeLimits.BATCH_MAX_BYTES_NAME + "=" +
                    builder.capacity();
            }
        }
        return null;
    }

    /** The records of a {@link WriteEvent#KIND_LOG_BATCH} slot, as they are; null, or why they did not fit. */
    private String appendLogRecords(final WriteEvent event)
    {
        if (!builder.appendRecords(event.payload, 0, event.batchRecordsLength, event.batchCount))
        {
            return "batch of " + event.batchCount + " records (" + (BatchDescriptor.HEADER_LENGTH +
                event.batchRecordsLength) + " bytes) exceeds " + NodeLimits.BATCH_MAX_BYTES_NAME + "=" +
                builder.capacity();
        }
        return null;
    }

    private void add(final WriteEvent event)
    {
        inBatch[inBatchCount++] = event;
    }

    private static void fail(final WriteEvent event, final String error)
    {
        event.result = WriteEvent.RESULT_FAILED;
        event.error = error;
    }

    private void appendPending()
    {
        if (builder.isEmpty())
        {
            return;
        }
        final int count = inBatchCount;
        final int epoch = epochSupplier.getAsInt();
        if (epoch < 0 || epoch != batchEpoch)
        {
            // The node stepped down (or led a new epoch) while these writes waited: appending them would put
            // records under an epoch another node may now lead. They fail; clients retry at the new leader.
            for (int i = 0; i < count; i++)
            {
                fail(inBatch[i], "node stepped down from epoch " + batchEpoch + " before the write was stored");
                inBatch[i] = null;
            }
            inBatchCount = 0;
            builder.reset(Math.max(0, epoch), 0);
            return;
        }
        try
        {
            final int length = builder.build();
            final long startNs = System.nanoTime();
            // Into the window first, with the base offset the append stamps (this thread is the log's only
            // appender): the conductor sees the log end move the moment the append returns, and a window that
            // got the batch only after it would send that read, of the tail page being written, to the log. The
            // conductor never takes a batch past the log end, so one whose append fails is never shipped.
            final long expectedBase = log.logEndOffset();
            BatchDescriptor.baseOffset(builder.buffer(), 0, expectedBase);
            recent.publish(builder.buffer(), 0, length, expectedBase, BatchDescriptor.nextOffset(builder.buffer(), 0));
            final long baseOffset = log.appendAsLeader(builder.buffer(), 0, length, false);
            appendLatency.record(System.nanoTime() - startNs);
            appended.run();
            final int appendedEpoch = BatchDescriptor.epoch(builder.buffer(), 0);
            long nextOffset = baseOffset;
            for (int i = 0; i < count; i++)
            {
                final WriteEvent event = inBatch[i];
                nextOffset += event.isClientBatch() ? event.batchCount : 1;
                event.result = WriteEvent.RESULT_APPENDED;
                event.offset = nextOffset - 1;
                event.epoch = appendedEpoch;
                inBatch[i] = null;
            }
            batchesAppended++;
            recordsAppended += nextOffset - baseOffset;
        }
        catch (final LogshipException ex)
        {
            logger.log(System.Logger.Level.ERROR, "append of " + count + " record(s) in epoch " + epoch + " failed: " +
                ex.getMessage());
            for (int i = 0; i < count; i++)
            {
                fail(inBatch[i], ex.getMessage());
                inBatch[i] = null;
            }
        }
        finally
        {
            inBatchCount = 0;
            builder.reset(epoch, 0);
        }
    }

    /** Append durations, recorded by the journal thread and exported by the metrics thread. */
    public LatencyHistogram appendLatency()
    {
        return appendLatency;
    }

    public long batchesAppended()
    {
        return batchesAppended;
    }

    public long recordsAppended()
    {
        return recordsAppended;
    }
}
