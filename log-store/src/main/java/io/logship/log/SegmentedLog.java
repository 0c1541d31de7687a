package io.logship.log;

import io.logship.format.BatchDescriptor;

import io.logship.LogshipException;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

import static java.lang.System.Logger.Level.INFO;
import static java.lang.System.Logger.Level.WARNING;

/**
 * The append-only, segmented log of one node: batches (see {@link BatchDescriptor}) in segment files
 * named by base offset, each with a sparse offset index; the leader-epoch history; a recovery point.
 *
 * <pre>
 * log/
 *   00000000000000000000.log     batches with offsets [0, 51200)
 *   00000000000000000000.index   sparse: relative offset -&gt; byte position, every indexIntervalBytes
 *   00000000000000051200.log     the active segment: appends go here
 *   00000000000000051200.index
 *   leader-epoch.checkpoint      epoch -&gt; first offset, see {@link EpochHistory}
 *   recovery-point               segments below it were sealed and forced
 *   .lock                        held while open, so two processes never share a log
 * </pre>
 *
 * <p><b>Recovery on open.</b> Segments below the recovery point were forced to disk after they were
 * sealed; they get a cheap structural check (index, header chain, exact file length). Every segment
 * from the recovery point on, which always includes the active one, is validated batch by batch
 * (length, magic, CRC32C, offset continuity). A bad batch at the very end is a torn write: it and
 * everything after it are truncated and the node logs the segment, the byte position and the first
 * offset dropped. A bad batch with valid batches after it, or a gap between segments, is corruption
 * in the middle of the log: {@link #open} throws {@link CorruptLogException} naming the file and byte
 * position, and never skips it; unless the segments after the gap or torn tail lie above a valid recovery point,
 * so were created after the last completed flush and held nothing durable: those are deleted
 * (docs/DESIGN.md#unflushed-segments). Damage inside a sealed segment below the recovery point is caught
 * when it is read: the copying {@link #read} verifies every checksum, and followers verify what
 * {@link #transferTo} sends.
 *
 * <p><b>Durability.</b> With {@link FsyncPolicy#ALWAYS} every append is forced before it returns;
 * {@link #durableEndOffset()} tells how far the log is on disk. An I/O error during fsync, or a
 * write whose partial bytes cannot be removed, takes the log offline for appends (the page cache can
 * no longer be trusted, as PostgreSQL learned in 2018); a write refused for lack of space is undone
 * and reported, and the log stays usable once space is freed.
 *
 * <p><b>Code layout.</b> This class is the log's state: the start, end and durable end offsets, the
 * active segment and the offline flag, written by append, flush, roll and truncation and read by
 * every getter. That shared state is why it keeps those methods and stays above 500 lines. The jobs
 * that do not write it live beside it, as Kafka splits {@code UnifiedLog}: {@link LogLoader}
 * (recovery on open), {@link LogSegments} (the segment set, lookup by offset, cutting segments
 * back), {@link LogReader} (reads), {@link LogRetention} (what retention deletes),
 * {@link AppendValidator} (batch checks), {@link RecoveryPointFile} and {@link LogDirectoryLock}.
 *
 * <p><b>Threading.</b> One owner thread appends, truncates, rolls and closes. Retention may run on
 * another thread (the node's apply thread, which knows the snapshot offset): it only deletes sealed
 * segments, and it is serialised with truncation. Any thread may call the read methods ({@link #slice}, {@link #read}, {@link #transferTo}) and the
 * offset getters; a read racing with truncation or retention may fail and is retried by the caller.
 */
public final class SegmentedLog implements AutoCloseable
{
    static final String EPOCH_CHECKPOINT_FILE = "leader-epoch.checkpoint";
    static final String RECOVERY_POINT_FILE = "recovery-point";
    static final String LOCK_FILE = ".lock";

    private final LogConfig config;
    private final Path directory;
    private final System.Logger logger;
    private final LogSegments segments;
    private final RecoveryPointFile recoveryPoint;
    private final LogReader reader;
    private final LogRetention retention;
    /** Frees the segments retention retired, a step at a time, outside the log's locks. */
    private final FileReaper reaper = new FileReaper(FileReaper.DEFAULT_STEP_BYTES);
    private final EpochHistory epochs;
    private final LogDirectoryLock lock;

    private volatile Segment active;
    private volatile long logStartOffset;
    private volatile long logEndOffset;
    private volatile long durableEndOffset;
    private volatile Throwable failure;
    private long lastFlushMs;

    /*
     * An append never waits for a disk (docs/DESIGN.md#segment-roll). A follower appends on its duty thread: a roll
     * that forced the old segment, fsynced the directory and wrote the recovery point there, or the epoch checkpoint
     * written before a new epoch's first batch, held the follower's acks past the leader's lease on a slow disk. So a
     * roll only seals (no more appends) and creates, a new epoch only changes the history in memory, and the next
     * flush, on the thread that flushes, forces and writes what they left.
     */
    /** Sealed segments not forced yet, oldest first (guarded by this). */
    private final ArrayDeque<Segment> unforcedSealed = new ArrayDeque<>();
    /** Segment files created since, and including, the last roll (guarded by this); the flush that syncs the directory catches up. */
    private long segmentsCreated;
    /** {@link #segmentsCreated} as of the last directory fsync (flush lock). */
    private long segmentsCreatedSynced;
    /**
     * Held for a whole flush, its fsyncs included, and by truncation, retention and close, which must not close a
     * segment a flush forces; never by an append or a roll. Taken before the log's monitor, never after it.
     */
    private final Object flushLock = new Object();
    /** The flush's copy of {@link #unforcedSealed} (flush lock). */
    private final ArrayList<Segment> forcing = new ArrayList<>();

    private final SourceBufferView sourceView = new SourceBufferView();

    private SegmentedLog(final LogConfig config) throws IOException
    {
        this.config = config;
        this.directory = config.directory();
        this.logger = config.logger();
        this.segments = new LogSegments(directory, config.indexIntervalBytes());
        this.recoveryPoint = new RecoveryPointFile(directory);
        this.reader = new LogReader(this, segments);
        this.retention = new LogRetention(config, segments, reaper);
        Files.createDirectories(directory);
        lock = LogDirectoryLock.acquire(directory);
        epochs = EpochHistory.load(directory.resolve(EPOCH_CHECKPOINT_FILE));
    }

    /**
     * Opens (or creates) the log in {@code config.directory()}, recovering it as described above.
     *
     * @throws CorruptLogException if the log is damaged anywhere but its tail.
     */
    public static SegmentedLog open(final LogConfig config)
    {
        config.conclude();
        SegmentedLog log = null;
        try
        {
            log = new SegmentedLog(config);
            log.recover();
            return log;
        }
        catch (final IOException ex)
        {
            closeQuietly(log);
            throw new LogshipException("cannot open log " + config.directory() + ": " + ex,
                LogshipException.Category.FATAL, ex);
        }
        catch (final RuntimeException ex)
        {
            closeQuietly(log);
            throw ex;
        }
    }

    private static void closeQuietly(final SegmentedLog log)
    {
        if (null != log)
        {
            log.closeFiles();
        }
    }

    private void recover() throws IOException
    {
        final LogLoader loader = new LogLoader(config, segments, epochs, recoveryPoint);
        loader.loadSegments();
        active = segments.last();
        logStartOffset = segments.firstBaseOffset();
        logEndOffset = active.nextOffset();
        // A previous run with INTERVAL fsync may have left bytes only in the page cache: force them now,
        // so what this run reports as durable is durable.
        active.flush();
        durableEndOffset = logEndOffset;
        lastFlushMs = config.epochClockMs().getAsLong();

        loader.recoverEpochHistory(logStartOffset, logEndOffset);
        recoveryPoint.write(active.baseOffset());
        logger.log(INFO, "Opened log " + directory + ": offsets [" + logStartOffset + ", " + logEndOffset + ") in " +
            segments.size() + " segment(s), latest epoch " + epochs.latestEpoch());
    }

    // ---------------------------------------------------------------------------------------------
    // Appends

    /**
     * Appends a batch as leader: stamps its base offset ({@link #logEndOffset()}) into {@code buffer},
     * writes it, and forces it if the policy is {@link FsyncPolicy#ALWAYS}. The batch's checksum is not
     * recomputed: the leader built it. A batch opening a newer epoch records that epoch's start first.
     *
     * @return the batch's base offset.
     * @throws InvalidBatchException if the header is malformed or its epoch is older than the log's.
     */
    public long appendAsLeader(final MutableDirectBuffer buffer, final int offset, final int length)
    {
        return appendAsLeader(buffer, offset, length, true);
    }

    /**
     * As {@link #appendAsLeader(MutableDirectBuffer, int, int)}, but with {@code flushPerPolicy} false it
     * never forces: the leader's journal appends batch N+1 while another thread forces batch N with
     * {@link #flush()} (pipelined durability, docs/DESIGN.md#fsync-policy).
     */
    public long appendAsLeader(final MutableDirectBuffer buffer, final int offset, final int length,
        final boolean flushPerPolicy)
    {
        checkHeader(buffer, offset, length);
        final long baseOffset = logEndOffset;
        BatchDescriptor.baseOffset(buffer, offset, baseOffset);
        doAppend(buffer, offset, length, baseOffset, flushPerPolicy);
        return baseOffset;
    }

    /**
     * Appends a batch received from the leader, unchanged: it must start at {@link #logEndOffset()}
     * and pass its checksum.
     *
     * @throws InvalidBatchException naming what failed; the log is unchanged.
     */
    public long appendAsFollower(final DirectBuffer buffer, final int offset, final int length)
    {
        return appendAsFollower(buffer, offset, length, true);
    }

    /**
     * As {@link #appendAsFollower(DirectBuffer, int, int)}, but with {@code flushPerPolicy} false it
     * never forces: a follower appends every batch of one receive cycle and then calls {@link #flush()}
     * once before it acknowledges (group commit on the follower side).
     */
    public long appendAsFollower(final DirectBuffer buffer, final int offset, final int length,
        final boolean flushPerPolicy)
    {
        checkHeader(buffer, offset, length);
        final long baseOffset = AppendValidator.checkFollowerBatch(buffer, offset, length, logEndOffset);
        doAppend(buffer, offset, length, baseOffset, flushPerPolicy);
        return baseOffset;
    }

    private void checkHeader(final DirectBuffer buffer, final int offset, final int length)
    {
        checkWritable();
        AppendValidator.checkHeader(buffer, offset, length, config.segmentBytes(), epochs.latestEpoch());
    }

    private void checkWritable()
    {
        final Throwable failed = failure;
        if (null != failed)
        {
            throw new LogshipException("log " + directory + " is offline for appends since an I/O failure: " + failed +
                "; restart the node to recover it", LogshipException.Category.FATAL, failed);
        }
    }

    private void doAppend(
        final DirectBuffer buffer, final int offset, final int length, final long baseOffset, final boolean flushPerPolicy)
    {
        final int epoch = BatchDescriptor.epoch(buffer, offset);
        final int count = BatchDescriptor.recordCount(buffer, offset);
        if (epoch > epochs.latestEpoch())
        {
            epochs.assignDeferred(epoch, baseOffset); // written by the next flush: see #flushLock
        }
        Segment segment = active;
        if (!segment.isEmpty() && segment.sizeBytes() + length > config.segmentBytes())
        {
            rollWithoutForce();
            segment = active;
        }

        final ByteBuffer source = sourceView.view(buffer, offset, length);
        final long sizeBefore = segment.sizeBytes();
        try
        {
            segment.append(source, baseOffset, count, BatchDescriptor.firstTimestamp(buffer, offset));
        }
        catch (final IOException ex)
        {
            undoPartialWrite(segment, sizeBefore, baseOffset, ex);
        }
        logEndOffset = baseOffset + count;

        if (!flushPerPolicy)
        {
            return;
        }
        if (config.fsyncPolicy() == FsyncPolicy.ALWAYS)
        {
            flush();
        }
        else
        {
            flushIfDue(config.epochClockMs().getAsLong());
        }
    }

    private void undoPartialWrite(final Segment segment, final long sizeBefore, final long baseOffset,
        final IOException cause)
    {
        try
        {
            segment.truncateToPosition(sizeBefore, baseOffset);
        }
        catch (final IOException | RuntimeException undoFailure)
        {
            cause.addSuppressed(undoFailure);
            failure = cause;
            throw new LogshipException("append at offset " + baseOffset + " to " + segment.logFile() + " failed (" +
                cause + ") and its partial bytes could not be removed; log is offline for appends",
                LogshipException.Category.FATAL, cause);
        }
        throw new LogshipException("append at offset " + baseOffset + " to " + segment.logFile() + " failed: " + cause +
            " (nothing was written; free disk space and retry)", LogshipException.Category.ERROR, cause);
    }

    /**
     * Forces everything appended so far to disk, and the segments rolls sealed since the last flush. May run on another
     * thread than the appends (a follower and the pipelined leader fsync off the appending thread): it forces at least up
     * to the log end it read first. Serialised with truncation, retention and close, which may close the segment it
     * forces; an append or a roll meanwhile does not wait for it.
     */
    public void flush()
    {
        synchronized (flushLock)
        {
            flushHoldingFlushLock();
        }
    }

    private void flushHoldingFlushLock()
    {
        final long end;
        final Segment current;
        final long created;
        synchronized (this)
        {
            checkWritable();
            end = logEndOffset;
            if (durableEndOffset == end && unforcedSealed.isEmpty())
            {
                return;
            }
            if (!unforcedSealed.isEmpty())
            {
                forcing.addAll(unforcedSealed); // copies through an array: only after a roll, not every flush
            }
            current = active;
            created = segmentsCreated;
        }
        Segment forced = current;
        try
        {
            for (int i = 0; i < forcing.size(); i++)
            {
                forced = forcing.get(i);
                forced.seal();
            }
            if (created != segmentsCreatedSynced)
            {
                AtomicFile.fsyncDirectory(directory); // the new segments' entries, before their bytes count
                segmentsCreatedSynced = created;
            }
            forced = current;
            current.flush();
        }
        catch (final IOException ex)
        {
            forcing.clear();
            // After a failed fsync the kernel may have dropped the dirty pages: never retry and trust it.
            failure = ex;
            throw new LogshipException("fsync of " + forced.logFile() + " failed: " + ex +
                "; log is offline for appends", LogshipException.Category.FATAL, ex);
        }
        final boolean sealedAny = !forcing.isEmpty();
        synchronized (this)
        {
            for (int i = 0; i < forcing.size(); i++)
            {
                unforcedSealed.removeFirst(); // only rolls add, at the tail: the head is what was copied
            }
            if (end > durableEndOffset)
            {
                durableEndOffset = end;
            }
            lastFlushMs = config.epochClockMs().getAsLong();
        }
        forcing.clear();
        final boolean epochsPersisted = persistEpochHistory();
        if (sealedAny && epochsPersisted)
        {
            // Every segment below the one this flush forced last is forced now: the next open need not rescan them.
            writeRecoveryPoint(current.baseOffset());
        }
        else if (sealedAny)
        {
            // The recovery point cannot move past batches whose epochs the checkpoint lacks, nor stay below the
            // segments this flush forced (see writeRecoveryPoint).
            logger.log(WARNING, "Not advancing " + recoveryPoint.file() + " past the epoch checkpoint; " +
                recoveryPoint.withdraw());
        }
    }

    /**
     * Writes the epoch checkpoint if an append changed it; false if that failed. The recovery point then stays where it
     * is, so the next open rescans the batches whose epoch the file lacks; the next flush tries again.
     */
    private boolean persistEpochHistory()
    {
        try
        {
            epochs.persistIfChanged();
            return true;
        }
        catch (final IOException ex)
        {
            logger.log(WARNING, "Could not write " + epochs.file() + " (" + ex + "); the next flush tries again");
            return false;
        }
    }

    /** With {@link FsyncPolicy#INTERVAL}: flushes if the interval has passed since the last flush. */
    public boolean flushIfDue(final long nowMs)
    {
        if (durableEndOffset != logEndOffset && nowMs - lastFlushMs >= config.fsyncIntervalMs())
        {
            flush();
            return true;
        }
        return false;
    }

    /**
     * Seals the active segment and starts a new one at the log end, and forces both: the next open need not rescan the
     * sealed one. No-op if the active one is empty. An append that fills a segment rolls without forcing (the next
     * {@link #flush()} does).
     */
    public void roll()
    {
        rollWithoutForce();
        flush();
    }

    /** Seals the active segment (no more appends to it) and creates the next; no fsync: see {@link #flushLock}. */
    private synchronized void rollWithoutForce()
    {
        checkWritable();
        final Segment current = active;
        if (current.isEmpty())
        {
            return;
        }
        try
        {
            active = segments.createUnsynced(logEndOffset);
        }
        catch (final IOException ex)
        {
            failure = ex;
            throw new LogshipException("rolling " + current.logFile() + " failed: " + ex + "; log is offline for appends",
                LogshipException.Category.FATAL, ex);
        }
        unforcedSealed.addLast(current);
        segmentsCreated++;
    }

    private void writeRecoveryPoint(final long offset)
    {
        try
        {
            recoveryPoint.write(offset);
        }
        catch (final IOException ex)
        {
            // Failing here (a full disk) must not take the log offline: the recovery point only spares the next open
            // a rescan. But the old, lower value must not stay either. The open deletes the segments above a valid
            // recovery point that follow a gap, as created after the last completed flush
            // (docs/DESIGN.md#unflushed-segments); those flushed since would then be deleted too, had a segment below
            // them been damaged. Without the file the open validates every segment and refuses such a gap instead.
            final String withdrawn = recoveryPoint.withdraw();
            logger.log(WARNING, "Could not advance " + recoveryPoint.file() + " to " + offset + " (" + ex + "); " +
                withdrawn);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Truncation and retention

    /**
     * Removes every batch that holds an offset ≥ {@code offset}, durably, and trims the epoch history
     * to match. Used when a rejoining node cuts its divergent suffix. Batches are never split, so
     * the new log end can be below {@code offset} if it falls inside a batch.
     *
     * @return the new log end offset.
     * @throws OffsetOutOfRangeException if {@code offset} is below the log start.
     */
    public long truncateTo(final long offset)
    {
        synchronized (flushLock)
        {
            checkWritable();
            if (offset >= logEndOffset)
            {
                return logEndOffset;
            }
            if (offset < logStartOffset)
            {
                throw new OffsetOutOfRangeException(offset, logStartOffset, logEndOffset);
            }
            // Rare (a rejoin): no segment the cut keeps or reopens as active may stay waiting to be forced.
            flushHoldingFlushLock();
            return truncateHoldingFlushLock(offset);
        }
    }

    private synchronized long truncateHoldingFlushLock(final long offset)
    {
        try
        {
            final long newEnd = segments.truncateFrom(offset);
            final Segment segment = segments.last();
            active = segment;
            logEndOffset = newEnd;
            durableEndOffset = newEnd; // truncateToPosition forced the file
            epochs.truncateFromEnd(newEnd);
            recoveryPoint.write(Math.min(recoveryPoint.offset(), segment.baseOffset()));
            logger.log(INFO, "Truncated log " + directory + " to offset " + newEnd + " (asked for " + offset + ")");
            return newEnd;
        }
        catch (final IOException ex)
        {
            failure = ex;
            throw new LogshipException("truncating " + directory + " to " + offset + " failed: " + ex +
                "; log is offline for appends", LogshipException.Category.FATAL, ex);
        }
    }

    /**
     * Deletes the whole log and starts it empty at {@code offset}: a follower installing a snapshot
     * taken at {@code offset}. The epoch history is cleared; the next batch appended refills it.
     */
    public void truncateFullyAndStartAt(final long offset)
    {
        synchronized (flushLock)
        {
            truncateFullyHoldingFlushLock(offset);
        }
    }

    private synchronized void truncateFullyHoldingFlushLock(final long offset)
    {
        checkWritable();
        try
        {
            unforcedSealed.clear(); // deleted below, forced or not
            segments.deleteAll();
            active = segments.create(offset);
            logStartOffset = offset;
            logEndOffset = offset;
            durableEndOffset = offset;
            epochs.replaceWith(List.of());
            recoveryPoint.write(offset);
            logger.log(INFO, "Log " + directory + " emptied and restarted at offset " + offset);
        }
        catch (final IOException ex)
        {
            failure = ex;
            throw new LogshipException("emptying " + directory + " failed: " + ex + "; log is offline for appends",
                LogshipException.Category.FATAL, ex);
        }
    }

    /**
     * Deletes the oldest sealed segments while the log is over {@link LogConfig#retentionBytes()} or
     * a segment's newest batch is older than {@link LogConfig#retentionMs()}, but never a segment
     * holding offsets at or above {@code maxDeletableOffset} (the newest valid snapshot's offset, so
     * snapshot + log can always rebuild the store) and never the active segment.
     *
     * @return the number of segments deleted.
     */
    public int applyRetention(final long nowMs, final long maxDeletableOffset)
    {
        synchronized (flushLock)
        {
            final int retired = retireExpiredHoldingFlushLock(nowMs, maxDeletableOffset);
            if (retired > 0)
            {
                syncRetentionHoldingFlushLock();
            }
            return retired;
        }
    }

    /**
     * The disk half of retention: the directory fsync that makes the renames durable (before the reaper frees a byte
     * of them) and the epoch checkpoint, in that order. Under the flush lock, which every write of the checkpoint holds
     * so no older content lands last, but outside the log's monitor and the history's: appends and rolls go on.
     */
    private void syncRetentionHoldingFlushLock()
    {
        try
        {
            reaper.fsyncDirectory(directory);
        }
        catch (final IOException ex)
        {
            failure = ex;
            throw new LogshipException("retention in " + directory + " failed: " + ex + "; log is offline for appends",
                LogshipException.Category.FATAL, ex);
        }
        persistEpochHistory(); // a failure leaves the change pending for the next flush, as there
    }

    private synchronized int retireExpiredHoldingFlushLock(final long nowMs, final long maxDeletableOffset)
    {
        checkWritable();
        try
        {
            final int deleted = retention.retireExpired(nowMs, maxDeletableOffset, active,
                (newStart) -> logStartOffset = newStart);
            if (deleted > 0)
            {
                epochs.truncateFromStartDeferred(logStartOffset);
                // Deleted before the flush forced them: the snapshot holds what they held, and a force of a closed
                // file would take the log offline.
                while (!unforcedSealed.isEmpty() && unforcedSealed.peekFirst().baseOffset() < logStartOffset)
                {
                    unforcedSealed.removeFirst();
                }
            }
            return deleted;
        }
        catch (final IOException ex)
        {
            failure = ex;
            throw new LogshipException("retention in " + directory + " failed: " + ex + "; log is offline for appends",
                LogshipException.Category.FATAL, ex);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Reads

    /**
     * Locates whole batches from the one containing {@code fromOffset}: up to {@code maxBytes}, at
     * least one batch, within one segment. Empty at the log end.
     *
     * @throws OffsetOutOfRangeException if {@code fromOffset} is outside [log start, log end].
     */
    public LogSlice slice(final long fromOffset, final int maxBytes)
    {
        return reader.slice(fromOffset, maxBytes);
    }

    /**
     * Copies whole batches from the one containing {@code fromOffset} into {@code dst} (as many as fit
     * in {@code min(maxBytes, dst.remaining())}), verifying each checksum.
     *
     * @return bytes copied; 0 at the log end.
     * @throws CorruptLogException if a batch read back fails its checksum.
     * @throws IllegalArgumentException if {@code dst} cannot hold even the first batch.
     */
    public int read(final long fromOffset, final int maxBytes, final ByteBuffer dst)
    {
        return reader.read(fromOffset, maxBytes, dst);
    }

    /** As {@link #read(long, int, ByteBuffer)}, into an Agrona buffer at {@code dstOffset}. */
    public int read(final long fromOffset, final int maxBytes, final MutableDirectBuffer dst, final int dstOffset)
    {
        return reader.read(fromOffset, maxBytes, dst, dstOffset);
    }

    /**
     * Sends a slice's bytes to {@code target} with zero copy ({@link FileChannel#transferTo}). The
     * checksums are not verified here: the receiver verifies them.
     *
     * @return bytes sent; fewer than the slice only if the target stopped accepting.
     */
    public long transferTo(final LogSlice slice, final WritableByteChannel target)
    {
        return reader.transferTo(slice, target);
    }

    /**
     * Frees one step ({@link FileReaper#DEFAULT_STEP_BYTES}) of the segments retention retired. Takes none of the
     * log's locks: appends, flushes and reads never wait for it. The apply thread calls it each cycle, next to
     * {@link #applyRetention}.
     *
     * @return whether it freed anything.
     * @throws LogshipException (WARN) if a retired file cannot be truncated or deleted; the log is unaffected, the
     *                          file is left for the next open to delete.
     */
    public boolean deleteRetiredStep()
    {
        return reaper.step();
    }

    /** Segment files retention retired whose blocks are not all freed yet. */
    public int retiredFilesPending()
    {
        return reaper.pending();
    }

    // ---------------------------------------------------------------------------------------------
    // State

    /** First offset still in the log (retention and snapshots move it forward). */
    public long logStartOffset()
    {
        return logStartOffset;
    }

    /** The next offset to be written. */
    public long logEndOffset()
    {
        return logEndOffset;
    }

    /** Offsets below this are on disk (forced). Equal to the log end with {@link FsyncPolicy#ALWAYS}. */
    public long durableEndOffset()
    {
        return durableEndOffset;
    }

    public EpochHistory epochHistory()
    {
        return epochs;
    }

    public int segmentCount()
    {
        return segments.size();
    }

    /** Total bytes of all segment files. */
    public long sizeBytes()
    {
        return segments.sizeBytes();
    }

    public Path directory()
    {
        return directory;
    }

    /** Base offsets of the segments, oldest first. */
    public List<Long> segmentBaseOffsets()
    {
        return segments.baseOffsets();
    }

    /** Whether an I/O failure has taken the log offline for appends. */
    public boolean isFailed()
    {
        return null != failure;
    }

    /** Flushes (unless offline), closes every file and releases the directory lock. */
    @Override
    public void close()
    {
        try
        {
            if (null == failure && null != active)
            {
                flush();
            }
        }
        finally
        {
            closeFiles();
        }
    }

    private void closeFiles()
    {
        synchronized (flushLock)
        {
            segments.closeAll(logger);
            try
            {
                reaper.deleteAll();
            }
            catch (final IOException ex)
            {
                // Not a reason to fail the close: the next open deletes what is left (LogLoader).
                logger.log(WARNING, "retired segment files left for the next open: " + ex);
            }
            lock.release(logger);
        }
    }
}
