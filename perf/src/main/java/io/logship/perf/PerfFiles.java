package io.logship.perf;

import io.logship.format.BatchBuilder;
import io.logship.format.BatchDescriptor;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Helpers shared by the benchmarks: where their logs live and how the test batches look.
 *
 * <p>The base directory comes from {@code -Dlogship.perf.dir=...} (default {@code java.io.tmpdir}).
 * For fsync numbers it must be on the real disk, not tmpfs: each benchmark prints the directory and
 * its file-system type in its setup. Pass the property to the forks with
 * {@code -jvmArgsAppend -Dlogship.perf.dir=/work/perf-tmp} (JMH forks do not inherit the parent's
 * system properties).
 */
public final class PerfFiles
{
    static final String DIR_PROP = "logship.perf.dir";
    /** Every record carries an 8-byte key (the record's index in its batch) plus the value. */
    static final int KEY_BYTES = Long.BYTES;

    private PerfFiles()
    {
    }

    /** A fresh, empty directory under the configured base directory. */
    static Path newTempDir(final String prefix)
    {
        try
        {
            final Path base = Paths.get(System.getProperty(DIR_PROP, System.getProperty("java.io.tmpdir")));
            Files.createDirectories(base);
            final Path dir = Files.createTempDirectory(base, prefix);
            String fsType = "?";
            try
            {
                fsType = Files.getFileStore(dir).type();
            }
            catch (final IOException ignore)
            {
                // informational only
            }
            System.out.println(System.lineSeparator() + "# logship perf dir: " + dir + " (file system " + fsType + ")");
            return dir;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /** Deletes a directory tree; a missing directory is fine. */
    public static void deleteRecursively(final Path dir)
    {
        if (null == dir || !Files.exists(dir))
        {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir))
        {
            paths.sorted(Comparator.reverseOrder()).forEach(p ->
            {
                try
                {
                    Files.deleteIfExists(p);
                }
                catch (final IOException ex)
                {
                    throw new UncheckedIOException(ex);
                }
            });
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /**
     * Fills {@code builder} with {@code records} PUT records (8-byte key, {@code valueBytes} value of a
     * repeating pattern) in epoch 1 and builds the batch; returns its length.
     */
    static int buildBatch(final BatchBuilder builder, final int records, final int valueBytes,
        final UnsafeBuffer key, final UnsafeBuffer value)
    {
        builder.reset(1, System.currentTimeMillis());
        for (int i = 0; i < records; i++)
        {
            key.putLong(0, i, BatchDescriptor.BYTE_ORDER);
            if (!builder.put(key, 0, KEY_BYTES, value, 0, valueBytes))
            {
                throw new IllegalStateException("batch builder capacity " + builder.capacity() + " too small for " +
                    records + " records of " + valueBytes + " B");
            }
        }
        return builder.build();
    }

    /** Bytes a batch of {@code records} records of {@code valueBytes} needs, with head room. */
    static int batchCapacity(final int records, final int valueBytes)
    {
        return BatchDescriptor.HEADER_LENGTH + records * (valueBytes + KEY_BYTES + 64);
    }

    static UnsafeBuffer patternValue(final int valueBytes)
    {
        final byte[] bytes = new byte[Math.max(1, valueBytes)];
        for (int i = 0; i < bytes.length; i++)
        {
            bytes[i] = (byte)('a' + i % 26);
        }
        return new UnsafeBuffer(bytes);
    }
}
