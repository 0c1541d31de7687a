package io.logship.node.pipeline;

import com.lmax.disruptor.EventFactory;
import io.logship.format.RecordType;
import org.agrona.ExpandableArrayBuffer;

/**
 * One slot of the leader's write ring, pre-allocated and reused. The conductor (the single
 * producer) fills the request fields; the {@link JournalHandler} appends it and fills the result
 * fields; the conductor reads the result back through its poller once the journal has passed the
 * slot. The key and value (or a whole client batch) live in {@link #payload}: the slot's own buffer, which keeps at
 * most about {@link #SLOT_PAYLOAD_BYTES}, or for anything larger one lent by the ring's {@link PayloadPool} and given
 * back by the journal, so steady traffic allocates nothing and the ring does not pin a batch-sized buffer per slot.
 * The conductor writes a payload only into {@link #payloadFor}'s buffer.
 */
public final class WriteEvent
{
    /** Kinds of slot. */
    public static final byte KIND_WRITE = 1;
    /** Opens a leader epoch: one NOOP record in a batch of its own, flagged as the epoch start. */
    public static final byte KIND_EPOCH_START = 2;
    /**
     * A cluster configuration change: one MEMBERS record (its value in {@link #payload}, {@link #valueLength} bytes)
     * in a batch of its own, flagged {@code FLAG_MEMBERSHIP} (docs/DESIGN.md#membership).
     */
    public static final byte KIND_MEMBERS = 3;
    /**
     * A client's WriteBatchRequest in one slot: {@link #payload} holds the SBE message from its header on
     * ({@link #valueLength} bytes), its {@link #batchCount} records take {@link #batchRecordsLength} bytes in a
     * log batch and are appended into one log batch, all or none, with sequences {@link #sequence} and up.
     * The result's {@link #offset} is the last record's.
     */
    public static final byte KIND_WRITE_BATCH = 4;
    /**
     * A client's WriteLogBatch in one slot: {@link #payload} holds its {@link #batchCount} records as the client
     * encoded them in the log's format, {@link #batchRecordsLength} bytes, checked by the conductor, with
     * sequences {@link #sequence} and up. The journal adds them to a log batch whole, in one copy. The result's
     * {@link #offset} is the last record's.
     */
    public static final byte KIND_LOG_BATCH = 5;

    /** Result: appended and durable per the log's fsync policy. */
    public static final byte RESULT_APPENDED = 1;
    /** Result: the append failed; {@link #error} says why; nothing of this record is in the log. */
    public static final byte RESULT_FAILED = 2;

    /**
     * Payload bytes a slot's own buffer holds: a record's key and value up to about 2 KiB, or a small client batch;
     * larger payloads get a buffer lent by the pool. 8,192 slots of this size are 16 MiB at most.
     */
    public static final int SLOT_PAYLOAD_BYTES = 2048;

    // request, written by the conductor
    public byte kind;
    public long correlationId;
    public long clientId;
    /** With a client sequence: de-duplicated, and the id and sequence are stored in the record. */
    public boolean idempotent;
    public long sequence;
    public byte ackLevel;
    public byte recordType;
    public long deadlineNs;
    /**
     * On the last slot of a client batch, or its one {@link #KIND_WRITE_BATCH} or {@link #KIND_LOG_BATCH} slot: its
     * records; 0 otherwise.
     */
    public int batchCount;
    /** True on every record of a client batch in slots of their own but the last: those get no reply of their own. */
    public boolean batchMember;
    public int keyLength;
    public int valueLength;
    /** {@link #KIND_WRITE_BATCH}, {@link #KIND_LOG_BATCH}: bytes its records take in a log batch, the header not included. */
    public int batchRecordsLength;
    /** The payload's buffer: the slot's own, or one the pool lent. The conductor writes it via {@link #payloadFor}. */
    public ExpandableArrayBuffer payload;
    private ExpandableArrayBuffer own = new ExpandableArrayBuffer(256);
    private final PayloadPool pool;

    // result, written by the journal
    public byte result;
    public long offset;
    public int epoch;
    public String error;

    /** The slots of one ring: their large payloads (client batches up to {@code batchMaxBytes}) share one pool. */
    public static EventFactory<WriteEvent> slots(final int batchMaxBytes)
    {
        final PayloadPool pool = new PayloadPool(PayloadPool.DEFAULT_CAPACITY, batchMaxBytes);
        return () -> new WriteEvent(pool);
    }

    /** A slot whose large payloads borrow from {@code pool}, shared by every slot of one ring. */
    public WriteEvent(final PayloadPool pool)
    {
        this.pool = pool;
        this.payload = own;
    }

    /** A slot with a pool of its own (tests that fill slots by hand). */
    public WriteEvent()
    {
        this(new PayloadPool(1, SLOT_PAYLOAD_BYTES));
    }

    /**
     * The buffer to write a payload of {@code length} bytes into, at offset 0, and the one {@link #payload} names
     * from now on: the slot's own up to {@link #SLOT_PAYLOAD_BYTES}, else one the pool lends. Conductor only.
     */
    public ExpandableArrayBuffer payloadFor(final int length)
    {
        if (length > SLOT_PAYLOAD_BYTES && payload == own)
        {
            payload = pool.lend(length);
        }
        return payload;
    }

    /**
     * The journal has copied the payload: a lent buffer goes back to the pool, and an own buffer grown past its size
     * (written without {@link #payloadFor}) is replaced. Journal only, before the slot is released to the conductor.
     */
    void releasePayload()
    {
        if (payload != own)
        {
            pool.giveBack(payload);
            payload = own;
        }
        else if (own.capacity() > 2 * SLOT_PAYLOAD_BYTES)
        {
            own = new ExpandableArrayBuffer(256);
            payload = own;
        }
    }

    /** How a client's PUT or DELETE is stored; the client may send no other type (WriteValidator refuses them). */
    public static RecordType logRecordType(final io.logship.transport.codec.RecordType type)
    {
        return type == io.logship.transport.codec.RecordType.PUT ? RecordType.PUT : RecordType.DELETE;
    }

    /** A client batch in one slot, of either kind: its {@link #batchCount} records share this slot's result. */
    public boolean isClientBatch()
    {
        return kind == KIND_WRITE_BATCH || kind == KIND_LOG_BATCH;
    }

    void clearResult()
    {
        result = 0;
        offset = -1;
        error = null;
    }
}
