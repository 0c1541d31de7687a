package io.logship.system.harness;

import io.logship.client.LogshipClient;
import io.logship.client.TailBatch;
import io.logship.client.TailRecord;
import io.logship.format.RecordType;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One node's committed log {@code [0, end)}, read whole with {@code tail} (512 KiB per request, every batch's CRC
 * checked by the client) and kept as (type, key, CRC32C of the value) per offset: the evidence the exact checks compare
 * acknowledged writes against, record by record, instead of sampling them through the store. About 100 bytes of heap
 * per record (100k records: ~10 MB). Built and used on the test thread.
 */
public final class CommittedLog
{
    private static final int TAIL_BYTES = 1 << 20;

    private final int nodeId;
    private final long endOffset;
    private final RecordType[] types;
    private final String[] keys;
    private final long[] valueCrcs;
    private Map<String, List<Long>> offsetsByKey;

    private CommittedLog(final int nodeId, final long endOffset)
    {
        if (endOffset > Integer.MAX_VALUE)
        {
            throw new IllegalArgumentException("endOffset=" + endOffset + ": too large to keep in memory");
        }
        this.nodeId = nodeId;
        this.endOffset = endOffset;
        this.types = new RecordType[(int)endOffset];
        this.keys = new String[(int)endOffset];
        this.valueCrcs = new long[(int)endOffset];
    }

    /**
     * Reads {@code [0, endOffset)} from {@code nodeId}: every offset must be there, in order, with no gap (the tests
     * using it run without retention, so the log starts at 0), and committed at that node.
     */
    public static CommittedLog read(final LogshipClient client, final int nodeId, final long endOffset)
    {
        final CommittedLog log = new CommittedLog(nodeId, endOffset);
        long next = 0;
        while (next < endOffset)
        {
            final TailBatch batch = client.tail(nodeId, next, TAIL_BYTES);
            if (batch.commitOffset() < endOffset)
            {
                throw new AssertionError("node " + nodeId + " has committed up to " + batch.commitOffset() +
                    ", below " + endOffset + ": wait for it to catch up before reading its log");
            }
            if (batch.records().isEmpty())
            {
                throw new AssertionError("tail of node " + nodeId + " from offset " + next + " returned no record " +
                    "(next offset " + batch.nextOffset() + ", log start " + batch.logStartOffset() + ")");
            }
            for (final TailRecord record : batch.records())
            {
                if (record.offset() != next)
                {
                    throw new AssertionError("node " + nodeId + ": record at offset " + record.offset() + " where " +
                        next + " was expected (offsets must be dense from 0; log start " + batch.logStartOffset() + ")");
                }
                if (next < endOffset)
                {
                    final int at = (int)next;
                    log.types[at] = record.type();
                    log.keys[at] = null == record.key() ? "" : new String(record.key(), StandardCharsets.UTF_8);
                    log.valueCrcs[at] = AckedWrites.crc(null == record.value() ? new byte[0] : record.value());
                }
                next++;
            }
        }
        return log;
    }

    public int nodeId()
    {
        return nodeId;
    }

    public long endOffset()
    {
        return endOffset;
    }

    public RecordType type(final long offset)
    {
        return types[checked(offset)];
    }

    /** The key at {@code offset} ("" for a NOOP). */
    public String key(final long offset)
    {
        return keys[checked(offset)];
    }

    public long valueCrc(final long offset)
    {
        return valueCrcs[checked(offset)];
    }

    public int count(final RecordType type)
    {
        int count = 0;
        for (final RecordType t : types)
        {
            count += t == type ? 1 : 0;
        }
        return count;
    }

    /** Every offset holding a non-NOOP record with this key, ascending (empty if none). */
    public List<Long> offsetsOf(final String key)
    {
        return offsetsByKey().getOrDefault(key, List.of());
    }

    /** The keys held at more than one offset, with their offsets (at most {@code limit} of them). */
    public List<String> duplicateKeys(final int limit)
    {
        return offsetsByKey().entrySet().stream().filter(e -> e.getValue().size() > 1)
            .map(e -> e.getKey() + " at " + e.getValue()).limit(limit).toList();
    }

    /** The number of distinct keys of non-NOOP records. */
    public int distinctKeys()
    {
        return offsetsByKey().size();
    }

    private Map<String, List<Long>> offsetsByKey()
    {
        if (null == offsetsByKey)
        {
            offsetsByKey = new HashMap<>();
            for (int i = 0; i < keys.length; i++)
            {
                if (types[i] != RecordType.NOOP)
                {
                    offsetsByKey.computeIfAbsent(keys[i], k -> new ArrayList<>(1)).add((long)i);
                }
            }
        }
        return offsetsByKey;
    }

    private int checked(final long offset)
    {
        if (offset < 0 || offset >= endOffset)
        {
            throw new AssertionError("offset " + offset + " is outside node " + nodeId + "'s log read [0, " +
                endOffset + ")");
        }
        return (int)offset;
    }
}
