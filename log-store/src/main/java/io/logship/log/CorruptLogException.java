package io.logship.log;

import io.logship.LogshipException;

import java.nio.file.Path;

/**
 * Data on disk failed validation where a torn tail cannot explain it (a bad checksum or broken
 * offset continuity with valid data after it, a gap between segments). Always {@code FATAL}: the
 * log refuses to open or to serve the range, naming the file and byte position, and never skips it.
 * {@link Quarantine} reports a damaged or truncated quarantine file with it too.
 */
public final class CorruptLogException extends LogshipException
{
    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final long position;

    public CorruptLogException(final Path file, final long position, final String detail)
    {
        super(file + " at byte position " + position + ": " + detail, Category.FATAL);
        this.file = file;
        this.position = position;
    }

    public Path file()
    {
        return file;
    }

    public long position()
    {
        return position;
    }
}
