package io.logship.node.write;

import io.logship.LogshipException;
import io.logship.format.BatchDescriptor;
import io.logship.format.RecordCursor;
import io.logship.format.RecordDescriptor;
import io.logship.node.NodeConfig;
import io.logship.node.ReplicatedLog;
import io.logship.node.Role;
import io.logship.transport.codec.RecordType;
import io.logship.transport.codec.Status;
import io.logship.transport.codec.WriteBatchRequestDecoder;
import org.agrona.DirectBuffer;

/**
 * The one check of client writes, single or batched: whether this node takes writes now (with the status
 * and message the client gets, naming the leader when one is known) and whether each record is a PUT or
 * DELETE that fits one log batch. Conductor thread only.
 */
public final class WriteValidator
{
    /** Why a write is refused: the status sent and its message. */
    public record Refusal(Status status, String message)
    {
    }

    private final ReplicatedLog partition;
    private final NodeConfig config;
    private volatile boolean stopping;
    /** Switchover under way: the leader keeps its role and replicates, but takes no new writes. */
    private boolean writesStopped;
    private long writesStoppedAtNs;
    private long batchRecordsLength;
    private final RecordCursor cursor = new RecordCursor();

    public WriteValidator(final ReplicatedLog partition, final NodeConfig config)
    {
        this.partition = partition;
        this.config = config;
    }

    /** A clean stop is under way: writes are refused UNAVAILABLE (retryable) from now on. */
    public void stopping()
    {
        stopping = true;
    }

    public boolean isStopping()
    {
        return stopping;
    }

    /** A switchover started (or, with {@code false}, ended): writes are paused meanwhile. */
    public void writesStopped(final boolean stopped, final long nowNs)
    {
        writesStopped = stopped;
        if (stopped)
        {
            writesStoppedAtNs = nowNs;
        }
    }

    /** Marks when a switchover was asked for (the status note counts from there). */
    public void switchoverRequested(final long nowNs)
    {
        writesStoppedAtNs = nowNs;
    }

    public boolean writesStopped()
    {
        return writesStopped;
    }

    public long writesStoppedAtNs()
    {
        return writesStoppedAtNs;
    }

    /** Why this node takes no writes now (stopping, not the leader, fenced, switchover, lease), or null. */
    public Refusal notTaking(final long nowNs)
    {
        final int nodeId = partition.nodeId();
        if (stopping)
        {
            return new Refusal(Status.UNAVAILABLE, "node " + nodeId + " is stopping; retry at the next leader");
        }
        final Role role = partition.role();
        if (role == Role.FENCED)
        {
            return new Refusal(Status.FENCED, "node " + nodeId + " is fenced after a storage failure and takes no writes");
        }
        if (role != Role.LEADER)
        {
            final int leaderId = partition.leaderId();
            return new Refusal(Status.NOT_LEADER, "node " + nodeId + " is not the leader; " + (leaderId > 0 ?
                "node " + leaderId + " leads epoch " + partition.epoch() :
                "no leader is known in epoch " + partition.epoch() + " (an election may be under way)"));
        }
        if (writesStopped)
        {
            return new Refusal(Status.UNAVAILABLE, "node " + nodeId +
                " is handing leadership over (switchover); retry in a moment");
        }
        if (!partition.election().acceptsWrites(ReplicatedLog.nowMs(nowNs)))
        {
            return new Refusal(Status.UNAVAILABLE, "node " + nodeId + " leads epoch " + partition.epoch() +
                " but has not heard from a majority within its lease; retry in a moment");
        }
        return null;
    }

    /** What is wrong with one record, or null: a PUT or DELETE whose key and value fit one log batch. */
    public String recordProblem(final RecordType type, final int keyLength, final int valueLength)
    {
        final String problem = keyProblem(type, keyLength);
        return null != problem ? problem : valueProblem(keyLength, valueLength);
    }

    /** The record type and key length alone (a decoder reads the value length only after the key). */
    public String keyProblem(final RecordType type, final int keyLength)
    {
        if (type != RecordType.PUT && type != RecordType.DELETE)
        {
            return "recordType " + type + " is invalid: expected PUT or DELETE";
        }
        if (keyLength > RecordDescriptor.MAX_KEY_LENGTH)
        {
            return "key length " + keyLength + " exceeds the limit of " + RecordDescriptor.MAX_KEY_LENGTH + " bytes";
        }
        return null;
    }

    public String valueProblem(final int keyLength, final int valueLength)
    {
        if (valueLength > RecordDescriptor.MAX_VALUE_LENGTH || RecordDescriptor.recordLength(keyLength, valueLength,
            true) + BatchDescriptor.HEADER_LENGTH > config.batchMaxBytes())
        {
            return "value length " + valueLength + " exceeds the limit of " + Math.min(RecordDescriptor.MAX_VALUE_LENGTH,
                config.batchMaxBytes() - BatchDescriptor.HEADER_LENGTH - RecordDescriptor.recordLength(keyLength, 0,
                true)) + " bytes (" + NodeConfig.BATCH_MAX_BYTES_PROP + "=" + config.batchMaxBytes() + ")";
        }
        return null;
    }

    /**
     * First pass over a batch: a size the ring can take, a sequence, and every record valid; the first
     * problem found, or null. Reads the records through, leaving the decoder's limit at the message's end:
     * the caller re-wraps them to copy them. Also sums what the records take in a log batch
     * ({@link #batchRecordsLength()}), so the caller learns whether they fit one without another pass.
     */
    public String batchProblem(final WriteBatchRequestDecoder.RecordsDecoder records, final long firstSequence)
    {
        batchRecordsLength = 0;
        final int count = records.count();
        if (count == 0 || firstSequence <= 0)
        {
            return "a batch needs at least one record and a sequence above 0";
        }
        if (count > config.ringSize() / 2)
        {
            return "a batch of " + count + " records exceeds half the write ring (" +
                NodeConfig.RING_SIZE_PROP + "=" + config.ringSize() + ")";
        }
        String problem = null;
        long length = 0;
        while (records.hasNext())
        {
            records.next();
            final RecordType type = records.recordType();
            final int keyLength = records.keyLength();
            records.skipKey();
            final int valueLength = records.valueLength();
            records.skipValue();
            length += RecordDescriptor.recordLength(keyLength, valueLength, true);
            if (null == problem)
            {
                problem = recordProblem(type, keyLength, valueLength);
            }
        }
        batchRecordsLength = length;
        return problem;
    }

    /**
     * What is wrong with a client's batch in the log's format ({@code WriteLogBatch}), or null: a whole batch
     * ({@code length} bytes at byte 0 of {@code batch}) whose length field, magic and CRC32C hold, with no flags,
     * a record count the ring can take, and only PUT and DELETE records, each idempotent with {@code clientId}
     * and the next sequence from {@code firstSequence}, a DELETE without a value, and each record fitting one
     * log batch. The first problem found, named with the record's index; allocates only then.
     */
    public String logBatchProblem(final DirectBuffer batch, final int length, final long clientId,
        final long firstSequence)
    {
        final String invalid = BatchDescriptor.validate(batch, 0, length);
        if (null != invalid)
        {
            return "batch refused: " + invalid;
        }
        if (BatchDescriptor.length(batch, 0) != length)
        {
            return "batch length field " + BatchDescriptor.length(batch, 0) + " but the message carries " + length +
                " bytes";
        }
        final short flags = BatchDescriptor.flags(batch, 0);
        if (0 != flags)
        {
            return "batch flags " + flags + ": a client's batch carries none";
        }
        final int count = BatchDescriptor.recordCount(batch, 0);
        if (firstSequence <= 0)
        {
            return "a batch needs a sequence above 0";
        }
        if (count > config.ringSize() / 2)
        {
            return "a batch of " + count + " records exceeds half the write ring (" +
                NodeConfig.RING_SIZE_PROP + "=" + config.ringSize() + ")";
        }
        cursor.wrap(batch, 0);
        long sequence = firstSequence;
        try
        {
            for (int index = 0; cursor.next(); index++, sequence++)
            {
                final io.logship.format.RecordType type = cursor.type();
                if (type != io.logship.format.RecordType.PUT && type != io.logship.format.RecordType.DELETE)
                {
                    return "record " + index + " is a " + type + ": expected PUT or DELETE";
                }
                if (!cursor.idempotent() || cursor.clientId() != clientId || cursor.sequence() != sequence)
                {
                    return "record " + index + " carries " + (cursor.idempotent() ? "client " + cursor.clientId() +
                        " sequence " + cursor.sequence() : "no client id and sequence") + ": expected client " +
                        clientId + " sequence " + sequence;
                }
                if (type == io.logship.format.RecordType.DELETE && cursor.valueLength() != 0)
                {
                    return "record " + index + " is a DELETE with a value of " + cursor.valueLength() + " bytes";
                }
                final String problem = valueProblem(cursor.keyLength(), cursor.valueLength());
                if (null != problem)
                {
                    return "record " + index + ": " + problem;
                }
            }
        }
        catch (final LogshipException ex)
        {
            return "batch refused: " + ex.getMessage();
        }
        return null;
    }

    /**
     * Bytes the records of the batch last passed to {@link #batchProblem} take in a log batch as idempotent
     * records, the batch header not included; 0 if that batch was refused before its records were read.
     */
    public long batchRecordsLength()
    {
        return batchRecordsLength;
    }
}
