package io.logship.kv;

import io.logship.LogshipException;

import java.nio.file.Path;

/**
 * A snapshot file failed validation (bad magic or version, a CRC mismatch, a truncated or
 * inconsistent body). {@code ERROR}: that one snapshot is unusable; callers fall back to an older
 * one, or to an empty store plus the whole log.
 */
public final class CorruptSnapshotException extends LogshipException
{
    private static final long serialVersionUID = 1L;

    private final transient Path file;

    public CorruptSnapshotException(final Path file, final String detail)
    {
        super("snapshot " + file + " is corrupt: " + detail, Category.ERROR);
        this.file = file;
    }

    public CorruptSnapshotException(final Path file, final String detail, final Throwable cause)
    {
        super("snapshot " + file + " is corrupt: " + detail, Category.ERROR, cause);
        this.file = file;
    }

    public Path file()
    {
        return file;
    }
}
