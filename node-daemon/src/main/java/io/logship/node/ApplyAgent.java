package io.logship.node;

import io.logship.LogshipException;
import io.logship.kv.KeyValueStore;
import io.logship.kv.SnapshotInfo;
import io.logship.format.BatchDescriptor;
import io.logship.log.SegmentedLog;
import io.logship.node.pipeline.Wakeup;
import io.logship.node.status.ApplyLag;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.function.LongSupplier;

import static java.lang.System.Logger.Level.ERROR;
import static java.lang.System.Logger.Level.INFO;
import static java.lang.System.Logger.Level.WARNING;

/**
 * Applies committed batches from the log to the store, on its own thread so that a slow store never
 * holds back acknowledgements: {@code quorum} and {@code all} wait for durability, not for apply.
 * Takes a snapshot at each boundary of its {@link SnapshotSchedule} (staggered across nodes) and then lets log retention
 * delete what the snapshot covers. Installs snapshots a follower received (the store belongs to this
 * thread). Reads of the store happen on other threads (MapDB is thread-safe); they wait on
 * {@link KeyValueStore#appliedOffset()}.
 *
 * <p>Idles in a parking strategy (1 ms by default) and is woken by {@link #wake()} when the conductor sees the
 * commit offset or the durable end move, or hands it an install or a rewind; it wakes the conductor in turn when
 * the store moved (reads that wait for the store, installs and rewinds are the conductor's to answer), so
 * neither hand-off waits out the other thread's park.
 */
public final class ApplyAgent implements Agent
{
    private static final int READ_BYTES = 1024 * 1024;
    private static final long RETENTION_CHECK_INTERVAL_MS = 1000;

    /**
     * A snapshot the follower received, to install in place of the store; or, with a null file, a rewind: the
     * store goes back to the newest local snapshot at or below {@code offset} (or to empty), because the log
     * is about to be cut there.
     */
    record InstallCommand(Path file, long offset)
    {
    }

    /** {@link #requestedSnapshot()} when the requested snapshot failed. */
    public static final SnapshotInfo FAILED_SNAPSHOT = new SnapshotInfo(null, -1, 0, 0, 0);

    private final SegmentedLog log;
    private final KeyValueStore store;
    private final LongSupplier commitOffset;
    private final SnapshotSchedule snapshotSchedule;
    private final System.Logger logger;
    private final ByteBuffer readBuffer = ByteBuffer.allocateDirect(READ_BYTES + BatchDescriptor.MAX_BATCH_LENGTH);
    private final UnsafeBuffer batches = new UnsafeBuffer(readBuffer);
    private final ApplyLag applyLag = new ApplyLag();
    private final ManyToOneConcurrentArrayQueue<InstallCommand> installs = new ManyToOneConcurrentArrayQueue<>(4);
    private final Wakeup wakeup = new Wakeup();
    private final Wakeup conductorWakeup;
    private final int nice;

    /** Applied offset at which the next periodic snapshot is due; -1 until computed from the store. */
    private long nextSnapshotOffset = -1;
    /** Offset the newest valid snapshot covers: retention may delete log below it. -1 until first looked up. */
    private long snapshotOffset = -1;
    private long lastRetentionCheckMs;
    private volatile long installedOffset = -1;
    private volatile long rewoundTo = -1;
    private volatile String failure;
    private volatile boolean snapshotRequested;
    private volatile SnapshotInfo requestedSnapshot;

    ApplyAgent(final SegmentedLog log, final KeyValueStore store, final LongSupplier commitOffset,
        final SnapshotSchedule snapshotSchedule, final System.Logger logger, final Wakeup conductorWakeup, final int nice)
    {
        this.conductorWakeup = conductorWakeup;
        this.nice = nice;
        this.log = log;
        this.store = store;
        this.commitOffset = commitOffset;
        this.snapshotSchedule = snapshotSchedule;
        this.logger = logger;
    }

    /** {@code logship_apply_lag_seconds}, recorded by this agent's thread. */
    public ApplyLag applyLag()
    {
        return applyLag;
    }

    @Override
    public void onStart()
    {
        wakeup.bind(Thread.currentThread());
        // Below the write path on a saturated host: acknowledgements never wait for the store (see the class
        // comment), so the store is what should yield the CPU (docs/DESIGN.md#node-threads).
        ThreadNice.applyToCurrentThread(nice, "The apply thread", logger);
        logger.log(INFO, "Periodic store snapshots at offsets " + snapshotSchedule.phase() + " + k * " +
            snapshotSchedule.interval() + " (this node's phase: the nodes of a cluster take theirs at different offsets)");
    }

    /** There is new work: the apply target moved, or a command was queued. Any thread; cheap when awake. */
    public void wake()
    {
        wakeup.wake();
    }

    @Override
    public int doWork()
    {
        if (null != failure)
        {
            return 0;
        }
        int work = 0;
        final InstallCommand install = installs.poll();
        if (null != install && null == install.file())
        {
            rewind(install.offset());
            work++;
        }
        else if (null != install)
        {
            store.installSnapshot(install.file());
            nextSnapshotOffset = -1;
            snapshotOffset = install.offset();
            installedOffset = install.offset();
            logger.log(INFO, "Installed snapshot " + install.file() + " at offset " + install.offset());
            work++;
        }

        // Never apply past this node's own fsynced end: under fsync=interval a commit may run ahead of it, and a
        // store (or snapshot) ahead of the log would outlive a power cut that takes the log's tail.
        final long target = Math.min(commitOffset.getAsLong(), log.durableEndOffset());
        final long applied = store.appliedOffset();
        applyLag.onCommitSeen(target, applied, System.nanoTime());
        if (applied < target && applied >= log.logStartOffset())
        {
            work += applyFrom(applied, target);
        }
        applyLag.onApplied(store.appliedOffset(), System.nanoTime());
        if (work > 0)
        {
            conductorWakeup.wake(); // the applied offset moved, or an install or rewind is done
        }
        final long appliedNow = store.appliedOffset();
        if (nextSnapshotOffset < 0)
        {
            nextSnapshotOffset = snapshotSchedule.nextAfter(appliedNow);
        }
        if (appliedNow >= nextSnapshotOffset || snapshotRequested)
        {
            final boolean requested = snapshotRequested;
            snapshotRequested = false;
            final SnapshotInfo info = takeSnapshot();
            if (requested)
            {
                requestedSnapshot = null != info ? info : FAILED_SNAPSHOT;
            }
            work++;
        }
        final long nowMs = System.currentTimeMillis();
        if (nowMs - lastRetentionCheckMs >= RETENTION_CHECK_INTERVAL_MS)
        {
            lastRetentionCheckMs = nowMs;
            applyRetention(nowMs);
        }
        work += deleteRetiredStep();
        return work;
    }

    /** One step of freeing what retention retired, log segments first (docs/DESIGN.md#deleting-in-steps). */
    private int deleteRetiredStep()
    {
        try
        {
            return log.deleteRetiredStep() || store.snapshots().deleteRetiredStep() ? 1 : 0;
        }
        catch (final LogshipException ex)
        {
            logger.log(WARNING, "retention: " + ex.getMessage() + "; left for the next start to delete");
            return 0;
        }
    }

    private int applyFrom(final long applied, final long target)
    {
        readBuffer.clear();
        final int length;
        try
        {
            length = log.read(applied, READ_BYTES, readBuffer);
        }
        catch (final LogshipException ex)
        {
            // A truncation or snapshot install on the conductor raced with this read: try again next cycle.
            logger.log(WARNING, "apply: reading the log at offset " + applied + " failed, will retry: " + ex.getMessage());
            return 0;
        }
        int position = 0;
        int work = 0;
        while (position < length)
        {
            final long next = BatchDescriptor.nextOffset(batches, position);
            if (next > target)
            {
                break;
            }
            try
            {
                store.apply(batches, position);
            }
            catch (final LogshipException ex)
            {
                failure = ex.getMessage();
                logger.log(ERROR, "apply stopped: " + ex.getMessage());
                return work;
            }
            position += BatchDescriptor.length(batches, position);
            work++;
        }
        return work;
    }

    private SnapshotInfo takeSnapshot()
    {
        try
        {
            final SnapshotInfo info = store.takeSnapshot();
            nextSnapshotOffset = snapshotSchedule.nextAfter(info.appliedOffset());
            snapshotOffset = info.appliedOffset();
            applyRetention(System.currentTimeMillis());
            logger.log(INFO, "Snapshot at offset " + info.appliedOffset() + ": " + info.entryCount() + " keys");
            return info;
        }
        catch (final LogshipException ex)
        {
            // Try again at the next boundary, not in a tight loop.
            nextSnapshotOffset = snapshotSchedule.nextAfter(store.appliedOffset());
            logger.log(ERROR, "snapshot failed: " + ex.getMessage());
            return null;
        }
    }

    /**
     * Conductor: asks for a snapshot of the store as applied now ({@code logship snapshot save}), taken on this
     * thread at its next cycle like the periodic ones; {@link #requestedSnapshot()} answers.
     */
    public void requestSnapshot()
    {
        requestedSnapshot = null;
        snapshotRequested = true;
    }

    /**
     * The snapshot {@link #requestSnapshot()} asked for: null while it is being taken, {@link #FAILED_SNAPSHOT} if
     * it failed (the apply thread logged why).
     */
    public SnapshotInfo requestedSnapshot()
    {
        return requestedSnapshot;
    }

    private void applyRetention(final long nowMs)
    {
        if (snapshotOffset < 0)
        {
            // Verifying a snapshot reads it whole: do it once, then track the snapshots this thread makes.
            snapshotOffset = store.snapshots().newestValidSnapshot().map(SnapshotInfo::appliedOffset).orElse(0L);
        }
        try
        {
            log.applyRetention(nowMs, Math.min(snapshotOffset, store.appliedOffset()));
        }
        catch (final LogshipException ex)
        {
            logger.log(ERROR, "retention failed: " + ex.getMessage());
        }
    }

    private void rewind(final long cutOffset)
    {
        final SnapshotInfo snapshot = store.snapshots().newestValidSnapshotAtOrBelow(cutOffset)
            .filter(info -> info.appliedOffset() >= log.logStartOffset()).orElse(null);
        if (null != snapshot)
        {
            store.installSnapshot(snapshot.file());
        }
        else if (log.logStartOffset() == 0)
        {
            store.resetToEmpty();
        }
        else
        {
            failure = "the store applied beyond offset " + cutOffset + ", where the log must be cut, and no local " +
                "snapshot at or below it covers the log start " + log.logStartOffset() + ": delete the store " +
                "directory and restart the node";
            logger.log(ERROR, failure);
            return;
        }
        nextSnapshotOffset = -1;
        snapshotOffset = -1;
        rewoundTo = store.appliedOffset();
        logger.log(INFO, "Store rewound to applied offset " + rewoundTo + (null != snapshot ? " (snapshot " +
            snapshot.file().getFileName() + ")" : " (empty: the log is applied again from 0)") + " before the log is " +
            "cut at offset " + cutOffset);
    }

    /**
     * Called by the conductor, with the commit offset already lowered to {@code cutOffset}: take the store back
     * to at or below {@code cutOffset}; {@link #rewoundTo()} is the offset it went back to once done.
     */
    public boolean requestRewind(final long cutOffset)
    {
        rewoundTo = -1;
        final boolean queued = installs.offer(new InstallCommand(null, cutOffset));
        wake();
        return queued;
    }

    public long rewoundTo()
    {
        return rewoundTo;
    }

    /** Called by the conductor: install a received snapshot; {@link #installedOffset()} tells when done. */
    public boolean requestInstall(final Path file, final long offset)
    {
        installedOffset = -1;
        final boolean queued = installs.offer(new InstallCommand(file, offset));
        wake();
        return queued;
    }

    public long installedOffset()
    {
        return installedOffset;
    }

    /** Why apply stopped (the store could not follow the log), or null. */
    public String failure()
    {
        return failure;
    }

    @Override
    public String roleName()
    {
        return "apply";
    }
}
