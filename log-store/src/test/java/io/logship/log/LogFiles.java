package io.logship.log;

import io.logship.format.BatchBuilder;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Test helpers that append known batches, remember where each one landed, read them back and damage
 * the files underneath a closed log.
 */
final class LogFiles
{
    /** A batch as appended: its bytes with the base offset stamped, and where it sits on disk. */
    record Appended(long baseOffset, int recordCount, int epoch, byte[] bytes, long segmentBase, long position)
    {
        long nextOffset()
        {
            return baseOffset + recordCount;
        }

        boolean contains(final long offset)
        {
            return offset >= baseOffset && offset < nextOffset();
        }
    }

    private LogFiles()
    {
    }

    static Path logFile(final Path dir, final long segmentBase)
    {
        return dir.resolve(Segment.fileName(segmentBase, Segment.LOG_SUFFIX));
    }

    static Path indexFile(final Path dir, final long segmentBase)
    {
        return dir.resolve(Segment.fileName(segmentBase, Segment.INDEX_SUFFIX));
    }

    /** Appends TestBatches {@code first .. first+count-1} of {@code seed} as leader, in epoch {@code epoch}. */
    static List<Appended> append(final SegmentedLog log, final BatchBuilder builder, final long seed, final long first,
        final int count, final int epoch)
    {
        final List<Appended> appended = new ArrayList<>();
        for (long n = first; n < first + count; n++)
        {
            final int length = TestBatches.build(builder, seed, n, epoch, 4, 200);
            final long base = log.appendAsLeader(builder.buffer(), 0, length);
            final LogSlice slice = log.slice(base, 1);
            final List<Long> bases = log.segmentBaseOffsets();
            appended.add(new Appended(base, builder.recordCount(), epoch, TestBatches.copy(builder.buffer(), length),
                bases.get(bases.size() - 1), slice.position()));
        }
        return appended;
    }

    /** Bytes of the batches returned by a copying read at {@code offset} with room for one batch, or null at the end. */
    static byte[] readOne(final SegmentedLog log, final long offset, final ByteBuffer scratch)
    {
        scratch.clear();
        final int read = log.read(offset, 1, scratch);
        if (0 == read)
        {
            return null;
        }
        final byte[] bytes = new byte[read];
        scratch.flip().get(bytes);
        return bytes;
    }

    static void flipByte(final Path file, final long position)
    {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE))
        {
            final ByteBuffer one = ByteBuffer.allocate(1);
            channel.read(one, position);
            one.put(0, (byte)(one.get(0) ^ 0x5A)).rewind();
            channel.write(one, position);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    static void truncate(final Path file, final long size)
    {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE))
        {
            channel.truncate(size);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    static void appendBytes(final Path file, final byte[] bytes)
    {
        try
        {
            Files.write(file, bytes, StandardOpenOption.APPEND);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    static long size(final Path file)
    {
        try
        {
            return Files.size(file);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }
}
