package io.logship.log;

import io.logship.format.BatchDescriptor;
import io.logship.format.RecordCursor;

import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.TreeMap;
import java.util.zip.CRC32C;

/**
 * Prints a log directory without changing it (no lock, no recovery): every segment, every batch
 * with its position, offsets, epoch and checksum verdict, optionally every record, then the epoch
 * checkpoint. The operator's first look at a node that refuses to start, like Kafka's
 * DumpLogSegments. Usage: {@code LogDump DIR [--records]}. Exit code 1 if any batch is invalid.
 */
public final class LogDump
{
    private LogDump()
    {
    }

    public static void main(final String[] args) throws IOException
    {
        if (args.length < 1 || args.length > 2 || (args.length == 2 && !"--records".equals(args[1])))
        {
            System.err.println("usage: logship dump LOG_DIR [--records]");
            System.exit(2);
        }
        final Path directory = Path.of(args[0]);
        if (!Files.isDirectory(directory))
        {
            System.err.println("logship dump: " + directory + " is not a directory");
            System.exit(2);
        }
        final boolean ok = dump(directory, args.length == 2, System.out);
        System.exit(ok ? 0 : 1);
    }

    /** Prints the directory to {@code out}; returns false if any batch failed validation. */
    public static boolean dump(final Path directory, final boolean records, final PrintStream out) throws IOException
    {
        final TreeMap<String, Path> segments = new TreeMap<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(directory, "*" + Segment.LOG_SUFFIX))
        {
            for (final Path path : stream)
            {
                segments.put(path.getFileName().toString(), path);
            }
        }
        boolean ok = true;
        final RecordCursor cursor = new RecordCursor();
        for (final Path path : segments.values())
        {
            try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ))
            {
                final long size = channel.size();
                out.printf("segment %s (%d bytes)%n", path.getFileName(), size);
                long position = 0;
                final ByteBuffer header = ByteBuffer.allocate(BatchDescriptor.HEADER_LENGTH);
                while (position < size)
                {
                    header.clear();
                    channel.read(header, position);
                    final UnsafeBuffer headerView = new UnsafeBuffer(header.array(), 0, header.position());
                    final int length = header.position() < BatchDescriptor.HEADER_LENGTH ? -1 :
                        BatchDescriptor.length(headerView, 0);
                    if (length < BatchDescriptor.HEADER_LENGTH || length > BatchDescriptor.MAX_BATCH_LENGTH ||
                        position + length > size)
                    {
                        out.printf("  position %d: INVALID (length %d, %d bytes left); stopping this segment%n",
                            position, length, size - position);
                        ok = false;
                        break;
                    }
                    final ByteBuffer batch = ByteBuffer.allocate(length);
                    channel.read(batch, position);
                    final UnsafeBuffer view = new UnsafeBuffer(batch.array());
                    final String problem = BatchDescriptor.validate(view, 0, length);
                    out.printf("  position %d: offsets [%d, %d) epoch %d records %d length %d %s%n", position,
                        BatchDescriptor.baseOffset(view, 0), BatchDescriptor.nextOffset(view, 0),
                        BatchDescriptor.epoch(view, 0), BatchDescriptor.recordCount(view, 0), length,
                        null == problem ? "ok" : "INVALID: " + problem);
                    if (null != problem)
                    {
                        ok = false;
                    }
                    else if (records)
                    {
                        cursor.wrap(view, 0);
                        while (cursor.next())
                        {
                            out.printf("    offset %d %s key=%s value=%d bytes crc32c=%08x%s%n", cursor.offset(),
                                cursor.type(), printable(cursor.keyBytes()), cursor.valueLength(),
                                crc(cursor.valueBytes()),
                                cursor.idempotent() ? " client=" + cursor.clientId() + " seq=" + cursor.sequence() : "");
                        }
                    }
                    position += length;
                }
            }
        }
        final Path checkpoint = directory.resolve(SegmentedLog.EPOCH_CHECKPOINT_FILE);
        out.println("leader-epoch.checkpoint:");
        if (Files.exists(checkpoint))
        {
            for (final String line : Files.readAllLines(checkpoint, StandardCharsets.UTF_8))
            {
                out.println("  " + line);
            }
        }
        else
        {
            out.println("  (missing)");
        }
        return ok;
    }

    private static String printable(final byte[] key)
    {
        final String text = new String(key, StandardCharsets.UTF_8);
        return text.chars().allMatch(c -> c >= 0x20 && c < 0x7f) ? text : "0x" + org.agrona.BitUtil.toHex(key);
    }

    private static long crc(final byte[] bytes)
    {
        final CRC32C crc = new CRC32C();
        crc.update(bytes);
        return crc.getValue();
    }
}
