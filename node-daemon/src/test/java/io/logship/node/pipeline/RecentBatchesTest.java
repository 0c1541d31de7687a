package io.logship.node.pipeline;

import io.logship.log.FsyncPolicy;
import io.logship.log.LogConfig;
import io.logship.log.SegmentedLog;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The leader's window of recent batches ({@link RecentBatches}): the conductor ships from it only bytes the journal
 * published for exactly the offsets asked for, and never bytes the journal overwrote while they were copied.
 */
class RecentBatchesTest
{
    private static final System.Logger LOGGER = System.getLogger(RecentBatchesTest.class.getName());

    @TempDir
    Path dir;

    private final UnsafeBuffer dst = new UnsafeBuffer(ByteBuffer.allocateDirect(64 * 1024));

    @Test
    void shouldServeWholeBatchesFromTheOneHoldingTheOffsetUpToTheLimits()
    {
        final RecentBatches recent = new RecentBatches(4096, 16);
        publish(recent, 10, 4, 100); // offsets 10..13, 100 bytes
        publish(recent, 14, 2, 60);  // 14..15
        publish(recent, 16, 1, 40);  // 16

        assertThat(recent.read(12, 100, 1024, dst)).as("from the batch holding 12, all three").isEqualTo(200);
        assertBatch(0, 10, 100);
        assertBatch(100, 14, 60);
        assertBatch(160, 16, 40);
        assertThat(recent.read(14, 100, 1024, dst)).isEqualTo(100);
        assertBatch(0, 14, 60);
        assertThat(recent.read(10, 100, 150, dst)).as("whole batches within maxBytes").isEqualTo(100);
        assertThat(recent.read(10, 100, 10, dst)).as("at least one batch, as a log read").isEqualTo(100);
        assertThat(recent.read(10, 16, 1024, dst)).as("none past the log end given").isEqualTo(160);
        assertThat(recent.read(10, 13, 1024, dst)).as("not even the first when it ends past the log end")
            .isEqualTo(-1);
    }

    @Test
    void shouldSendToTheLogWhatItDoesNotHoldOrHasOverwritten()
    {
        final RecentBatches recent = new RecentBatches(250, 16);
        publish(recent, 0, 1, 100);
        publish(recent, 1, 1, 100);
        assertThat(recent.read(2, 100, 1024, dst)).as("not published yet").isEqualTo(-1);
        publish(recent, 2, 1, 100); // does not fit behind the others: starts at 0, over offset 0's bytes

        assertThat(recent.read(0, 100, 1024, dst)).as("overwritten").isEqualTo(-1);
        assertThat(recent.read(1, 2, 1024, dst)).isEqualTo(100);
        assertBatch(0, 1, 100);
        assertThat(recent.read(2, 100, 1024, dst)).isEqualTo(100);
        assertBatch(0, 2, 100);
        assertThat(recent.misses()).isEqualTo(2);
        assertThat(recent.hits()).isEqualTo(2);
    }

    @Test
    void shouldRetireTheOldestBatchWhenTheEntriesAreFull()
    {
        final RecentBatches recent = new RecentBatches(64 * 1024, 4);
        for (int i = 0; i < 6; i++)
        {
            publish(recent, i, 1, 16);
        }
        assertThat(recent.read(1, 6, 1024, dst)).isEqualTo(-1);
        assertThat(recent.read(2, 6, 1024, dst)).isEqualTo(64);
        assertBatch(48, 5, 16);
    }

    @Test
    void shouldForgetEverythingOnClearAndOnAGapInOffsets()
    {
        final RecentBatches recent = new RecentBatches(4096, 16);
        publish(recent, 0, 5, 50);
        recent.clear();
        assertThat(recent.read(0, 100, 1024, dst)).isEqualTo(-1);

        publish(recent, 5, 5, 50);
        publish(recent, 20, 5, 50); // not following 5..9: this window cannot vouch for 10..19 being absent
        assertThat(recent.read(5, 100, 1024, dst)).isEqualTo(-1);
        assertThat(recent.read(20, 100, 1024, dst)).isEqualTo(50);
    }

    @Test
    void shouldKeepNothingWithACapacityOfZero()
    {
        final RecentBatches recent = RecentBatches.none();
        publish(recent, 0, 1, 16);
        assertThat(recent.read(0, 100, 1024, dst)).isEqualTo(-1);
    }

    /**
     * The journal overwrites the window as fast as it can while the conductor reads from it: every copy the reader
     * accepts must be the batches it asked for, byte for byte. Without the tail check after the copy, a small window
     * under constant overwrite hands out torn batches within milliseconds.
     */
    @Test
    void shouldNeverHandOutBytesOverwrittenWhileTheyWereCopied() throws Exception
    {
        final RecentBatches recent = new RecentBatches(8 * 1024, 64);
        final AtomicLong published = new AtomicLong();
        final AtomicBoolean stop = new AtomicBoolean();
        final Thread writer = new Thread(() ->
        {
            final UnsafeBuffer batch = new UnsafeBuffer(new byte[1024]);
            long offset = 0;
            while (!stop.get())
            {
                final int length = 64 + (int)(offset % 7) * 100;
                fill(batch, offset, length);
                recent.publish(batch, 0, length, offset, offset + 1);
                published.lazySet(++offset);
            }
        }, "recent-batches-writer");
        writer.start();
        final AtomicReference<String> torn = new AtomicReference<>();
        long accepted = 0;
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1500);
        try
        {
            while (System.nanoTime() < deadline && null == torn.get())
            {
                final long end = published.get();
                final long from = Math.max(0, end - 1 - (end % 13));
                final int length = recent.read(from, end, 4096, dst);
                if (length > 0)
                {
                    accepted++;
                    torn.set(check(from, length));
                }
            }
        }
        finally
        {
            stop.set(true);
            writer.join();
        }
        assertThat(torn.get()).isNull();
        assertThat(accepted).as("reads served while the writer overwrote").isGreaterThan(100);
    }

    /** The journal's window holds exactly what it appended to the log, and forgets it when a new epoch starts. */
    @Test
    void shouldHoldWhatTheJournalAppendedAndForgetItAtANewEpoch()
    {
        final SegmentedLog log = SegmentedLog.open(new LogConfig().directory(dir.resolve("log"))
            .fsyncPolicy(FsyncPolicy.INTERVAL).conclude());
        try
        {
            final RecentBatches recent = new RecentBatches(64 * 1024, 64);
            final JournalHandler handler = new JournalHandler(log, 64 * 1024, () -> 1, 64, LOGGER,
                System::currentTimeMillis, () -> { }, () -> { }, recent);
            long sequence = 0;
            handler.onEvent(WriteEvents.plainPut(new WriteEvent(), "a", "1"), sequence++, false);
            handler.onEvent(WriteEvents.plainPut(new WriteEvent(), "b", "2"), sequence++, true);
            handler.onEvent(WriteEvents.plainPut(new WriteEvent(), "c", "3"), sequence++, true);
            assertThat(log.logEndOffset()).isEqualTo(3);

            final int length = recent.read(0, log.logEndOffset(), 64 * 1024, dst);
            final UnsafeBuffer fromLog = new UnsafeBuffer(ByteBuffer.allocateDirect(64 * 1024));
            assertThat(length).isEqualTo(log.read(0, 64 * 1024, fromLog, 0));
            for (int i = 0; i < length; i++)
            {
                assertThat(dst.getByte(i)).as("byte %d", i).isEqualTo(fromLog.getByte(i));
            }

            final WriteEvent epochStart = new WriteEvent();
            epochStart.kind = WriteEvent.KIND_EPOCH_START;
            handler.onEvent(epochStart, sequence, true);
            assertThat(recent.read(0, log.logEndOffset(), 64 * 1024, dst)).isEqualTo(-1);
            assertThat(recent.read(3, log.logEndOffset(), 64 * 1024, dst)).as("the new epoch's own batch").isPositive();
        }
        finally
        {
            log.close();
        }
    }

    /** A batch of {@code length} bytes for offsets [base, base + count): its bytes say its base offset. */
    private static void publish(final RecentBatches recent, final long base, final int count, final int length)
    {
        final UnsafeBuffer batch = new UnsafeBuffer(new byte[length]);
        fill(batch, base, length);
        recent.publish(batch, 0, length, base, base + count);
    }

    private static void fill(final UnsafeBuffer batch, final long base, final int length)
    {
        batch.putLong(0, base);
        batch.putInt(8, length);
        for (int i = 12; i < length; i++)
        {
            batch.putByte(i, (byte)(base * 31 + i));
        }
    }

    private void assertBatch(final int position, final long base, final int length)
    {
        assertThat(check(base, position, length)).isNull();
    }

    /** The batches copied, one offset each, consecutive from {@code from}; null if intact. */
    private String check(final long from, final int length)
    {
        int position = 0;
        long base = from;
        while (position < length)
        {
            final int batchLength = dst.getInt(position + 8);
            final String wrong = check(base, position, batchLength);
            if (null != wrong)
            {
                return wrong;
            }
            position += batchLength;
            base++;
        }
        return position == length ? null : "copied " + length + " bytes, batches end at " + position;
    }

    private String check(final long base, final int position, final int length)
    {
        if (dst.getLong(position) != base || dst.getInt(position + 8) != length)
        {
            return "batch at " + position + " says base " + dst.getLong(position) + " length " +
                dst.getInt(position + 8) + ", expected " + base + "/" + length;
        }
        for (int i = 12; i < length; i++)
        {
            if (dst.getByte(position + i) != (byte)(base * 31 + i))
            {
                return "batch " + base + " torn at byte " + i;
            }
        }
        return null;
    }
}
