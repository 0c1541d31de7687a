package io.logship.kv;

import io.logship.format.BatchDescriptor;
import io.logship.log.FsyncPolicy;
import io.logship.log.LogConfig;
import io.logship.log.SegmentedLog;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Child process of {@link StoreCrashTest}: opens the log and the store in the given directory,
 * catches the store up from the log, prints {@value #STARTED}, then appends and applies
 * deterministic batches, with a snapshot every {@value #SNAPSHOT_EVERY_BATCHES} batches, until it is
 * killed. It never closes anything: the parent's SIGKILL is the only way it is meant to end.
 *
 * <p>Arguments: data directory, seed, key space.
 */
public final class StoreCrashChild
{
    static final String STARTED = "STARTED";
    static final String APPLIED = "APPLIED";
    static final int SNAPSHOT_EVERY_BATCHES = 40;

    // If the parent died without killing us, do not run forever.
    private static final long MAX_LIFETIME_NS = TimeUnit.SECONDS.toNanos(60);

    private StoreCrashChild()
    {
    }

    public static void main(final String[] args)
    {
        final Path dataDirectory = Path.of(args[0]);
        final DeterministicBatches batches = new DeterministicBatches(Long.parseLong(args[1]), Integer.parseInt(args[2]));
        final long deadlineNs = System.nanoTime() + MAX_LIFETIME_NS;

        // Process death, not power loss, is what this test injects: the page cache survives, so no fsync per batch.
        final SegmentedLog log = SegmentedLog.open(new LogConfig().directory(dataDirectory.resolve("log"))
            .segmentBytes(256 * 1024).fsyncPolicy(FsyncPolicy.INTERVAL).fsyncIntervalMs(100));
        final KeyValueStore store = KeyValueStore.open(dataDirectory.resolve("store"),
            new SnapshotStore(dataDirectory.resolve("snapshots"), 2));
        StoreRecovery.replay(store, log, log.logEndOffset());
        System.out.println(STARTED + " " + store.appliedOffset());
        System.out.flush();

        long batchIndex = log.logEndOffset() / DeterministicBatches.RECORDS_PER_BATCH;
        boolean reportedProgress = false;
        while (System.nanoTime() < deadlineNs)
        {
            final UnsafeBuffer batch = batches.batch(batchIndex);
            log.appendAsLeader(batch, 0, BatchDescriptor.length(batch, 0));
            log.flushIfDue(System.currentTimeMillis());
            store.apply(batch, 0);
            if (!reportedProgress)
            {
                // The parent starts its kill timer only now, so every round makes progress however loaded the machine.
                System.out.println(APPLIED + " " + store.appliedOffset());
                System.out.flush();
                reportedProgress = true;
            }
            batchIndex++;
            if (batchIndex % SNAPSHOT_EVERY_BATCHES == 0)
            {
                store.takeSnapshot();
            }
        }
        Runtime.getRuntime().halt(3);
    }
}
