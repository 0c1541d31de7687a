package io.logship.cli;

import io.logship.format.BatchBuilder;
import io.logship.format.BatchDescriptor;
import io.logship.log.LogConfig;
import io.logship.log.Quarantine;
import io.logship.format.RecordType;
import io.logship.log.SegmentedLog;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Base64;
import java.util.List;
import java.util.zip.CRC32C;

import static org.assertj.core.api.Assertions.assertThat;

class QuarantineCommandTest
{
    private static final long TIMESTAMP = 1_700_000_000_000L;
    private static final byte[] BINARY_VALUE = { (byte)0xff, 0x00, 0x10 };
    private static final byte[] BINARY_KEY = { 0x01, (byte)0xfe };

    @TempDir
    Path dataDir;

    private final BatchBuilder builder = new BatchBuilder(64 * 1024);

    private SegmentedLog openLog()
    {
        return SegmentedLog.open(new LogConfig().directory(dataDir.resolve("log")));
    }

    private static byte[] utf8(final String text)
    {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static long crc(final byte[] bytes)
    {
        final CRC32C crc = new CRC32C();
        crc.update(bytes);
        return crc.getValue();
    }

    /**
     * Offsets 0-1: a batch of filler; 2: epoch-start NOOP (epoch 3); 3-5: PUT colour=blue, DELETE size,
     * idempotent PUT bin=BINARY_VALUE (client 42, sequence 7); 6: PUT BINARY_KEY="line1\nline2 ...long".
     */
    private void appendRecords(final SegmentedLog log)
    {
        builder.reset(1, TIMESTAMP);
        builder.put(utf8("old-1"), utf8("a"));
        builder.put(utf8("old-2"), utf8("b"));
        log.appendAsLeader(builder.buffer(), 0, builder.build());

        builder.reset(3, TIMESTAMP + 1).flags(BatchDescriptor.FLAG_EPOCH_START).noop();
        log.appendAsLeader(builder.buffer(), 0, builder.build());

        builder.reset(3, TIMESTAMP + 2);
        builder.put(utf8("colour"), utf8("blue"));
        builder.delete(utf8("size"));
        builder.append(RecordType.PUT, true, 42, 7, new UnsafeBuffer(utf8("bin")), 0, 3,
            new UnsafeBuffer(BINARY_VALUE), 0, BINARY_VALUE.length);
        log.appendAsLeader(builder.buffer(), 0, builder.build());

        builder.reset(3, TIMESTAMP + 3);
        builder.put(BINARY_KEY, utf8("line1\nline2 and then a value longer than the preview shows"));
        log.appendAsLeader(builder.buffer(), 0, builder.build());
    }

    /** Saves offsets [2, 7) as node 1 cutting for leader 2 in epoch 7. */
    private Path quarantine()
    {
        try (SegmentedLog log = openLog())
        {
            appendRecords(log);
            return Quarantine.save(log, 2, dataDir.resolve(Quarantine.DIRECTORY_NAME), 1, 2, 7,
                "diverged from leader 2 after offset 1");
        }
    }

    @Test
    void shouldPrintAHeaderBlockAndOneLinePerRecord()
    {
        final Path file = quarantine();

        final CliRun run = CliRun.run("quarantine", "show", "--dir", dataDir.toString());

        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.err()).isEmpty();
        final String longValue = "line1\nline2 and then a value longer than the preview shows";
        assertThat(run.out().lines().toList()).containsExactly(
            file.getFileName().toString(),
            "  node:        1",
            "  created at:  " + java.time.Instant.ofEpochMilli(createdAt(file)),
            "  new leader:  2 in epoch 7",
            "  offsets:     [2, 7)",
            "  reason:      diverged from leader 2 after offset 1",
            "  records:     5",
            "  offset 2 epoch 3 NOOP key= value=0 bytes crc32c=00000000",
            String.format("  offset 3 epoch 3 PUT key=colour value=4 bytes crc32c=%08x \"blue\"", crc(utf8("blue"))),
            "  offset 4 epoch 3 DELETE key=size value=0 bytes crc32c=00000000",
            String.format("  offset 5 epoch 3 PUT key=bin value=3 bytes crc32c=%08x 0xff0010 client=42 seq=7",
                crc(BINARY_VALUE)),
            String.format("  offset 6 epoch 3 PUT key=0x01fe value=%d bytes crc32c=%08x " +
                "\"line1.line2 and then a value longer than\"...", utf8(longValue).length, crc(utf8(longValue))));
    }

    @Test
    void shouldPrintOneJsonObjectPerRecordWithStableFields()
    {
        final Path file = quarantine();
        final String name = file.getFileName().toString();

        final CliRun run = CliRun.run("quarantine", "show", "--dir", dataDir.toString(), "--json");

        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.err()).isEmpty();
        final String longValue = "line1\nline2 and then a value longer than the preview shows";
        assertThat(run.out().lines().toList()).containsExactly(
            "{\"file\":\"" + name + "\",\"offset\":2,\"epoch\":3,\"type\":\"NOOP\",\"key\":\"\",\"keyEncoding\":\"utf-8\"," +
                "\"valueLength\":0,\"valueCrc32c\":0,\"value\":\"\",\"valueEncoding\":\"utf-8\",\"clientId\":null," +
                "\"sequence\":null,\"batchTimestampMs\":" + (TIMESTAMP + 1) + "}",
            "{\"file\":\"" + name + "\",\"offset\":3,\"epoch\":3,\"type\":\"PUT\",\"key\":\"colour\",\"keyEncoding\":" +
                "\"utf-8\",\"valueLength\":4,\"valueCrc32c\":" + crc(utf8("blue")) + ",\"value\":\"blue\"," +
                "\"valueEncoding\":\"utf-8\",\"clientId\":null,\"sequence\":null,\"batchTimestampMs\":" +
                (TIMESTAMP + 2) + "}",
            "{\"file\":\"" + name + "\",\"offset\":4,\"epoch\":3,\"type\":\"DELETE\",\"key\":\"size\",\"keyEncoding\":" +
                "\"utf-8\",\"valueLength\":0,\"valueCrc32c\":0,\"value\":\"\",\"valueEncoding\":\"utf-8\"," +
                "\"clientId\":null,\"sequence\":null,\"batchTimestampMs\":" + (TIMESTAMP + 2) + "}",
            "{\"file\":\"" + name + "\",\"offset\":5,\"epoch\":3,\"type\":\"PUT\",\"key\":\"bin\",\"keyEncoding\":" +
                "\"utf-8\",\"valueLength\":3,\"valueCrc32c\":" + crc(BINARY_VALUE) + ",\"value\":\"" +
                Base64.getEncoder().encodeToString(BINARY_VALUE) + "\",\"valueEncoding\":\"base64\",\"clientId\":42," +
                "\"sequence\":7,\"batchTimestampMs\":" + (TIMESTAMP + 2) + "}",
            "{\"file\":\"" + name + "\",\"offset\":6,\"epoch\":3,\"type\":\"PUT\",\"key\":\"" +
                Base64.getEncoder().encodeToString(BINARY_KEY) + "\",\"keyEncoding\":\"base64\",\"valueLength\":" +
                utf8(longValue).length + ",\"valueCrc32c\":" + crc(utf8(longValue)) + ",\"value\":\"" +
                longValue.replace("\n", "\\n") + "\",\"valueEncoding\":\"utf-8\",\"clientId\":null,\"sequence\":null," +
                "\"batchTimestampMs\":" + (TIMESTAMP + 3) + "}");
    }

    @Test
    void shouldFindTheDataDirectoryInTheNodeConfigAndShowOneFile() throws IOException
    {
        final Path file = quarantine();
        final Path config = Files.writeString(dataDir.resolve("node1.conf"),
            "logship.node.id=1\nlogship.node.data.dir=" + dataDir + "\n");
        final CliRun byDir = CliRun.run("quarantine", "show", "--dir", dataDir.toString(), "--json");

        final CliRun byConfig = CliRun.run("quarantine", "show", "--config", config.toString(), "--json");
        final CliRun oneFile = CliRun.run("quarantine", "show", "--config", config.toString(), "--json",
            "--file", file.getFileName().toString());
        final CliRun quarantineDirItself = CliRun.run("quarantine", "show", "--dir", file.getParent().toString(),
            "--json", "--file", file.toString());

        assertThat(byConfig.exitCode()).as(byConfig.err()).isZero();
        assertThat(byConfig.out()).isEqualTo(byDir.out()).contains("\"offset\":6");
        assertThat(oneFile.out()).isEqualTo(byDir.out());
        assertThat(quarantineDirItself.out()).isEqualTo(byDir.out());
    }

    @Test
    void shouldSaySoWhenNothingIsQuarantined()
    {
        final Path quarantineDir = dataDir.resolve(Quarantine.DIRECTORY_NAME);

        final CliRun text = CliRun.run("quarantine", "show", "--dir", dataDir.toString());
        final CliRun json = CliRun.run("quarantine", "show", "--dir", dataDir.toString(), "--json");

        assertThat(text.exitCode()).isZero();
        assertThat(text.out().strip()).isEqualTo("no quarantined records in " + quarantineDir);
        assertThat(text.err()).isEmpty();
        assertThat(json.exitCode()).isZero();
        assertThat(json.out()).as("stdout holds only JSON lines").isEmpty();
        assertThat(json.err().strip()).isEqualTo("no quarantined records in " + quarantineDir);
    }

    @Test
    void shouldPrintTheGoodFilesThenNameTheDamagedOneAndFail() throws IOException
    {
        final Path damaged;
        final Path good;
        try (SegmentedLog log = openLog())
        {
            appendRecords(log);
            damaged = Quarantine.save(log, 2, dataDir.resolve(Quarantine.DIRECTORY_NAME), 1, 2, 7, "first");
            good = Quarantine.save(log, 3, dataDir.resolve(Quarantine.DIRECTORY_NAME), 1, 2, 7, "second");
        }
        final Path junk = Files.writeString(dataDir.resolve("quarantine/quarantine-20000101T000000000Z-0-1.qlog"),
            "not written by Quarantine.save: ".repeat(4));
        assertThat(Quarantine.list(dataDir.resolve(Quarantine.DIRECTORY_NAME))).containsExactly(junk, damaged, good);
        // The second batch of the damaged file (offsets 3-5): its first batch, the NOOP at 2, is intact.
        final long secondBatch;
        try (FileChannel channel = FileChannel.open(damaged, StandardOpenOption.READ, StandardOpenOption.WRITE))
        {
            final ByteBuffer header = ByteBuffer.allocate(BatchDescriptor.HEADER_LENGTH)
                .order(BatchDescriptor.BYTE_ORDER);
            final long first;
            try (Quarantine.Reader reader = Quarantine.read(damaged))
            {
                first = reader.header().headerLength();
            }
            channel.read(header, first);
            secondBatch = first + header.getInt(BatchDescriptor.LENGTH_OFFSET);
            final ByteBuffer one = ByteBuffer.allocate(1);
            channel.read(one, secondBatch + BatchDescriptor.HEADER_LENGTH + 4);
            one.put(0, (byte)(one.get(0) ^ 0x5A)).rewind();
            channel.write(one, secondBatch + BatchDescriptor.HEADER_LENGTH + 4);
        }

        final CliRun text = CliRun.run("quarantine", "show", "--dir", dataDir.toString());
        final CliRun json = CliRun.run("quarantine", "show", "--dir", dataDir.toString(), "--json");

        for (final CliRun run : List.of(text, json))
        {
            assertThat(run.exitCode()).isEqualTo(AdminCli.EXIT_FAILED);
            assertThat(run.err().strip().lines()).hasSize(1);
            assertThat(run.err()).startsWith("logship quarantine show: 2 of 3 quarantine files")
                .contains(junk + " at byte position 0: magic").contains("not a quarantine file")
                .contains(damaged + " at byte position " + secondBatch).contains("CRC32C");
        }
        assertThat(text.out()).startsWith(junk.getFileName() + "\n  ERROR: " + junk + " at byte position 0: magic")
            .contains(good.getFileName().toString()).contains("reason:      second")
            .contains("  offset 2 epoch 3 NOOP").contains("  ERROR: " + damaged + " at byte position " + secondBatch);
        assertThat(text.out().lines().filter((l) -> l.startsWith("  offset 3 ")).count())
            .as("offset 3 only from the good file").isEqualTo(1);
        assertThat(json.out().lines().toList()).hasSize(1 + 4)
            .allMatch((l) -> l.startsWith("{\"file\":\"") && l.endsWith("}"));
        assertThat(json.out().lines().filter((l) -> l.contains(good.getFileName().toString())).count()).isEqualTo(4);
    }

    @Test
    void shouldRefuseMissingOrConflictingOptions() throws IOException
    {
        final CliRun none = CliRun.run("quarantine", "show");
        final CliRun both = CliRun.run("quarantine", "show", "--dir", dataDir.toString(), "--config", "x.conf");
        final CliRun missingDir = CliRun.run("quarantine", "show", "--dir", dataDir.resolve("nope").toString());
        final CliRun missingFile = CliRun.run("quarantine", "show", "--dir", dataDir.toString(), "--file", "nope.qlog");
        final Path noDataDir = Files.writeString(dataDir.resolve("bad.conf"), "logship.node.id=1\n");
        final CliRun configWithoutDataDir = CliRun.run("quarantine", "show", "--config", noDataDir.toString());

        for (final CliRun run : List.of(none, both, missingDir, missingFile, configWithoutDataDir))
        {
            assertThat(run.exitCode()).as(run.err()).isEqualTo(AdminCli.EXIT_USAGE);
            assertThat(run.err().strip().lines()).hasSize(1);
        }
        assertThat(none.err()).contains("--config").contains("--dir");
        assertThat(both.err()).contains("exclusive");
        assertThat(missingDir.err()).contains("nope").contains("not a directory");
        assertThat(missingFile.err()).contains(dataDir.resolve("quarantine/nope.qlog").toString());
        assertThat(configWithoutDataDir.err()).contains("logship.node.data.dir").contains(noDataDir.toString());
    }

    private static long createdAt(final Path file)
    {
        try (Quarantine.Reader reader = Quarantine.read(file))
        {
            return reader.header().createdAtMillis();
        }
    }
}
