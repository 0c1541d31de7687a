package io.logship.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.logship.format.BatchBuilder;
import io.logship.format.BatchDescriptor;
import io.logship.kv.BackupFile;
import io.logship.kv.KeyValueStore;
import io.logship.kv.SnapshotInfo;
import io.logship.kv.SnapshotStore;
import io.logship.log.LogConfig;
import io.logship.log.NodeStateFile;
import io.logship.log.SegmentedLog;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code logship snapshot status} and {@code restore}, offline, on a backup of a store built here. */
class SnapshotCommandTest
{
    private static final int BATCHES = 5;
    private static final int RECORDS_PER_BATCH = 10;
    private static final long SNAPSHOT_OFFSET = BATCHES * RECORDS_PER_BATCH;

    @TempDir
    Path dir;

    private Path backup;

    @BeforeEach
    void writeBackup()
    {
        final SnapshotInfo snapshot;
        try (KeyValueStore store = KeyValueStore.open(dir.resolve("source/store"),
            new SnapshotStore(dir.resolve("source/snapshots"), 2)))
        {
            final BatchBuilder builder = new BatchBuilder(64 * 1024);
            for (int b = 0; b < BATCHES; b++)
            {
                builder.reset(3, 1000 + b);
                for (int r = 0; r < RECORDS_PER_BATCH; r++)
                {
                    final int i = b * RECORDS_PER_BATCH + r;
                    builder.put(key(i), value(i));
                }
                builder.build();
                BatchDescriptor.baseOffset(builder.buffer(), 0, (long)b * RECORDS_PER_BATCH);
                assertThat(store.apply(builder.buffer(), 0)).isTrue();
            }
            snapshot = store.takeSnapshot();
        }
        backup = dir.resolve("cluster.lsb");
        BackupFile.write(backup, snapshot.file(), 4, 2, 1_765_000_000_000L);
    }

    @Test
    void shouldPrintTheDocumentedStatusFieldsInOrder() throws Exception
    {
        final CliRun run = CliRun.run("snapshot", "status", backup.toString(), "--json");
        assertThat(run.exitCode()).as("%s", run).isZero();
        final JsonNode json = new ObjectMapper().readTree(run.out());
        final List<String> fields = new ArrayList<>();
        json.fieldNames().forEachRemaining(fields::add);
        assertThat(fields).containsExactly("file", "formatVersion", "snapshotOffset", "epoch", "nodeId", "keys",
            "dedupEntries", "createdMs", "created", "sizeBytes", "snapshotBytes", "crc32c", "checksumOk");
        assertThat(json.get("snapshotOffset").asLong()).isEqualTo(SNAPSHOT_OFFSET);
        assertThat(json.get("epoch").asInt()).isEqualTo(4);
        assertThat(json.get("nodeId").asInt()).isEqualTo(2);
        assertThat(json.get("keys").asLong()).isEqualTo(SNAPSHOT_OFFSET);
        assertThat(json.get("created").asText()).isEqualTo("2025-12-06T05:46:40Z");
        assertThat(json.get("sizeBytes").asLong()).isEqualTo(Files.size(backup));
        assertThat(json.get("crc32c").asText()).hasSize(8);
        assertThat(json.get("checksumOk").asBoolean()).isTrue();
    }

    @Test
    void shouldRestoreALogStartingAtTheSnapshotOffsetTheEpochAndEveryKey()
    {
        final Path data = dir.resolve("node-1-data");
        final CliRun run = CliRun.run("snapshot", "restore", backup.toString(), "--dir", data.toString());
        assertThat(run.exitCode()).as("%s", run).isZero();
        assertThat(run.out()).contains("log starts at offset " + SNAPSHOT_OFFSET + ", epoch 4");

        try (SegmentedLog log = SegmentedLog.open(new LogConfig().directory(data.resolve("log"))))
        {
            assertThat(log.logStartOffset()).isEqualTo(SNAPSHOT_OFFSET);
            assertThat(log.logEndOffset()).isEqualTo(SNAPSHOT_OFFSET);
        }
        final NodeStateFile.State state = new NodeStateFile(data.resolve("node-state")).read();
        assertThat(state.epoch()).isEqualTo(4);
        assertThat(state.votedFor()).isEqualTo(NodeStateFile.NONE);
        try (KeyValueStore store = KeyValueStore.open(data.resolve("store"), new SnapshotStore(data.resolve("snapshots"), 2)))
        {
            assertThat(store.appliedOffset()).isEqualTo(SNAPSHOT_OFFSET);
            for (int i = 0; i < SNAPSHOT_OFFSET; i++)
            {
                assertThat(store.get(key(i))).as("key %d", i).isEqualTo(value(i));
            }
        }

        final CliRun again = CliRun.run("snapshot", "restore", backup.toString(), "--dir", data.toString());
        assertThat(again.exitCode()).as("%s", again).isEqualTo(AdminCli.EXIT_FAILED);
        assertThat(again.err()).contains("already holds node data").contains("log/").contains("node-state");
    }

    @Test
    void shouldRefuseACorruptFileAndLeaveTheDirectoryUntouched() throws Exception
    {
        try (FileChannel channel = FileChannel.open(backup, StandardOpenOption.WRITE))
        {
            channel.write(ByteBuffer.wrap(new byte[] {0x7f}), BackupFile.HEADER_LENGTH + 60);
        }
        final Path data = dir.resolve("node-1-data");
        final CliRun restore = CliRun.run("snapshot", "restore", backup.toString(), "--dir", data.toString());
        assertThat(restore.exitCode()).as("%s", restore).isEqualTo(AdminCli.EXIT_FAILED);
        assertThat(restore.err()).contains("is corrupt: body CRC32C").contains("nothing was written to " + data);
        assertThat(data).doesNotExist();

        final CliRun status = CliRun.run("snapshot", "status", backup.toString());
        assertThat(status.exitCode()).isEqualTo(AdminCli.EXIT_FAILED);
        assertThat(status.err()).contains("body CRC32C");
    }

    private static byte[] key(final int i)
    {
        return ("key-" + i).getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] value(final int i)
    {
        return ("value of key " + i).getBytes(StandardCharsets.US_ASCII);
    }
}
