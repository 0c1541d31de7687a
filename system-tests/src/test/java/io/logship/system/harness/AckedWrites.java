package io.logship.system.harness;

import io.logship.client.LogshipClient;
import io.logship.client.ReadConsistency;
import io.logship.client.ReadResult;
import io.logship.client.WriteResult;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.CRC32C;

/**
 * The record of a workload's acknowledged writes: write {@code i} puts key {@code <prefix>-i} with a 100-byte value
 * derived from {@code (prefix, i)} (so nothing but the CRC needs keeping), and every acknowledgement is kept as
 * (offset, epoch, value CRC). Writes are pipelined through one client. {@link #assertExactlyOnceOnEveryNode} checks
 * every write against every node's whole committed log; {@link #verifyReads} reads writes back through a node's store
 * with read-your-writes consistency. Thread-safe for one writer thread plus readers of the acked state.
 */
public final class AckedWrites
{
    public static final int VALUE_LENGTH = 100;

    private final String prefix;
    private final long[] offsets;
    private final int[] epochs;
    private final AtomicInteger acked = new AtomicInteger();
    private final AtomicInteger failed = new AtomicInteger();
    private final AtomicReference<Throwable> firstFailure = new AtomicReference<>();
    private volatile int issued;

    public AckedWrites(final String prefix, final int capacity)
    {
        this.prefix = prefix;
        this.offsets = new long[capacity];
        this.epochs = new int[capacity];
        java.util.Arrays.fill(offsets, -1);
    }

    public byte[] key(final int i)
    {
        return (prefix + "-" + i).getBytes(StandardCharsets.US_ASCII);
    }

    /** 100 bytes that depend on (prefix, i): deterministic, so a read can be checked by CRC. */
    public byte[] value(final int i)
    {
        final byte[] value = new byte[VALUE_LENGTH];
        long x = (prefix.hashCode() * 0x9E3779B97F4A7C15L) ^ (i * 0xC2B2AE3D27D4EB4FL) ^ 0x165667B19E3779F9L;
        for (int b = 0; b < VALUE_LENGTH; b++)
        {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            value[b] = (byte)x;
        }
        return value;
    }

    public static long crc(final byte[] bytes)
    {
        final CRC32C crc = new CRC32C();
        crc.update(bytes);
        return crc.getValue();
    }

    /**
     * Issues writes {@code [from, to)} through the client, pipelined (the client blocks at its maxInFlight), and records
     * each acknowledgement as it arrives. Returns the futures; failures are counted, not thrown.
     */
    public List<CompletableFuture<WriteResult>> write(final LogshipClient client, final int from, final int to)
    {
        final List<CompletableFuture<WriteResult>> futures = new ArrayList<>(to - from);
        for (int i = from; i < to && !Thread.currentThread().isInterrupted(); i++)
        {
            final int index = i;
            final CompletableFuture<WriteResult> future = client.put(key(i), value(i));
            issued = i + 1;
            // Keep the dependent stage: it completes only after the acknowledgement has been recorded.
            futures.add(future.whenComplete((result, error) ->
            {
                if (null == error)
                {
                    offsets[index] = result.offset();
                    epochs[index] = result.epoch();
                    acked.incrementAndGet();
                }
                else
                {
                    failed.incrementAndGet();
                    firstFailure.compareAndSet(null, error);
                }
            }));
        }
        return futures;
    }

    /** Waits (bounded) for every future to complete, successfully or not. */
    public static void awaitAll(final List<CompletableFuture<WriteResult>> futures, final long timeoutSeconds)
    {
        try
        {
            CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).handle((r, e) -> null)
                .get(timeoutSeconds, TimeUnit.SECONDS);
        }
        catch (final Exception ex)
        {
            throw new AssertionError("writes did not all complete within " + timeoutSeconds + " s", ex);
        }
    }

    public boolean isAcked(final int i)
    {
        return offsets[i] >= 0;
    }

    public long offset(final int i)
    {
        return offsets[i];
    }

    public int epoch(final int i)
    {
        return epochs[i];
    }

    public int ackedCount()
    {
        return acked.get();
    }

    public int failedCount()
    {
        return failed.get();
    }

    public Throwable firstFailure()
    {
        return firstFailure.get();
    }

    public int issued()
    {
        return issued;
    }

    /**
     * Reads back every acknowledged write with index in {@code indexes} from {@code nodeId}, with
     * {@code minOffset(acked offset)}: it must be found, carry the acknowledged offset as its value offset, and have the
     * written value. Returns the number of reads checked; throws listing the first mismatches.
     */
    public int verifyReads(final LogshipClient client, final int nodeId, final Iterable<Integer> indexes)
    {
        final List<CompletableFuture<String>> checks = new ArrayList<>();
        for (final int i : indexes)
        {
            if (!isAcked(i))
            {
                continue;
            }
            final long offset = offsets[i];
            final long expectedCrc = crc(value(i));
            checks.add(client.get(nodeId, key(i), ReadConsistency.minOffset(offset)).handle((ReadResult r, Throwable e) ->
            {
                if (null != e)
                {
                    return "write " + i + " (offset " + offset + "): read from node " + nodeId + " failed: " + e;
                }
                if (!r.found())
                {
                    return "write " + i + " (offset " + offset + "): not found on node " + nodeId + " (applied " +
                        r.appliedOffset() + ")";
                }
                if (r.valueOffset() != offset || crc(r.value()) != expectedCrc)
                {
                    return "write " + i + " (offset " + offset + "): node " + nodeId + " returned value offset " +
                        r.valueOffset() + ", value CRC " + crc(r.value()) + " (expected " + expectedCrc + ")";
                }
                return null;
            }));
        }
        final List<String> mismatches = new ArrayList<>();
        for (final CompletableFuture<String> check : checks)
        {
            final String mismatch = check.join();
            if (null != mismatch)
            {
                mismatches.add(mismatch);
            }
        }
        if (!mismatches.isEmpty())
        {
            throw new AssertionError(mismatches.size() + " of " + checks.size() + " acknowledged writes did not read " +
                "back from node " + nodeId + "; first: " + mismatches.subList(0, Math.min(10, mismatches.size())));
        }
        return checks.size();
    }

    /**
     * The exact check of one node's log, write by write, for writes {@code [0, count)}: each acknowledged write is in
     * the log exactly once, at its acknowledged offset, with its key and value (CRC32C); each write that was not
     * acknowledged (failed, or never issued) is there at most once, and with its value if it is. Returns the number of
     * acknowledged writes checked; throws listing the first mismatches.
     */
    public int assertExactlyOnceIn(final CommittedLog log, final int count)
    {
        final List<String> mismatches = new ArrayList<>();
        int checked = 0;
        for (int i = 0; i < count; i++)
        {
            final String key = new String(key(i), StandardCharsets.US_ASCII);
            final List<Long> found = log.offsetsOf(key);
            final long expectedCrc = crc(value(i));
            if (isAcked(i))
            {
                checked++;
                if (found.size() != 1 || found.get(0) != offsets[i] || log.valueCrc(offsets[i]) != expectedCrc)
                {
                    mismatches.add("write " + i + " acknowledged at offset " + offsets[i] + ": in node " +
                        log.nodeId() + "'s log at " + found + (found.contains(offsets[i]) ? " with value CRC " +
                        log.valueCrc(offsets[i]) + " (expected " + expectedCrc + ")" : ""));
                }
            }
            else if (found.size() > 1 || found.size() == 1 && log.valueCrc(found.get(0)) != expectedCrc)
            {
                mismatches.add("write " + i + " (not acknowledged) in node " + log.nodeId() + "'s log at " + found +
                    " (at most once, with value CRC " + expectedCrc + ")");
            }
            if (mismatches.size() >= 10)
            {
                break;
            }
        }
        if (!mismatches.isEmpty())
        {
            throw new AssertionError("node " + log.nodeId() + "'s committed log [0, " + log.endOffset() + ") does " +
                "not hold the " + prefix + " writes as acknowledged; first: " + mismatches);
        }
        return checked;
    }

    /**
     * Waits until every running node has caught up, then reads each one's whole committed log and applies
     * {@link #assertExactlyOnceIn} to it: no write is sampled, no node skipped. Returns the leader's status at the end
     * of the wait.
     */
    public io.logship.client.NodeStatus assertExactlyOnceOnEveryNode(final TestCluster cluster, final int count)
    {
        final io.logship.client.NodeStatus leader = cluster.awaitCaughtUp();
        for (final int nodeId : cluster.runningNodeIds())
        {
            final CommittedLog log = CommittedLog.read(cluster.client(), nodeId, leader.commitOffset());
            assertExactlyOnceIn(log, count);
        }
        return leader;
    }

    /** Indexes {@code i % every == 0} in [0, count) plus the last {@code last}. */
    public static List<Integer> sample(final int count, final int every, final int last)
    {
        final List<Integer> indexes = new ArrayList<>();
        for (int i = 0; i < count; i++)
        {
            if (i % every == 0 || i >= count - last)
            {
                indexes.add(i);
            }
        }
        return indexes;
    }

    /** Every acknowledged index in [0, count). */
    public List<Integer> ackedIndexes(final int count)
    {
        final List<Integer> indexes = new ArrayList<>();
        for (int i = 0; i < count; i++)
        {
            if (isAcked(i))
            {
                indexes.add(i);
            }
        }
        return indexes;
    }
}
