package io.logship.system;

import io.logship.client.LogshipClient;
import io.logship.client.ReadConsistency;
import io.logship.client.ReadResult;
import io.logship.client.WriteResult;
import io.logship.system.harness.AdminCliProcess;
import io.logship.system.harness.Json;
import io.logship.system.harness.SystemTestWatcher;
import io.logship.system.harness.TestCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Backup and restore with real processes (docs/DESIGN.md#backup): {@code logship snapshot save} from a cluster under
 * quorum writes, {@code snapshot status}, and {@code snapshot restore} into a fresh cluster that serves every key
 * acknowledged below the snapshot's offset; a corrupt copy is refused and writes nothing.
 */
class SnapshotSystemTest
{
    private static final Duration CLI_TIMEOUT = Duration.ofSeconds(60);
    private static final List<String> STATUS_FIELDS = List.of("file", "formatVersion", "snapshotOffset", "epoch",
        "nodeId", "keys", "dedupEntries", "createdMs", "created", "sizeBytes", "snapshotBytes", "crc32c", "checksumOk");

    @RegisterExtension
    final SystemTestWatcher watcher = new SystemTestWatcher();

    /** One acknowledged write: key, value and the offset the leader gave it. */
    private record Acked(String key, String value, long offset)
    {
    }

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void shouldSaveUnderQuorumLoadAndRestoreIntoAFreshClusterThatServesEveryAcknowledgedKey() throws Exception
    {
        final TestCluster source = watcher.cluster(3).start();
        final ConcurrentLinkedQueue<Acked> acked = new ConcurrentLinkedQueue<>();
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicReference<Throwable> writerFailure = new AtomicReference<>();
        final LogshipClient writerClient = source.client();
        final Thread writer = new Thread(() ->
        {
            try
            {
                for (int i = 0; !stop.get(); i++)
                {
                    final String key = "backup-" + i;
                    final String value = "value of " + key + " " + "x".repeat(i % 50);
                    final WriteResult result = writerClient.put(key.getBytes(StandardCharsets.UTF_8),
                        value.getBytes(StandardCharsets.UTF_8)).get(10, TimeUnit.SECONDS);
                    acked.add(new Acked(key, value, result.offset()));
                }
            }
            catch (final Throwable ex)
            {
                writerFailure.set(ex);
            }
        }, "snapshot-test-writer");
        writer.start();
        try
        {
            io.logship.system.harness.Poll.until("200 acknowledged writes before the save", Duration.ofSeconds(30),
                () -> acked.size() >= 200 || null != writerFailure.get());
            final Path backup = source.dir().resolve("cluster.lsb");
            final AdminCliProcess.Result save = AdminCliProcess.run(source.dir(), CLI_TIMEOUT, "snapshot", "save",
                backup.toString(), "--json", "--config", source.node(1).configFile().toString());
            assertThat(save.exitCode()).as("%s", save).isZero();
            assertThat(backup).exists();
            assertThat(backup.resolveSibling("cluster.lsb.tmp")).doesNotExist();
            assertThat(backup.resolveSibling("cluster.lsb.part")).doesNotExist();
            final int writtenDuringSave = acked.size();
            io.logship.system.harness.Poll.until("more writes after the save", Duration.ofSeconds(30),
                () -> acked.size() > writtenDuringSave + 50 || null != writerFailure.get());
            stop.set(true);
            writer.join(TimeUnit.SECONDS.toMillis(30));
            assertThat(writerFailure.get()).as("the writer under the save").isNull();

            // snapshot status --json: every documented field, in order, and the leader as the source.
            final AdminCliProcess.Result status = AdminCliProcess.run(source.dir(), CLI_TIMEOUT, "snapshot", "status",
                backup.toString(), "--json");
            assertThat(status.exitCode()).as("%s", status).isZero();
            final Json info = Json.parse(status.stdout(), "snapshot status --json");
            assertThat(info.fieldNames()).as("%s", info).isEqualTo(STATUS_FIELDS);
            assertThat(info.getBoolean("checksumOk")).isTrue();
            assertThat(info.getInt("formatVersion")).isEqualTo(1);
            assertThat(info.getInt("nodeId")).as("saved from the leader by default").isEqualTo(source.leaderId());
            assertThat(info.getInt("epoch")).isPositive();
            final long snapshotOffset = info.getLong("snapshotOffset");
            final List<Acked> covered = acked.stream().filter(a -> a.offset() < snapshotOffset).toList();
            assertThat(covered.size()).as("writes below snapshot offset %d", snapshotOffset).isGreaterThanOrEqualTo(200);
            assertThat(info.getLong("keys")).as("%s", info).isGreaterThanOrEqualTo(covered.size());
            assertThat(info.getLong("sizeBytes")).isEqualTo(Files.size(backup));

            // A corrupt copy: refused with a clear message, the data directory untouched.
            final Path corrupt = source.dir().resolve("corrupt.lsb");
            Files.copy(backup, corrupt);
            flipByte(corrupt, Files.size(corrupt) / 2);
            final Path untouched = source.dir().resolve("restore-corrupt");
            final AdminCliProcess.Result refused = AdminCliProcess.run(source.dir(), CLI_TIMEOUT, "snapshot", "restore",
                corrupt.toString(), "--dir", untouched.toString());
            assertThat(refused.exitCode()).as("%s", refused).isEqualTo(1);
            assertThat(refused.stderr()).as("%s", refused).contains("is corrupt").contains("CRC32C")
                .contains("nothing was written");
            assertThat(untouched).doesNotExist();
            // A fresh 3-node cluster, every node restored from the same file.
            final TestCluster restored = watcher.cluster(3).start(new int[0]);
            for (final int id : restored.nodeIds())
            {
                final AdminCliProcess.Result restore = AdminCliProcess.run(restored.dir(), CLI_TIMEOUT, "snapshot",
                    "restore", backup.toString(), "--dir", restored.node(id).dataDir().toString());
                assertThat(restore.exitCode()).as("%s", restore).isZero();
            }
            for (final int id : restored.nodeIds())
            {
                restored.node(id).start();
            }
            restored.awaitCaughtUp();
            for (final int id : restored.nodeIds())
            {
                assertThat(restored.status(id).logStartOffset()).as("node %d's log start", id).isEqualTo(snapshotOffset);
            }
            final LogshipClient reader = restored.client();
            for (final Acked write : covered)
            {
                final ReadResult read = reader.get(write.key().getBytes(StandardCharsets.UTF_8),
                    ReadConsistency.leader()).get(10, TimeUnit.SECONDS);
                assertThat(read.found()).as("key %s acknowledged at offset %d", write.key(), write.offset()).isTrue();
                assertThat(new String(read.value(), StandardCharsets.UTF_8)).as("key %s", write.key())
                    .isEqualTo(write.value());
            }
            final Acked sample = covered.get(covered.size() - 1);
            final AdminCliProcess.Result get = AdminCliProcess.run(restored.dir(), CLI_TIMEOUT, "get", sample.key(),
                "--config", restored.node(2).configFile().toString());
            assertThat(get.exitCode()).as("%s", get).isZero();
            assertThat(get.stdout()).contains(sample.key() + " = " + sample.value());
        }
        finally
        {
            stop.set(true);
            writer.join(TimeUnit.SECONDS.toMillis(30));
        }
    }

    private static void flipByte(final Path file, final long position) throws Exception
    {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE))
        {
            final ByteBuffer one = ByteBuffer.allocate(1);
            channel.read(one, position);
            one.put(0, (byte)(one.get(0) ^ 0x40)).rewind();
            channel.write(one, position);
        }
    }
}
