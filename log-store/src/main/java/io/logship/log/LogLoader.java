package io.logship.log;

import io.logship.LogshipException;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static java.lang.System.Logger.Level.INFO;
import static java.lang.System.Logger.Level.WARNING;

/**
 * Recovery of a log when it is opened: finds the segment files, checks or validates each one, cuts a
 * torn tail, refuses corruption in the middle, and reconciles the leader-epoch checkpoint with the
 * batch headers. Kafka's {@code LogLoader} does the same job for {@code UnifiedLog}.
 *
 * <p>The rules (which segments get a structural check, which are validated batch by batch, what is a
 * torn tail and what is corruption) are those of "Recovery on open" in {@link SegmentedLog}; this
 * class is where they are carried out.
 *
 * <p>Used once, by {@link SegmentedLog#open} on the opening thread, before the log is shared; not
 * thread-safe. Call {@link #loadSegments()}, then {@link #recoverEpochHistory} once the log's offsets
 * are known.
 */
final class LogLoader
{
    private final LogConfig config;
    private final Path directory;
    private final System.Logger logger;
    private final LogSegments segments;
    private final EpochHistory epochs;
    private final RecoveryPointFile recoveryPoint;
    private final List<EpochHistory.Entry> recoveredEpochStarts = new ArrayList<>();
    private long firstScannedOffset = -1;

    LogLoader(
        final LogConfig config,
        final LogSegments segments,
        final EpochHistory epochs,
        final RecoveryPointFile recoveryPoint)
    {
        this.config = config;
        this.directory = config.directory();
        this.logger = config.logger();
        this.segments = segments;
        this.epochs = epochs;
        this.recoveryPoint = recoveryPoint;
    }

    /**
     * Opens every segment file into {@code segments}, oldest first, recovering as described above,
     * and creates the first segment of an empty log. Removes leftovers of interrupted atomic replaces,
     * segment files retention retired but had not finished deleting, and indexes whose segment is gone.
     *
     * @throws CorruptLogException if the log is damaged anywhere but its tail.
     */
    void loadSegments() throws IOException
    {
        final TreeMap<Long, Path> found = new TreeMap<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(directory))
        {
            for (final Path path : stream)
            {
                final String name = path.getFileName().toString();
                if (name.endsWith(".tmp"))
                {
                    DurableFiles.deleteIfExists(path); // an atomic replace that never finished; the old file stands
                }
                else if (name.endsWith(FileReaper.SUFFIX))
                {
                    // Retention retired it (renamed, durable) before the process stopped; not all of it was freed.
                    DurableFiles.deleteIfExists(path);
                }
                else if (name.endsWith(Segment.LOG_SUFFIX))
                {
                    found.put(parseBaseOffset(path, Segment.LOG_SUFFIX), path);
                }
            }
        }
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(directory, "*" + Segment.INDEX_SUFFIX))
        {
            for (final Path path : stream)
            {
                if (!found.containsKey(parseBaseOffset(path, Segment.INDEX_SUFFIX)))
                {
                    DurableFiles.deleteIfExists(path); // an index whose segment was deleted before it
                }
            }
        }

        final long recoveredFrom = recoveryPoint.load(logger);
        int lastEpoch = EpochHistory.UNDEFINED_EPOCH;
        Segment previous = null;
        final List<Long> baseOffsets = new ArrayList<>(found.keySet());
        for (int i = 0; i < baseOffsets.size(); i++)
        {
            final long baseOffset = baseOffsets.get(i);
            final boolean last = i == baseOffsets.size() - 1;
            if (null != previous && previous.nextOffset() != baseOffset)
            {
                if (createdAfterLastFlush(baseOffset, recoveredFrom))
                {
                    dropUnflushedSegments(baseOffsets.subList(i, baseOffsets.size()), found,
                        "created after the last completed flush, and the previous segment " +
                        previous.logFile().getFileName() + " ends at offset " + previous.nextOffset() +
                        ", short of its start (that segment's unforced tail was lost)");
                    break;
                }
                throw new CorruptLogException(found.get(baseOffset), 0, "segment starts at offset " + baseOffset +
                    " but the previous segment " + previous.logFile().getFileName() + " ends at offset " +
                    previous.nextOffset() + ": a segment is missing or truncated");
            }
            final Segment segment = Segment.open(directory, baseOffset, config.indexIntervalBytes());
            segments.add(segment);

            if (!last && baseOffsets.get(i + 1) <= recoveredFrom)
            {
                segment.loadSealed(logger);
            }
            else
            {
                if (firstScannedOffset < 0)
                {
                    // The scan trusts only batch headers: the checkpoint is reconciled with them afterwards,
                    // so a stale checkpoint can never make a valid batch look invalid.
                    firstScannedOffset = baseOffset;
                    lastEpoch = EpochHistory.UNDEFINED_EPOCH;
                }
                final Segment.Recovery recovery = segment.recover(lastEpoch);
                recoveredEpochStarts.addAll(recovery.epochStarts());
                if (!recovery.epochStarts().isEmpty())
                {
                    lastEpoch = recovery.epochStarts().get(recovery.epochStarts().size() - 1).epoch();
                }
                if (null != recovery.reason())
                {
                    if (recovery.laterValidBatchFound())
                    {
                        throw new CorruptLogException(segment.logFile(), recovery.invalidPosition(),
                            recovery.reason() + " at offset " + recovery.nextOffset() +
                            ", and valid batches follow it: corruption in the middle of the log, not a torn tail");
                    }
                    if (!last && !createdAfterLastFlush(baseOffsets.get(i + 1), recoveredFrom))
                    {
                        final List<Long> later = baseOffsets.subList(i + 1, baseOffsets.size());
                        for (final long laterBase : later)
                        {
                            if (Files.size(found.get(laterBase)) > 0)
                            {
                                throw new CorruptLogException(segment.logFile(), recovery.invalidPosition(),
                                    recovery.reason() + " at offset " + recovery.nextOffset() +
                                    ", and later segments hold data: corruption in the middle of the log");
                            }
                        }
                    }
                    truncateTornTail(segment, recovery);
                    if (!last)
                    {
                        dropUnflushedSegments(baseOffsets.subList(i + 1, baseOffsets.size()), found,
                            "it follows the torn tail of " + segment.logFile().getFileName());
                        break;
                    }
                }
            }
            previous = segment;
        }

        if (segments.isEmpty())
        {
            segments.create(0);
        }
    }

    /**
     * Whether the segment at {@code baseOffset} was created after the last flush that completed: that flush wrote the
     * recovery point as the base of the segment then active, having forced every segment before it, so a segment
     * above it was rolled since and none of its bytes was ever reported durable. Only a valid recovery-point file
     * says so; without one every segment would qualify.
     */
    private boolean createdAfterLastFlush(final long baseOffset, final long recoveredFrom)
    {
        return recoveryPoint.trusted() && baseOffset > recoveredFrom;
    }

    /**
     * Deletes segments after the end of the recovered log: empty ones after a torn tail, or, after a power cut under
     * fsync {@code interval}, segments created after the last completed flush whose predecessor lost its unforced
     * tail (ext4 may make a new file's name durable before an older file's data), so they start beyond the log's
     * end. Nothing in them was durable; refusing to open would turn a power cut into a node that cannot start.
     */
    private void dropUnflushedSegments(final List<Long> bases, final Map<Long, Path> found, final String why)
        throws IOException
    {
        for (final long base : bases)
        {
            final Path file = found.get(base);
            logger.log(WARNING, "Deleting segment " + file.getFileName() + " (" + Files.size(file) + " bytes) after " +
                "the end of the recovered log: " + why);
            DurableFiles.deleteIfExists(file);
            DurableFiles.deleteIfExists(directory.resolve(Segment.fileName(base, Segment.INDEX_SUFFIX)));
        }
        AtomicFile.fsyncDirectory(directory);
    }

    private void truncateTornTail(final Segment segment, final Segment.Recovery recovery) throws IOException
    {
        logger.log(WARNING, "Truncating torn tail of " + segment.logFile() + " at byte position " +
            recovery.invalidPosition() + " (" + recovery.reason() + "): dropping " + recovery.droppedBytes() +
            " bytes, offsets from " + recovery.nextOffset() + " on");
        segment.truncateToPosition(recovery.validBytes(), recovery.nextOffset());
    }

    /**
     * Makes the epoch history agree with the batch headers seen by {@link #loadSegments()}, and trims
     * it to {@code [logStartOffset, logEndOffset)}. A checkpoint that is missing, corrupt or disagrees
     * is rebuilt from the headers of every segment: every batch carries its epoch, so the checkpoint is
     * a cache.
     */
    void recoverEpochHistory(final long logStartOffset, final long logEndOffset) throws IOException
    {
        String problem = epochs.loadProblem();
        if (null == problem)
        {
            epochs.truncateFromEnd(logEndOffset);
            for (final EpochHistory.Entry start : recoveredEpochStarts)
            {
                final int known = epochs.epochForOffset(start.startOffset());
                if (start.epoch() > epochs.latestEpoch())
                {
                    epochs.assign(start.epoch(), start.startOffset());
                }
                else if (known != start.epoch() ||
                    epochs.endOffsetFor(known, logEndOffset).endOffset() <= start.startOffset())
                {
                    problem = "it says offset " + start.startOffset() + " is epoch " + known + " but the batch there is " +
                        "epoch " + start.epoch();
                    break;
                }
            }
            if (null == problem && firstScannedOffset >= 0 && !recoveredEpochStarts.isEmpty())
            {
                // Every epoch start the scan saw must be in the history; an extra entry in the scanned
                // range that no batch starts means the file and the log disagree.
                for (final EpochHistory.Entry entry : epochs.entries())
                {
                    if (entry.startOffset() > firstScannedOffset && !recoveredEpochStarts.contains(entry))
                    {
                        problem = "it lists epoch " + entry.epoch() + " at " + entry.startOffset() +
                            " where no batch starts that epoch";
                        break;
                    }
                }
            }
        }
        if (null != problem)
        {
            logger.log(logEndOffset == logStartOffset ? INFO : WARNING,
                "Rebuilding " + epochs.file() + " from the batch headers: " + problem);
            final List<EpochHistory.Entry> rebuilt = new ArrayList<>();
            int epoch = EpochHistory.UNDEFINED_EPOCH;
            for (final Segment segment : segments.all())
            {
                epoch = segment.collectEpochStarts(epoch, rebuilt);
            }
            epochs.replaceWith(rebuilt);
        }
        epochs.truncateFromStart(logStartOffset);
    }

    private static long parseBaseOffset(final Path path, final String suffix)
    {
        final String name = path.getFileName().toString();
        final String digits = name.substring(0, name.length() - suffix.length());
        if (digits.length() != 20 || !digits.chars().allMatch(Character::isDigit))
        {
            throw new LogshipException("unexpected file " + path + " in the log directory: segment files are named " +
                "by a 20-digit base offset", LogshipException.Category.FATAL);
        }
        return Long.parseLong(digits);
    }
}
