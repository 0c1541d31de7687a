package io.logship.log;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.zip.CRC32C;

import static java.lang.System.Logger.Level.WARNING;

/**
 * The {@code recovery-point} file of a log: the base offset of the active segment when it was
 * created, then the CRC32C of that number in hex. Every segment wholly below it was forced to disk
 * when it was sealed, so recovery only checks their structure and validates batch by batch from here
 * on. A missing or damaged file reads as 0 (validate everything): slower, never wrong. Replaced
 * atomically ({@link AtomicFile}), so a crash leaves the old or the new value.
 *
 * <p>Owned by the log's owner thread (open, roll, truncation); not thread-safe.
 */
final class RecoveryPointFile
{
    private final Path file;
    private long offset;
    private boolean trusted;

    RecoveryPointFile(final Path directory)
    {
        this.file = directory.resolve(SegmentedLog.RECOVERY_POINT_FILE);
    }

    Path file()
    {
        return file;
    }

    /** The offset last read or written; 0 before {@link #load}. */
    long offset()
    {
        return offset;
    }

    /** Reads the file; 0 (validate every segment) if it is missing, unreadable or fails its checksum. */
    long load(final System.Logger logger)
    {
        trusted = false;
        offset = read(logger);
        return offset;
    }

    /**
     * Whether {@link #load} read a valid file: only then does a segment whose base offset is above it certainly
     * postdate the last completed flush (a missing or damaged file reads as 0, which would say that of every segment).
     */
    boolean trusted()
    {
        return trusted;
    }

    private long read(final System.Logger logger)
    {
        try
        {
            final String[] parts = Files.readString(file, StandardCharsets.UTF_8).trim().split(" ");
            if (parts.length == 2 && crc(parts[0]).equals(parts[1]))
            {
                final long value = Long.parseLong(parts[0]);
                trusted = true;
                return value;
            }
            logger.log(WARNING, file + " fails its checksum: validating every segment");
        }
        catch (final NoSuchFileException ex)
        {
            return 0;
        }
        catch (final IOException | NumberFormatException ex)
        {
            logger.log(WARNING, file + " is unreadable (" + ex + "): validating every segment");
        }
        return 0;
    }

    /** Replaces the file with {@code newOffset}, unless it already holds it. */
    void write(final long newOffset) throws IOException
    {
        if (newOffset != offset || !Files.exists(file))
        {
            final String value = Long.toString(newOffset);
            AtomicFile.write(file, (value + " " + crc(value) + "\n").getBytes(StandardCharsets.UTF_8));
            offset = newOffset;
        }
    }

    /**
     * Removes the file after a failed {@link #write}, so the next open cannot mistake segments flushed since the value
     * it holds for segments created after the last flush; the next successful write puts it back. Returns what
     * happened, for the caller's warning: a failure here too (the file then keeps its old value) is reported, not
     * thrown, as the failed write was.
     */
    String withdraw()
    {
        try
        {
            Files.deleteIfExists(file);
            AtomicFile.fsyncDirectory(file.getParent());
            return "removed it: the next open validates every segment";
        }
        catch (final IOException ex)
        {
            return "could not remove it either (" + ex + "): it still says " + offset;
        }
    }

    private static String crc(final String value)
    {
        final CRC32C crc = new CRC32C();
        crc.update(value.getBytes(StandardCharsets.UTF_8));
        return String.format("%08x", crc.getValue());
    }
}
