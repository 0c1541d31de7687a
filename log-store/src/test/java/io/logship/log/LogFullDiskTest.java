package io.logship.log;

import io.logship.format.BatchBuilder;

import io.logship.LogshipException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assertions.fail;

/**
 * Fills a 1 MiB tmpfs mounted for the test. Needs permission to mount (root, or CAP_SYS_ADMIN in a
 * container); fails naming what is missing otherwise, unless -Dlogship.test.allowSkip=tmpfs.
 */
class LogFullDiskTest
{
    private static final long SEED = 99;

    @TempDir
    Path work;

    private final BatchBuilder builder = new BatchBuilder(64 * 1024);
    private final ByteBuffer scratch = ByteBuffer.allocate(64 * 1024);

    @Test
    void shouldRefuseAppendOnFullDiskKeepEveryAcknowledgedBatchAndAcceptAppendsOnceSpaceIsFreed() throws Exception
    {
        final Path mount = Files.createDirectory(work.resolve("tiny"));
        final String mountOutput = run("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mount.toString());
        RequiredEnvironment.require(null == mountOutput || mountOutput.isEmpty(), "tmpfs",
            () -> "cannot mount a 1 MiB tmpfs here (" + mountOutput + ") for the full-disk test");
        try
        {
            final Path filler = mount.resolve("filler");
            Files.write(filler, new byte[256 * 1024]);
            final Path logDir = mount.resolve("log");
            // one segment larger than the file system: the append itself hits ENOSPC, not a roll
            final LogConfig config = new LogConfig().directory(logDir).segmentBytes(4 * 1024 * 1024)
                .indexIntervalBytes(4096).fsyncPolicy(FsyncPolicy.ALWAYS).logger(new CapturingLogger());
            final List<LogFiles.Appended> acked = new ArrayList<>();
            try (SegmentedLog log = SegmentedLog.open(config))
            {
                LogshipException refused = null;
                long n = 0;
                while (null == refused)
                {
                    if (n > 10_000)
                    {
                        fail("a 1 MiB file system took 10000 batches without refusing one");
                    }
                    try
                    {
                        acked.addAll(LogFiles.append(log, builder, SEED, n, 1, 1));
                        n++;
                    }
                    catch (final LogshipException ex)
                    {
                        refused = ex;
                    }
                }
                final Path segment = LogFiles.logFile(logDir, 0);
                assertThat(refused.category()).isEqualTo(LogshipException.Category.ERROR);
                assertThat(refused.getMessage()).contains(segment.toString()).contains("free disk space")
                    .contains("append at offset " + acked.get(acked.size() - 1).nextOffset());
                assertThat(acked).hasSizeGreaterThan(10);
                assertThat(log.isFailed()).isFalse();
                final long end = acked.get(acked.size() - 1).nextOffset();
                assertThat(log.logEndOffset()).isEqualTo(end);
                assertThat(log.durableEndOffset()).isEqualTo(end);
                assertThat(Files.size(segment)).as("the partial write was removed")
                    .isEqualTo(acked.stream().mapToLong(b -> b.bytes().length).sum());
                assertReadsBack(log, acked);

                Files.delete(filler);
                final List<LogFiles.Appended> retried = LogFiles.append(log, builder, SEED, n, 1, 1);
                assertThat(retried.get(0).baseOffset()).isEqualTo(end);
                acked.addAll(retried);
                acked.addAll(LogFiles.append(log, builder, SEED, n + 1, 3, 1));
                assertReadsBack(log, acked);
            }
            try (SegmentedLog log = SegmentedLog.open(config))
            {
                assertThat(log.logEndOffset()).isEqualTo(acked.get(acked.size() - 1).nextOffset());
                assertReadsBack(log, acked);
            }
        }
        finally
        {
            final String unmountOutput = run("umount", mount.toString());
            assertThat(unmountOutput).as("umount " + mount).isEmpty();
        }
    }

    @Test
    void shouldKeepTheEpochHistoryWhenANewEpochArrivesOnAFullDisk() throws Exception
    {
        final Path mount = Files.createDirectory(work.resolve("tiny"));
        final String mountOutput = run("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mount.toString());
        RequiredEnvironment.require(null == mountOutput || mountOutput.isEmpty(), "tmpfs",
            () -> "cannot mount a 1 MiB tmpfs here (" + mountOutput + ") for the full-disk test");
        try
        {
            final Path logDir = mount.resolve("log");
            final LogConfig config = new LogConfig().directory(logDir).segmentBytes(4 * 1024 * 1024)
                .indexIntervalBytes(4096).fsyncPolicy(FsyncPolicy.ALWAYS).logger(new CapturingLogger());
            final List<LogFiles.Appended> acked = new ArrayList<>();
            final List<Path> fillers = new ArrayList<>();
            final long epochTwoStart;
            try (SegmentedLog log = SegmentedLog.open(config))
            {
                acked.addAll(LogFiles.append(log, builder, SEED, 0, 10, 1));
                epochTwoStart = log.logEndOffset();
                fillUp(mount, fillers);

                final LogshipException refused = catchThrowableOfType(LogshipException.class,
                    () -> LogFiles.append(log, builder, SEED, 10, 1, 2));
                assertThat(refused).isNotNull();
                assertThat(log.isFailed()).isFalse();
                assertThat(log.logEndOffset()).isEqualTo(epochTwoStart);
                assertReadsBack(log, acked);

                for (final Path filler : fillers)
                {
                    Files.delete(filler);
                }
                acked.addAll(LogFiles.append(log, builder, SEED, 10, 3, 2));
                assertThat(acked.get(10).baseOffset()).isEqualTo(epochTwoStart);
                assertThat(log.epochHistory().entries())
                    .containsExactly(new EpochHistory.Entry(1, 0), new EpochHistory.Entry(2, epochTwoStart));
                log.roll(); // seal it, so the next open does not rescan the batches that opened epoch 2
            }
            try (SegmentedLog log = SegmentedLog.open(config))
            {
                assertThat(log.epochHistory().entries())
                    .containsExactly(new EpochHistory.Entry(1, 0), new EpochHistory.Entry(2, epochTwoStart));
                assertReadsBack(log, acked);
            }
        }
        finally
        {
            final String unmountOutput = run("umount", mount.toString());
            assertThat(unmountOutput).as("umount " + mount).isEmpty();
        }
    }

    @Test
    void shouldRefuseAppendThatNeedsARollOnAFullDiskAsAnErrorAndRollOnceSpaceIsFreed() throws Exception
    {
        final Path mount = Files.createDirectory(work.resolve("tiny"));
        final String mountOutput = run("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mount.toString());
        RequiredEnvironment.require(null == mountOutput || mountOutput.isEmpty(), "tmpfs",
            () -> "cannot mount a 1 MiB tmpfs here (" + mountOutput + ") for the full-disk test");
        try
        {
            final Path logDir = mount.resolve("log");
            final int segmentBytes = 16 * 1024;
            final LogConfig config = new LogConfig().directory(logDir).segmentBytes(segmentBytes)
                .indexIntervalBytes(4096).fsyncPolicy(FsyncPolicy.ALWAYS).logger(new CapturingLogger());
            final List<LogFiles.Appended> acked = new ArrayList<>();
            final List<Path> fillers = new ArrayList<>();
            try (SegmentedLog log = SegmentedLog.open(config))
            {
                long n = 0;
                while (Files.size(LogFiles.logFile(logDir, 0)) + TestBatches.build(builder, SEED, n, 1, 4, 200) <=
                    segmentBytes)
                {
                    acked.addAll(LogFiles.append(log, builder, SEED, n++, 1, 1));
                }
                assertThat(log.segmentCount()).isEqualTo(1);
                fillUp(mount, fillers);

                final long next = n;
                final LogshipException refused = catchThrowableOfType(LogshipException.class,
                    () -> LogFiles.append(log, builder, SEED, next, 1, 1));
                assertThat(refused.category()).as(() -> describe(refused)).isEqualTo(LogshipException.Category.ERROR);
                assertThat(refused.getMessage()).contains("free disk space");
                assertThat(log.isFailed()).isFalse();
                assertThat(log.logEndOffset()).isEqualTo(acked.get(acked.size() - 1).nextOffset());
                assertReadsBack(log, acked);

                for (final Path filler : fillers)
                {
                    Files.delete(filler);
                }
                acked.addAll(LogFiles.append(log, builder, SEED, next, 3, 1));
                assertThat(log.segmentCount()).isEqualTo(2);
                assertReadsBack(log, acked);
            }
            try (SegmentedLog log = SegmentedLog.open(config))
            {
                assertThat(log.segmentCount()).isEqualTo(2);
                assertReadsBack(log, acked);
            }
        }
        finally
        {
            final String unmountOutput = run("umount", mount.toString());
            assertThat(unmountOutput).as("umount " + mount).isEmpty();
        }
    }

    private static String describe(final Throwable failure)
    {
        final java.io.StringWriter text = new java.io.StringWriter();
        failure.printStackTrace(new java.io.PrintWriter(text));
        return text.toString();
    }

    /** Writes filler files until the file system refuses even one more byte. */
    private static void fillUp(final Path mount, final List<Path> fillers) throws IOException
    {
        for (int i = 0; ; i++)
        {
            final Path filler = mount.resolve("filler-" + i);
            fillers.add(filler);
            try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(filler,
                java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.WRITE))
            {
                final ByteBuffer chunk = ByteBuffer.allocate(4096);
                while (true)
                {
                    chunk.clear();
                    channel.write(chunk);
                }
            }
            catch (final IOException full)
            {
                if (Files.exists(filler) && Files.size(filler) == 0)
                {
                    return; // not even one byte more fits
                }
            }
        }
    }

    private void assertReadsBack(final SegmentedLog log, final List<LogFiles.Appended> batches)
    {
        for (final LogFiles.Appended batch : batches)
        {
            assertThat(LogFiles.readOne(log, batch.baseOffset(), scratch)).as("batch at %d", batch.baseOffset())
                .isEqualTo(batch.bytes());
        }
        assertThat(LogFiles.readOne(log, log.logEndOffset(), scratch)).isNull();
    }

    /** Runs a command; null or "" on success, else its exit status and output. */
    private static String run(final String... command) throws InterruptedException
    {
        try
        {
            final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            final int status = process.waitFor();
            return 0 == status ? "" : "exit " + status + ": " + output;
        }
        catch (final IOException ex)
        {
            return String.join(" ", command) + " could not run: " + ex.getMessage();
        }
    }
}
