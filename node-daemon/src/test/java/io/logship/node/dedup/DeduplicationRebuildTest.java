package io.logship.node.dedup;

import io.logship.format.BatchBuilder;
import io.logship.format.RecordCursor;
import io.logship.format.RecordType;
import io.logship.kv.KeyValueStore;
import io.logship.kv.SnapshotStore;
import io.logship.log.FsyncPolicy;
import io.logship.log.LogConfig;
import io.logship.log.SegmentedLog;
import io.logship.node.read.BatchIterator;
import io.logship.node.read.LogReadBuffer;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A new leader's de-duplication window is rebuilt a slice per duty cycle ({@link Deduplication#rebuildSlice()})
 * so the conductor keeps heartbeating: over a log of several MiB the rebuild must take many slices, each within
 * its byte and time bounds, and leave the window exactly as one pass over the same log did (the rebuild before
 * it was sliced), so every retry gets the same verdict. A follower keeps the window as it appends: elected, it
 * needs no rebuild and gives the verdicts of one, unless its log was cut or it missed an append since. Where it
 * starts over, it first catches up with the log from the store's applied offset, so a new leader needs no search
 * of the log for a client it never met.
 */
class DeduplicationRebuildTest
{
    private static final long[] CLIENTS = {-7163069878638840765L, 99, 1234, 5678, 42};
    private static final int REBUILD_BYTES = 3 * 1024 * 1024;
    private static final int SLICE_BYTES = 256 * 1024;
    /** A slice ends with the whole batch that crosses its bound; these batches are smaller than this. */
    private static final int MAX_BATCH_BYTES = 4096;
    private static final long CATCH_UP_BYTES = 8L * 1024 * 1024;

    @TempDir
    Path dir;

    private SegmentedLog log;
    private KeyValueStore store;
    private final long[] highest = new long[CLIENTS.length];

    @BeforeEach
    void open()
    {
        log = SegmentedLog.open(new LogConfig().directory(dir.resolve("log")).segmentBytes(1024 * 1024)
            .fsyncPolicy(FsyncPolicy.INTERVAL).fsyncIntervalMs(60_000).conclude());
        store = KeyValueStore.open(dir.resolve("store"), new SnapshotStore(dir.resolve("snapshots"), 2));
        appendClientWrites(60_000);
    }

    @AfterEach
    void close()
    {
        store.close();
        log.close();
    }

    @Test
    void shouldRebuildInManySlicesBoundedInBytesLeavingTheWindowAsOnePassDid()
    {
        final Deduplication dedup = dedup(new DedupWindow(64, 4096, 4), clockAdvancing(0), Long.MAX_VALUE);

        final int slices = rebuild(dedup);

        assertThat(dedup.rebuildBytesRead()).isGreaterThan(2L * 1024 * 1024);
        assertThat(dedup.largestSliceBytes()).isLessThanOrEqualTo(SLICE_BYTES + MAX_BATCH_BYTES);
        assertThat(slices).isGreaterThanOrEqualTo((int)(dedup.rebuildBytesRead() / SLICE_BYTES));
        assertSameVerdicts(dedup.window(), onePass(new DedupWindow(64, 4096, 4), dedup.rebuildFrom()));
    }

    @Test
    void shouldEndASliceOnceItsTimeIsUpEvenBelowItsBytes()
    {
        // The clock moves 1 ms per reading: every slice is over its time after its first batch.
        final Deduplication dedup = dedup(new DedupWindow(64, 4096, 16), clockAdvancing(TimeUnit.MILLISECONDS.toNanos(1)),
            TimeUnit.MICROSECONDS.toNanos(500));

        final int slices = rebuild(dedup);

        assertThat(dedup.largestSliceBytes()).isLessThanOrEqualTo(MAX_BATCH_BYTES);
        assertThat(slices).isGreaterThanOrEqualTo((int)(dedup.rebuildBytesRead() / MAX_BATCH_BYTES));
        assertSameVerdicts(dedup.window(), onePass(new DedupWindow(64, 4096, 16), dedup.rebuildFrom()));
    }

    @Test
    void shouldStartOverAtTheLogStartWhenRetentionRemovedWhereTheRebuildStood()
    {
        final Deduplication dedup = dedup(new DedupWindow(64, 4096, 16), clockAdvancing(0), Long.MAX_VALUE);
        dedup.startRebuild();
        dedup.rebuildSlice();
        assertThat(dedup.isRebuilding()).isTrue();
        final long newStart = log.logEndOffset() - 10;
        log.truncateFullyAndStartAt(newStart); // the rebuild's place is gone, and so is the rest of its range

        dedup.rebuildSlice();

        assertThat(dedup.isRebuilding()).isFalse();
        // Covers only what is left, and claims nothing about the writes it could not read.
        assertThat(dedup.window().unknownCoversFrom()).isEqualTo(newStart);
        for (final long client : CLIENTS)
        {
            assertThat(dedup.window().knows(client)).isFalse();
        }
    }

    @Test
    void shouldNeedNoRebuildAfterFollowingEveryAppendAndGiveTheVerdictsOfOnePass()
    {
        try (SegmentedLog followerLog = openFollowerLog())
        {
            final Deduplication dedup = followerDedup(followerLog);
            follow(followerLog, dedup, 0, log.logEndOffset());

            dedup.startRebuild();

            assertThat(dedup.isRebuilding()).as("whole from following: nothing to read").isFalse();
            assertThat(dedup.keptFromFollowing()).isTrue();
            assertThat(dedup.rebuildSlice()).isZero();
            assertSameVerdicts(dedup.window(), onePass(new DedupWindow(64, 4096, 4), 0));
        }
    }

    @Test
    void shouldRebuildWhenTheLogWasCutAfterItFollowed()
    {
        try (SegmentedLog followerLog = openFollowerLog())
        {
            final Deduplication dedup = followerDedup(followerLog);
            follow(followerLog, dedup, 0, log.logEndOffset());
            // Reconciliation cut the suffix the old leader never committed: the window met records that are gone.
            followerLog.truncateTo(log.logEndOffset() / 2);
            dedup.onTruncated();

            dedup.startRebuild();

            assertThat(dedup.keptFromFollowing()).isFalse();
            assertThat(dedup.isRebuilding()).isTrue();
        }
    }

    @Test
    void shouldCatchUpFromTheStoresAppliedOffsetAtAnAppendThatDoesNotContinueWhatItMet()
    {
        try (SegmentedLog followerLog = openFollowerLog())
        {
            final Deduplication dedup = followerDedup(followerLog);
            final long half = follow(followerLog, dedup, 0, log.logEndOffset() / 2);
            // The log moved without the window (here: a cut it was not told of, then other appends it did not see).
            followerLog.truncateTo(half / 2);
            final long restart = follow(followerLog, null, followerLog.logEndOffset(), half * 3 / 4);
            assertThat(restart).isNotEqualTo(half);
            follow(followerLog, dedup, restart, log.logEndOffset());

            dedup.startRebuild();

            assertThat(dedup.keptFromFollowing()).isTrue();
            assertThat(dedup.rebuildFrom()).as("starts over at the store's applied offset (empty store: 0)").isZero();
            assertSameVerdicts(dedup.window(), onePass(new DedupWindow(64, 4096, 4), 0));
        }
    }

    @Test
    void shouldAnswerANewClientOfANodeRestartedLatelyWithoutSearchingBetweenItsStoreAndItsWindow()
    {
        try (SegmentedLog followerLog = openFollowerLog())
        {
            // Before a kill -9: the node appended most of the log; its store had applied a third of it.
            final long killedAt = follow(followerLog, null, 0, log.logEndOffset() * 3 / 4);
            applyToStore(log.logEndOffset() / 3);
            // Restarted, it follows again: its window starts over, and catches up from the store's applied offset.
            final Deduplication dedup = new Deduplication(followerLog, store, new LogReadBuffer(),
                clockAdvancing(TimeUnit.MICROSECONDS.toNanos(100)), new DedupWindow(64, 4096, 16), REBUILD_BYTES,
                SLICE_BYTES, TimeUnit.MICROSECONDS.toNanos(500), CATCH_UP_BYTES);
            follow(followerLog, dedup, killedAt, log.logEndOffset());
            assertThat(dedup.isCatchingUp()).isFalse();

            dedup.startRebuild(); // elected

            assertThat(dedup.keptFromFollowing()).isTrue();
            assertThat(dedup.rebuildFrom()).isEqualTo(store.appliedOffset());
            assertThat(dedup.rebuildSlices()).as("read in slices").isGreaterThan(1);
            assertSameVerdicts(dedup.window(), onePass(new DedupWindow(64, 4096, 16), store.appliedOffset()));
            // Room for every client (no eviction moved the coverage of new clients up). A client it never met
            // writes its first record: new at once. With the window begun at the restart the
            // store and the window left a third of the log to search, and the first cycle's budget (500 µs, each
            // reading of this clock 100 µs later) ends such a search after a slice: DEFERRED, the client retrying.
            dedup.check().onDutyCycle();
            assertThat(dedup.check().check(7, 1)).isEqualTo(DuplicateCheck.NEW);
        }
    }

    @Test
    void shouldCatchUpOnlyTheLastCatchUpBytesOfAStoreFarBehind()
    {
        try (SegmentedLog followerLog = openFollowerLog())
        {
            final long killedAt = follow(followerLog, null, 0, log.logEndOffset() / 2);
            final Deduplication dedup = new Deduplication(followerLog, store, new LogReadBuffer(), clockAdvancing(0),
                new DedupWindow(64, 4096, 4), REBUILD_BYTES, SLICE_BYTES, Long.MAX_VALUE, 1024 * 1024);
            follow(followerLog, dedup, killedAt, log.logEndOffset());

            dedup.startRebuild();

            assertThat(dedup.keptFromFollowing()).isTrue();
            assertThat(dedup.rebuildFrom()).isPositive(); // the store applied nothing: 1 MiB below the end, not 0
            assertThat(dedup.rebuildBytesRead()).as("about 1 MiB, and what was appended while it read")
                .isBetween(768L * 1024, 1536L * 1024);
            assertSameVerdicts(dedup.window(), onePass(new DedupWindow(64, 4096, 4), dedup.rebuildFrom()));
        }
    }

    @Test
    void shouldGoOnWithACatchUpUnderWayAsTheRebuildWhenElectedOnlyIfLessThanARebuildIsLeft()
    {
        try (SegmentedLog followerLog = openFollowerLog())
        {
            final long killedAt = follow(followerLog, null, 0, log.logEndOffset() - 100);
            final Deduplication farBehind = followerDedup(followerLog);
            appendOneWithoutADutyCycle(followerLog, farBehind, killedAt);
            assertThat(farBehind.isCatchingUp()).isTrue();

            farBehind.startRebuild(); // elected: the catch-up from 0 has more than the rebuild's 3 MiB left

            assertThat(farBehind.isCatchingUp()).isFalse();
            assertThat(farBehind.isRebuilding()).isTrue();
            assertThat(farBehind.rebuildFrom()).as("started over as a rebuild").isPositive();

            applyToStore(log.logEndOffset() - 2000); // well inside the rebuild's 3 MiB
            final Deduplication nearlyThere = followerDedup(followerLog);
            appendOneWithoutADutyCycle(followerLog, nearlyThere, followerLog.logEndOffset());
            follow(followerLog, null, followerLog.logEndOffset(), log.logEndOffset()); // read by the catch-up

            nearlyThere.startRebuild();

            assertThat(nearlyThere.rebuildFrom()).as("the catch-up goes on").isEqualTo(store.appliedOffset());
            rebuild(nearlyThere, false);
            assertSameVerdicts(nearlyThere.window(), onePass(new DedupWindow(64, 4096, 4), store.appliedOffset()));
        }
    }

    /** A follower's append whose duty cycle has not come yet: a catch-up it starts has read nothing. */
    private void appendOneWithoutADutyCycle(final SegmentedLog followerLog, final Deduplication dedup, final long at)
    {
        final LogReadBuffer staging = new LogReadBuffer();
        final BatchIterator batches = staging.batches(staging.read(log, at, 64 * 1024));
        assertThat(batches.next()).isTrue();
        followerLog.appendAsFollower(staging.buffer(), batches.position(), batches.length(), false);
        dedup.onFollowerAppend(staging.buffer(), batches.position());
    }

    private SegmentedLog openFollowerLog()
    {
        return SegmentedLog.open(new LogConfig().directory(dir.resolve("follower-log")).segmentBytes(1024 * 1024)
            .fsyncPolicy(FsyncPolicy.INTERVAL).fsyncIntervalMs(60_000).conclude());
    }

    private Deduplication followerDedup(final SegmentedLog followerLog)
    {
        return new Deduplication(followerLog, store, new LogReadBuffer(), clockAdvancing(0),
            new DedupWindow(64, 4096, 4), REBUILD_BYTES, SLICE_BYTES, Long.MAX_VALUE, CATCH_UP_BYTES);
    }

    /**
     * Appends the leader's batches from {@code from} to (at least) {@code to} to the follower's log as a follower
     * does, telling {@code dedup} of each (none if null) and running its catch-up once per batch as the duty cycle
     * does, then until it ends; returns the follower's log end.
     */
    private long follow(final SegmentedLog followerLog, final Deduplication dedup, final long from, final long to)
    {
        final LogReadBuffer staging = new LogReadBuffer();
        long offset = from;
        while (offset < to)
        {
            final int length = staging.read(log, offset, 64 * 1024);
            final BatchIterator batches = staging.batches(length);
            while (offset < to && batches.next())
            {
                followerLog.appendAsFollower(staging.buffer(), batches.position(), batches.length(), false);
                if (null != dedup)
                {
                    dedup.onFollowerAppend(staging.buffer(), batches.position());
                    dedup.catchUpSlice();
                }
                offset = batches.nextOffset();
            }
        }
        while (null != dedup && dedup.isCatchingUp())
        {
            dedup.catchUpSlice();
        }
        return followerLog.logEndOffset();
    }

    private Deduplication dedup(final DedupWindow window, final NanoClock clock, final long sliceNs)
    {
        return new Deduplication(log, store, new LogReadBuffer(), clock, window, REBUILD_BYTES, SLICE_BYTES, sliceNs,
            CATCH_UP_BYTES);
    }

    /** The store applies the leader's log up to (about) {@code offset}, as the apply thread would. */
    private void applyToStore(final long offset)
    {
        final LogReadBuffer staging = new LogReadBuffer();
        while (store.appliedOffset() < offset)
        {
            final BatchIterator batches = staging.batches(staging.read(log, store.appliedOffset(), 64 * 1024));
            while (store.appliedOffset() < offset && batches.next())
            {
                store.apply(staging.buffer(), batches.position());
            }
        }
    }

    private static int rebuild(final Deduplication dedup)
    {
        return rebuild(dedup, true);
    }

    private static int rebuild(final Deduplication dedup, final boolean start)
    {
        if (start)
        {
            dedup.startRebuild();
        }
        int slices = 0;
        while (dedup.isRebuilding())
        {
            assertThat(dedup.rebuildSlice()).isEqualTo(1);
            slices++;
        }
        assertThat(dedup.rebuildSlice()).isZero();
        assertThat(dedup.rebuildSlices()).isEqualTo(slices);
        return slices;
    }

    /** The rebuild as it was before it was sliced: one pass over the log from {@code from}, on the conductor. */
    private DedupWindow onePass(final DedupWindow window, final long from)
    {
        final LogReadBuffer staging = new LogReadBuffer();
        final RecordCursor cursor = new RecordCursor();
        long offset = from;
        window.reset(offset);
        while (offset < log.logEndOffset())
        {
            final int length = staging.read(log, offset, 1024 * 1024);
            final BatchIterator batches = staging.batches(length);
            while (batches.next())
            {
                cursor.wrap(staging.buffer(), batches.position());
                while (cursor.next())
                {
                    if (cursor.idempotent())
                    {
                        window.onAppended(cursor.clientId(), cursor.sequence(), cursor.offset());
                    }
                }
                offset = batches.nextOffset();
            }
        }
        return window;
    }

    /** Every sequence of every client, and one above each, gets the same answer from both windows. */
    private void assertSameVerdicts(final DedupWindow sliced, final DedupWindow reference)
    {
        assertThat(sliced.unknownCoversFrom()).isEqualTo(reference.unknownCoversFrom());
        for (int c = 0; c < CLIENTS.length; c++)
        {
            final long client = CLIENTS[c];
            assertThat(sliced.knows(client)).isEqualTo(reference.knows(client));
            assertThat(sliced.highestSequence(client)).isEqualTo(reference.highestSequence(client));
            for (long sequence = 1; sequence <= highest[c] + 1; sequence++)
            {
                final long verdict = reference.lookup(client, sequence);
                assertThat(sliced.lookup(client, sequence)).as("client %d sequence %d", client, sequence)
                    .isEqualTo(verdict);
                if (verdict < 0)
                {
                    assertThat(sliced.searchFrom()).as("search from, client %d sequence %d", client, sequence)
                        .isEqualTo(reference.searchFrom());
                }
            }
        }
        assertThat(sliced.lookup(7, 1)).isEqualTo(DedupWindow.UNKNOWN_CLIENT);
    }

    /**
     * {@code records} idempotent PUTs in batches of 1 to 16 records of one client, clients interleaved at
     * random, with gaps (writes that failed) and stragglers (a lower sequence appended after higher ones), as
     * a leader's journal leaves them; some non-idempotent writes between.
     */
    private void appendClientWrites(final int records)
    {
        final SplittableRandom random = new SplittableRandom(20261205);
        final BatchBuilder builder = new BatchBuilder(64 * 1024);
        final UnsafeBuffer key = new UnsafeBuffer(new byte[64]);
        final UnsafeBuffer value = new UnsafeBuffer(new byte[64]);
        int written = 0;
        while (written < records)
        {
            final int c = random.nextInt(CLIENTS.length);
            final int count = 1 + random.nextInt(16);
            final boolean idempotent = random.nextInt(20) != 0;
            builder.reset(1, System.currentTimeMillis());
            for (int i = 0; i < count; i++)
            {
                long sequence = 0;
                if (idempotent)
                {
                    highest[c] += 1 + (random.nextInt(50) == 0 ? 1 : 0);
                    sequence = random.nextInt(100) == 0 && highest[c] > 40 ? highest[c] - 30 - random.nextInt(10) :
                        highest[c];
                }
                final int keyLength = key.putStringWithoutLengthAscii(0, "key-" + c + "-" + written);
                final int valueLength = value.putStringWithoutLengthAscii(0, "value " + written + " of client " + c);
                assertThat(builder.append(RecordType.PUT, idempotent, CLIENTS[c], sequence, key, 0, keyLength, value, 0,
                    valueLength)).isTrue();
                written++;
            }
            log.appendAsLeader(builder.buffer(), 0, builder.build());
        }
    }

    private static NanoClock clockAdvancing(final long stepNs)
    {
        final long[] now = {1_000_000_000L};
        return () -> now[0] += stepNs;
    }
}
