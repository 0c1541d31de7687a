package io.logship.transport.auth;

import io.logship.transport.TransportException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.Set;

/**
 * The cluster secret: the HMAC-SHA256 key shared by every node and operator tool of one cluster.
 * The file's bytes are the key, exactly as stored (a trailing newline is part of it, so copy the file
 * rather than retyping it). Immutable and thread-safe; {@link #toString()} never shows the key.
 */
public final class ClusterSecret
{
    /** Shortest accepted key: 128 bits. HMAC with a shorter key is guessable. */
    public static final int MIN_LENGTH = 16;

    private static final Set<PosixFilePermission> FORBIDDEN = Set.of(
        PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
        PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

    private final byte[] key;

    private ClusterSecret(final byte[] key)
    {
        this.key = key;
    }

    /**
     * Loads the secret from a file that only its owner can access (mode 0600 or 0400).
     *
     * @throws TransportException naming the file and the problem: missing, not a regular file,
     * accessible by group or others (with its mode and the chmod that fixes it), empty, or too short.
     */
    public static ClusterSecret load(final Path file)
    {
        final PosixFileAttributes attributes;
        try
        {
            attributes = Files.readAttributes(file, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        }
        catch (final UnsupportedOperationException ex)
        {
            throw new TransportException("cluster secret file " + file +
                " is on a file system without POSIX permissions; its access cannot be checked", ERROR, ex);
        }
        catch (final IOException ex)
        {
            throw new TransportException("cannot read cluster secret file " + file + ": " + ex, ERROR, ex);
        }

        if (!attributes.isRegularFile())
        {
            throw new TransportException("cluster secret file " + file + " is not a regular file", ERROR);
        }

        final Set<PosixFilePermission> permissions = attributes.permissions();
        if (permissions.stream().anyMatch(FORBIDDEN::contains))
        {
            throw new TransportException("cluster secret file " + file + " has mode " + octal(permissions) + " (" +
                PosixFilePermissions.toString(permissions) + "): it must be readable by its owner only, mode 0600;" +
                " run: chmod 600 " + file, ERROR);
        }

        final byte[] key;
        try
        {
            key = Files.readAllBytes(file);
        }
        catch (final IOException ex)
        {
            throw new TransportException("cannot read cluster secret file " + file + ": " + ex, ERROR, ex);
        }

        return of(key, "cluster secret file " + file);
    }

    /** A secret from bytes in memory (tests, or a secret from a vault). The array is copied. */
    public static ClusterSecret of(final byte[] key)
    {
        return of(key.clone(), "cluster secret");
    }

    private static ClusterSecret of(final byte[] key, final String source)
    {
        if (key.length == 0)
        {
            throw new TransportException(source + " is empty: expected at least " + MIN_LENGTH + " bytes", ERROR);
        }
        if (key.length < MIN_LENGTH)
        {
            throw new TransportException(source + " holds " + key.length + " bytes: expected at least " +
                MIN_LENGTH + " bytes", ERROR);
        }
        return new ClusterSecret(key);
    }

    /** Length of the key in bytes. */
    public int length()
    {
        return key.length;
    }

    byte[] key()
    {
        return key;
    }

    /** A copy of the key, for a tool that must hand it to another library. */
    public byte[] copyOfKey()
    {
        return Arrays.copyOf(key, key.length);
    }

    @Override
    public String toString()
    {
        return "ClusterSecret[length=" + key.length + "]";
    }

    private static String octal(final Set<PosixFilePermission> permissions)
    {
        int mode = 0;
        for (final PosixFilePermission permission : permissions)
        {
            mode |= 1 << (8 - permission.ordinal());
        }
        return String.format("%04o", mode);
    }

    private static final TransportException.Category ERROR = TransportException.Category.ERROR;
}
