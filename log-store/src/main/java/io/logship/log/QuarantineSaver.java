package io.logship.log;

import io.logship.LogshipException;
import io.logship.log.Quarantine.Header;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.Deque;

import static io.logship.log.Quarantine.FILE_PREFIX;
import static io.logship.log.Quarantine.FILE_SUFFIX;
import static io.logship.log.Quarantine.FIXED_HEADER_LENGTH;
import static io.logship.log.Quarantine.FORMAT_VERSION;
import static io.logship.log.Quarantine.TEMP_SUFFIX;
import static io.logship.log.QuarantineWriter.copyBatches;
import static io.logship.log.QuarantineWriter.encodeHeader;
import static io.logship.log.QuarantineWriter.writeFully;

/**
 * Saves one quarantine file durably, or leaves nothing: creates the quarantine directory (fsyncing
 * each new parent), removes {@code .tmp} files left by saves that crashed, picks a free name, writes
 * {@code <name>.tmp} ({@link QuarantineWriter}), forces it, renames it and fsyncs the directory.
 * Every force, rename and delete goes through {@link DurableFiles}, so the power-cut journal sees it.
 * On any failure the partial file is removed and the error says the log must not be truncated.
 *
 * <p>Called through {@link Quarantine#save}, which serialises saves (choosing a free name and
 * removing stale temp files must not race); stateless.
 */
final class QuarantineSaver
{
    private QuarantineSaver()
    {
    }

    static Path write(
        final SegmentedLog log,
        final long requestedOffset,
        final long endOffset,
        final Path quarantineDir,
        final int nodeId,
        final int newLeaderId,
        final int newLeaderEpoch,
        final byte[] reason)
    {
        final long createdAtMillis = System.currentTimeMillis();
        final int headerLength = FIXED_HEADER_LENGTH + reason.length;
        Path target = null;
        Path temp = null;
        boolean renamed = false;
        try
        {
            final long fromOffset = log.slice(requestedOffset, 1).firstBatchOffset();
            createDirectoryDurably(quarantineDir);
            removeStaleTempFiles(quarantineDir);
            target = Quarantine.freeName(quarantineDir, createdAtMillis, fromOffset, endOffset);
            temp = target.resolveSibling(target.getFileName() + TEMP_SUFFIX);
            final long batchBytes;
            try (FileChannel channel = FileChannel.open(temp,
                StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING))
            {
                batchBytes = copyBatches(log, fromOffset, endOffset, channel, headerLength);
                final Header header = new Header(FORMAT_VERSION, nodeId, newLeaderId, newLeaderEpoch, requestedOffset,
                    fromOffset, endOffset, batchBytes, createdAtMillis, new String(reason, StandardCharsets.UTF_8),
                    headerLength);
                writeFully(channel, encodeHeader(header, reason), 0);
                DurableFiles.force(channel, temp, channel.size(), true);
            }
            DurableFiles.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
            renamed = true;
            AtomicFile.fsyncDirectory(quarantineDir);
            return target;
        }
        catch (final IOException | RuntimeException ex)
        {
            final String leftover = discard(renamed ? target : temp);
            final String cause = ex instanceof AtomicMoveNotSupportedException ?
                "the file system cannot rename atomically (" + ex + ")" : ex.toString();
            throw new LogshipException("cannot quarantine offsets [" + requestedOffset + ", " + endOffset +
                ") of log " + log.directory() + " into " + (null == target ? quarantineDir : target) + ": " + cause +
                leftover + "; the suffix was not saved, so the log must not be truncated",
                LogshipException.Category.ERROR, ex);
        }
    }

    /** Creates {@code directory} and any missing parents, fsyncing each parent so the new entries survive a crash. */
    private static void createDirectoryDurably(final Path directory) throws IOException
    {
        final Deque<Path> missing = new ArrayDeque<>();
        for (Path dir = directory.toAbsolutePath(); null != dir && !Files.isDirectory(dir); dir = dir.getParent())
        {
            missing.push(dir);
        }
        if (missing.isEmpty())
        {
            return;
        }
        Files.createDirectories(directory);
        for (final Path created : missing)
        {
            AtomicFile.fsyncDirectory(created.getParent());
        }
    }

    private static void removeStaleTempFiles(final Path directory) throws IOException
    {
        try (DirectoryStream<Path> stream =
            Files.newDirectoryStream(directory, FILE_PREFIX + "*" + FILE_SUFFIX + TEMP_SUFFIX))
        {
            for (final Path stale : stream)
            {
                DurableFiles.deleteIfExists(stale);
            }
        }
    }

    /** Deletes what a failed save left; returns "" or a note that the file could not be removed. */
    private static String discard(final Path file)
    {
        if (null == file)
        {
            return "";
        }
        try
        {
            DurableFiles.deleteIfExists(file);
            return "";
        }
        catch (final IOException ex)
        {
            return "; could not remove the incomplete " + file + " either (" + ex + "): delete it by hand";
        }
    }
}
