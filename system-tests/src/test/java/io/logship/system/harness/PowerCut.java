package io.logship.system.harness;

import io.logship.format.BatchDescriptor;
import io.logship.log.LogConfig;
import io.logship.log.PowerCutJournal;
import io.logship.format.RecordCursor;
import io.logship.format.RecordType;
import io.logship.log.SegmentedLog;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Simulated power cuts of {@code logshipd} nodes, for {@code PowerCutSystemTest}. A node {@link #enable}d here runs
 * with log-store's {@link PowerCutJournal} (the {@value PowerCutJournal#PROPERTY} system property, a journal directory
 * beside the node's data directory), which records every force, rename, delete and directory fsync the node makes.
 * {@link #cut} SIGKILLs the given nodes together (one {@code kill} right after the other, before waiting for either),
 * and once all are dead cuts each one's data directory back to what it had made durable (see the journal's javadoc for
 * what the model does and does not capture). {@link #records} reads a stopped node's log from its files.
 *
 * <p>Used from the test thread only.
 */
public final class PowerCut
{
    private PowerCut()
    {
    }

    /** Makes every later start of {@code nodeId} record its durable steps; call before the node first starts. */
    public static Path enable(final TestCluster cluster, final int nodeId)
    {
        final Path journal = cluster.dir().resolve("node-" + nodeId + "-powercut");
        cluster.node(nodeId).addJvmOption("-D" + PowerCutJournal.PROPERTY + "=" + journal);
        return journal;
    }

    /**
     * Gives {@code nodeId} a slower disk: each of its file forces returns {@code delayMs} later (see
     * {@link PowerCutJournal#FORCE_DELAY_PROPERTY}). Call with {@link #enable}, before the node first starts.
     */
    public static void slowDisk(final TestCluster cluster, final int nodeId, final long delayMs)
    {
        cluster.node(nodeId).addJvmOption("-D" + PowerCutJournal.FORCE_DELAY_PROPERTY + "=" + delayMs);
    }

    /**
     * Power-cuts the nodes at the same moment: SIGKILL to all of them before waiting for any, then, with every one of
     * them dead, each data directory loses what its node had not made durable. Returns the cut's report per node.
     */
    public static Map<Integer, List<String>> cut(final TestCluster cluster, final int... nodeIds)
    {
        return cut(cluster, PowerCutJournal.PendingNames.UNDONE, nodeIds);
    }

    /**
     * As {@link #cut(TestCluster, int...)}, with the file system keeping or undoing the names no directory fsync made
     * durable ({@link PowerCutJournal.PendingNames}).
     */
    public static Map<Integer, List<String>> cut(final TestCluster cluster,
        final PowerCutJournal.PendingNames pendingNames, final int... nodeIds)
    {
        final List<ProcessHandle> handles = new ArrayList<>();
        for (final int id : nodeIds)
        {
            final NodeProcess node = cluster.node(id);
            if (!node.isRunning())
            {
                throw new IllegalStateException("cannot power-cut " + node + ": it is not running");
            }
            handles.add(ProcessHandle.of(node.pid()).orElseThrow());
        }
        handles.forEach(ProcessHandle::destroyForcibly);
        for (final ProcessHandle handle : handles)
        {
            try
            {
                handle.onExit().get(NodeProcess.STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            }
            catch (final Exception ex)
            {
                throw new AssertionError("process " + handle.pid() + " survived SIGKILL", ex);
            }
        }
        final Map<Integer, List<String>> reports = new HashMap<>();
        for (final int id : nodeIds)
        {
            final NodeProcess node = cluster.node(id);
            node.deleteLeftovers();
            try
            {
                final List<String> report = PowerCutJournal.simulatePowerCut(
                    cluster.dir().resolve("node-" + id + "-powercut"), node.dataDir(), pendingNames);
                reports.put(id, report);
                Files.writeString(node.logFile(), "=== harness: node " + id + " power-cut (SIGKILL, then its files cut " +
                    "back to what it had made durable):" + System.lineSeparator() +
                    String.join(System.lineSeparator(), report) + System.lineSeparator(),
                    StandardCharsets.UTF_8, StandardOpenOption.APPEND);
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException("cannot simulate the power cut of node " + id, ex);
            }
        }
        return reports;
    }

    /** One PUT as it lies in a node's log. */
    public record StoredPut(String key, long valueCrc)
    {
    }

    /**
     * Every PUT in the log of a stopped node, by offset, read from its segment files (the copying read verifies each
     * batch's CRC32C).
     */
    public static Map<Long, StoredPut> records(final NodeProcess node)
    {
        if (node.isRunning())
        {
            throw new IllegalStateException("read the log of " + node + " only once it has stopped");
        }
        final Map<Long, StoredPut> puts = new HashMap<>();
        final LogConfig config = new LogConfig().directory(node.dataDir().resolve("log"));
        try (SegmentedLog log = SegmentedLog.open(config))
        {
            final ByteBuffer buffer = ByteBuffer.allocateDirect(BatchDescriptor.MAX_BATCH_LENGTH);
            final UnsafeBuffer view = new UnsafeBuffer(buffer);
            final RecordCursor cursor = new RecordCursor();
            long from = log.logStartOffset();
            while (from < log.logEndOffset())
            {
                buffer.clear();
                final int bytes = log.read(from, 1024 * 1024, buffer);
                int position = 0;
                while (position < bytes)
                {
                    cursor.wrap(view, position);
                    while (cursor.next())
                    {
                        if (RecordType.PUT == cursor.type())
                        {
                            puts.put(cursor.offset(), new StoredPut(new String(cursor.keyBytes(), StandardCharsets.US_ASCII),
                                AckedWrites.crc(cursor.valueBytes())));
                        }
                    }
                    from = BatchDescriptor.nextOffset(view, position);
                    position += BatchDescriptor.length(view, position);
                }
            }
        }
        return puts;
    }

    /**
     * Checks every acknowledged write in {@code [0, issued)} against the logs read by {@link #records}: on every node,
     * at its acknowledged offset, the key and the value written. Returns the number of writes checked; throws listing
     * the first mismatches per node.
     */
    public static int assertEveryAcknowledgedWriteOnEveryNode(final AckedWrites writes, final int issued,
        final Map<Integer, Map<Long, StoredPut>> logs)
    {
        final List<String> problems = new ArrayList<>();
        int checked = 0;
        for (int i = 0; i < issued; i++)
        {
            if (!writes.isAcked(i))
            {
                continue;
            }
            checked++;
            final String key = new String(writes.key(i), StandardCharsets.US_ASCII);
            final long crc = AckedWrites.crc(writes.value(i));
            for (final Map.Entry<Integer, Map<Long, StoredPut>> log : logs.entrySet())
            {
                final StoredPut stored = log.getValue().get(writes.offset(i));
                if (null == stored || !stored.key().equals(key) || stored.valueCrc() != crc)
                {
                    problems.add("write " + i + " (" + key + ", acknowledged at offset " + writes.offset(i) + " in epoch " +
                        writes.epoch(i) + ") on node " + log.getKey() + ": " + (null == stored ? "no PUT at that offset" :
                        "found " + stored));
                }
            }
        }
        if (!problems.isEmpty())
        {
            throw new AssertionError(problems.size() + " acknowledged write(s) missing or different after the power " +
                "cut (of " + checked + " checked on " + logs.keySet() + "); first: " +
                String.join(System.lineSeparator() + "  ", problems.subList(0, Math.min(20, problems.size()))));
        }
        return checked;
    }
}
