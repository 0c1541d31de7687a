package io.logship.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.logship.LogshipException;
import io.logship.cli.json.JsonOutput;
import io.logship.client.LogshipClient;
import io.logship.client.LogshipClientException;
import io.logship.client.SnapshotChunk;
import io.logship.kv.BackupFile;
import io.logship.kv.BackupInfo;
import io.logship.kv.CorruptSnapshotException;
import io.logship.kv.SnapshotInfo;
import io.logship.log.LogConfig;
import io.logship.log.NodeStateFile;
import io.logship.log.SegmentedLog;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * {@code logship snapshot save|status|restore}: backups of the store (docs/DESIGN.md#backup). {@code save} pulls a
 * fresh snapshot from a running node over the authenticated admin stream into a {@link BackupFile};
 * {@code status} checks one and prints what it holds; {@code restore} seeds an empty data directory from one.
 */
@Command(name = "snapshot", mixinStandardHelpOptions = true,
    description = "Back up the store of a running node to a file, check such a file, or restore a data directory " +
        "from it.",
    subcommands = {SnapshotCommand.SaveCommand.class, SnapshotCommand.StatusSubcommand.class,
        SnapshotCommand.RestoreCommand.class})
public final class SnapshotCommand extends CliCommand implements Runnable
{
    static final long DEFAULT_TIMEOUT_MS = 10_000;

    @Override
    public void run()
    {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required: save, status, restore");
    }

    /** {@code logship snapshot save FILE}. */
    @Command(name = "save", mixinStandardHelpOptions = true,
        description = {"Save a consistent point-in-time copy of the store of a running node to FILE: the node takes " +
            "a fresh snapshot of every committed record it has applied, and it is streamed over the authenticated " +
            "admin channel. FILE holds the snapshot, the offset and epoch it covers, and CRC32C checksums; it is " +
            "written as FILE.tmp and renamed once complete, so a failed save leaves no FILE.",
            "Exit codes: 0 saved, 1 failed (no FILE written), 2 usage."})
    public static final class SaveCommand extends CliCommand implements Callable<Integer>
    {
        private static final int CHUNK_BYTES = 256 * 1024;

        @Mixin
        ClusterOptions cluster;

        @Parameters(index = "0", paramLabel = "FILE", description = "The backup file to write.")
        Path file;

        @Option(names = "--node", paramLabel = "ID",
            description = "The node to copy from. Default: the leader if it answers, else the first node that does.")
        Integer nodeId;

        @Option(names = "--force", description = "Replace FILE if it exists.")
        boolean force;

        @Option(names = "--json", description = "Print one JSON object (the fields of snapshot status --json).")
        boolean json;

        @Override
        public Integer call()
        {
            if (Files.exists(file) && !force)
            {
                throw usage(file + " exists: pass --force to replace it, or choose another name");
            }
            final ClusterOptions.Target target = cluster.resolve(DEFAULT_TIMEOUT_MS);
            target.requireSecret("snapshot save");
            if (null != nodeId)
            {
                target.node(nodeId);
            }
            final Path absolute = file.toAbsolutePath();
            final Path part = absolute.resolveSibling(absolute.getFileName() + ".part");
            try (LogshipClient client = target.connect())
            {
                final int source = null != nodeId ? nodeId : chooseNode(target, client);
                final BackupInfo info = save(client, source, target.timeoutMs(), absolute, part);
                if (json)
                {
                    printJson(StatusSubcommand.toJson(info));
                }
                else
                {
                    println("saved " + absolute + " from node " + info.nodeId() + ": offset " + info.snapshotOffset() +
                        ", epoch " + info.epoch() + ", " + info.entryCount() + " keys, " + info.sizeBytes() +
                        " bytes, CRC32C " + String.format("%08x", info.bodyCrc32c()));
                }
            }
            finally
            {
                deleteQuietly(part);
            }
            return AdminCli.EXIT_OK;
        }

        /** The leader if it answers, else the first node that does. */
        private static int chooseNode(final ClusterOptions.Target target, final LogshipClient client)
        {
            final List<StatusCommand.NodeReport> reports = StatusCommand.collect(target, client);
            Integer first = null;
            for (final StatusCommand.NodeReport report : reports)
            {
                if (report.reachable())
                {
                    if ("LEADER".equals(report.status().role()))
                    {
                        return report.status().nodeId();
                    }
                    first = null == first ? report.status().nodeId() : first;
                }
            }
            if (null == first)
            {
                throw new CliException(AdminCli.EXIT_FAILED, "no node answered within " + target.timeoutMs() +
                    " ms: " + target.describe());
            }
            return first;
        }

        private static BackupInfo save(final LogshipClient client, final int source, final long timeoutMs,
            final Path file, final Path part)
        {
            final long exportId = new SecureRandom().nextLong() & Long.MAX_VALUE | 1;
            try (FileChannel out = FileChannel.open(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING))
            {
                // The node takes the snapshot on its apply thread; ask until it is ready.
                final long takenBy = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
                SnapshotChunk chunk = client.snapshotChunk(source, exportId, 0, CHUNK_BYTES);
                while (chunk.isPending())
                {
                    if (System.nanoTime() - takenBy > 0)
                    {
                        throw new CliException(AdminCli.EXIT_FAILED, "node " + source + " did not finish taking " +
                            "the snapshot within " + timeoutMs + " ms (--timeout-ms); nothing was written");
                    }
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
                    chunk = client.snapshotChunk(source, exportId, 0, CHUNK_BYTES);
                }
                final long total = chunk.totalLength();
                final long offset = chunk.snapshotOffset();
                final int epoch = chunk.epoch();
                long position = 0;
                while (true)
                {
                    if (chunk.position() != position || chunk.totalLength() != total ||
                        chunk.snapshotOffset() != offset || chunk.exportId() != exportId)
                    {
                        throw new CliException(AdminCli.EXIT_FAILED, "node " + source + " answered export " +
                            chunk.exportId() + " at byte " + chunk.position() + " of " + chunk.totalLength() +
                            " (offset " + chunk.snapshotOffset() + "), expected export " + exportId + " at byte " +
                            position + " of " + total + " (offset " + offset + "); nothing was written");
                    }
                    final ByteBuffer data = ByteBuffer.wrap(chunk.data());
                    while (data.hasRemaining())
                    {
                        out.write(data, position + data.position());
                    }
                    position += chunk.data().length;
                    if (position >= total)
                    {
                        break;
                    }
                    if (chunk.data().length == 0)
                    {
                        throw new CliException(AdminCli.EXIT_FAILED, "node " + source + " sent no bytes at byte " +
                            position + " of " + total + "; nothing was written");
                    }
                    chunk = client.snapshotChunk(source, exportId, position, CHUNK_BYTES);
                }
                out.force(true);
                out.close();
                try
                {
                    return BackupFile.write(file, part, epoch, source, System.currentTimeMillis());
                }
                catch (final CorruptSnapshotException ex)
                {
                    throw new CliException(AdminCli.EXIT_FAILED, "the snapshot received from node " + source +
                        " does not verify (" + ex.getMessage() + "); nothing was written");
                }
            }
            catch (final LogshipClientException ex)
            {
                throw new CliException(AdminCli.EXIT_FAILED, "node " + source + ": " + ex.getMessage() +
                    "; nothing was written", ex);
            }
            catch (final IOException ex)
            {
                throw new CliException(AdminCli.EXIT_FAILED, "cannot write " + part + ": " + ex +
                    "; nothing was written", ex);
            }
            finally
            {
                try
                {
                    client.releaseSnapshot(source, exportId);
                }
                catch (final LogshipClientException ignored)
                {
                    // The node closes an idle export by itself once another save starts.
                }
            }
        }
    }

    /** {@code logship snapshot status FILE [--json]}. */
    @Command(name = "status", mixinStandardHelpOptions = true,
        description = {"Check FILE (every checksum) and print what it holds: the offset and epoch it covers, keys, " +
            "size, when and from which node it was saved.",
            "--json prints one object: file, formatVersion, snapshotOffset (the store covers records [0, " +
                "snapshotOffset); a restored log starts there), epoch, nodeId (the node it was saved from), keys, " +
                "dedupEntries (clients whose last sequence is kept), createdMs and created (ISO-8601 UTC), " +
                "sizeBytes, snapshotBytes, crc32c (hex, of the snapshot), checksumOk (true); for a corrupt file " +
                "only file, checksumOk (false) and error.",
            "Exit codes: 0 the file is intact, 1 it is corrupt or unreadable, 2 usage."})
    public static final class StatusSubcommand extends CliCommand implements Callable<Integer>
    {
        @Parameters(index = "0", paramLabel = "FILE", description = "A file written by snapshot save.")
        Path file;

        @Option(names = "--json", description = "Print one JSON object.")
        boolean json;

        @Override
        public Integer call()
        {
            final BackupInfo info;
            try
            {
                info = BackupFile.verify(file);
            }
            catch (final LogshipException ex)
            {
                if (json)
                {
                    printJson(JsonOutput.object().put("file", file.toString()).put("checksumOk", false)
                        .put("error", ex.getMessage()));
                    return AdminCli.EXIT_FAILED;
                }
                throw new CliException(AdminCli.EXIT_FAILED, ex.getMessage());
            }
            if (json)
            {
                printJson(toJson(info));
            }
            else
            {
                println("file:            " + info.file());
                println("snapshot offset: " + info.snapshotOffset() + " (records [0, " + info.snapshotOffset() + "))");
                println("epoch:           " + info.epoch());
                println("saved from node: " + info.nodeId());
                println("keys:            " + info.entryCount());
                println("dedup entries:   " + info.dedupCount());
                println("created:         " + Instant.ofEpochMilli(info.createdMs()));
                println("size:            " + info.sizeBytes() + " bytes (snapshot " + info.snapshotBytes() + ")");
                println("checksum:        ok (CRC32C " + String.format("%08x", info.bodyCrc32c()) + ")");
            }
            return AdminCli.EXIT_OK;
        }

        static ObjectNode toJson(final BackupInfo info)
        {
            return JsonOutput.object()
                .put("file", info.file().toString())
                .put("formatVersion", BackupFile.VERSION)
                .put("snapshotOffset", info.snapshotOffset())
                .put("epoch", info.epoch())
                .put("nodeId", info.nodeId())
                .put("keys", info.entryCount())
                .put("dedupEntries", info.dedupCount())
                .put("createdMs", info.createdMs())
                .put("created", Instant.ofEpochMilli(info.createdMs()).toString())
                .put("sizeBytes", info.sizeBytes())
                .put("snapshotBytes", info.snapshotBytes())
                .put("crc32c", String.format("%08x", info.bodyCrc32c()))
                .put("checksumOk", true);
        }
    }

    /** {@code logship snapshot restore FILE --dir DATA_DIR}. */
    @Command(name = "restore", mixinStandardHelpOptions = true,
        description = {"Seed the data directory of a stopped node from FILE: checks every checksum of FILE first " +
            "(a corrupt file changes nothing), refuses a DATA_DIR that already holds node data, then writes the " +
            "store snapshot, an empty log starting at the snapshot's offset and the snapshot's epoch, so a node " +
            "started on DATA_DIR serves every key the snapshot covers.",
            "A whole new cluster: restore the same FILE into each node's data directory, then start the nodes; " +
                "they agree on the start offset and epoch, and elect a leader (automatic failover, or " +
                "logship promote ID).",
            "Exit codes: 0 restored, 1 refused or failed, 2 usage."})
    public static final class RestoreCommand extends CliCommand implements Callable<Integer>
    {
        @Parameters(index = "0", paramLabel = "FILE", description = "A file written by snapshot save.")
        Path file;

        @Option(names = "--dir", required = true, paramLabel = "DATA_DIR",
            description = "The node's data directory (logship.node.data.dir); missing or empty.")
        Path dir;

        @Override
        public Integer call()
        {
            final BackupInfo info;
            try
            {
                info = BackupFile.verify(file);
            }
            catch (final LogshipException ex)
            {
                throw new CliException(AdminCli.EXIT_FAILED, ex.getMessage() + "; nothing was written to " + dir);
            }
            final List<String> held = nodeData(dir);
            if (!held.isEmpty())
            {
                throw new CliException(AdminCli.EXIT_FAILED, dir + " already holds node data (" +
                    String.join(", ", held) + "): restore only into a missing or empty data directory; nothing " +
                    "was written");
            }
            final SnapshotInfo snapshot;
            try
            {
                Files.createDirectories(dir);
                snapshot = BackupFile.extractSnapshot(file, dir.resolve(DataDirectory.SNAPSHOTS));
                try (SegmentedLog log = SegmentedLog.open(new LogConfig().directory(dir.resolve(DataDirectory.LOG))))
                {
                    if (info.snapshotOffset() > 0)
                    {
                        log.truncateFullyAndStartAt(info.snapshotOffset());
                    }
                }
                new NodeStateFile(dir.resolve(DataDirectory.NODE_STATE)).write(
                    new NodeStateFile.State(info.epoch(), NodeStateFile.NONE, NodeStateFile.NONE));
            }
            catch (final IOException | LogshipException ex)
            {
                throw new CliException(AdminCli.EXIT_FAILED, "restoring " + file + " into " + dir + " failed: " +
                    ex.getMessage() + " (remove " + dir + " before trying again)", ex);
            }
            println("restored " + file + " into " + dir.toAbsolutePath() + ": " + snapshot.entryCount() +
                " keys, log starts at offset " + info.snapshotOffset() + ", epoch " + info.epoch());
            println("start the node on it; for a new cluster, restore the same file into every node's data " +
                "directory first");
            return AdminCli.EXIT_OK;
        }

        /** What in {@code dir} belongs to a node (a non-empty log, store or snapshots directory, the state file). */
        static List<String> nodeData(final Path dir)
        {
            final List<String> held = new ArrayList<>();
            if (!Files.isDirectory(dir))
            {
                return held;
            }
            for (final String name : List.of(DataDirectory.LOG, DataDirectory.STORE, DataDirectory.SNAPSHOTS))
            {
                final Path child = dir.resolve(name);
                if (Files.isDirectory(child) && !isEmpty(child))
                {
                    held.add(name + "/" + (DataDirectory.LOG.equals(name) ? " (a log)" : ""));
                }
            }
            if (Files.exists(dir.resolve(DataDirectory.NODE_STATE)))
            {
                held.add(DataDirectory.NODE_STATE);
            }
            return held;
        }

        private static boolean isEmpty(final Path directory)
        {
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory))
            {
                return !entries.iterator().hasNext();
            }
            catch (final IOException ex)
            {
                throw new CliException(AdminCli.EXIT_FAILED, "cannot list " + directory + ": " + ex);
            }
        }
    }

    static void deleteQuietly(final Path file)
    {
        try
        {
            Files.deleteIfExists(file);
        }
        catch (final IOException ignored)
        {
            // A leftover .part file holds nothing a restore would read: restore reads only complete backups.
        }
    }
}
