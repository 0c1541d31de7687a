package io.logship.node.admin;

import io.logship.log.SegmentedLog;
import io.logship.node.read.BatchIterator;
import io.logship.node.read.LogReadBuffer;
import org.agrona.concurrent.NanoClock;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;

/**
 * The CRC32C of the whole batches in a range of the log, worked off one slice per duty cycle ({@link #slice()}).
 * A slice reads {@value #READ_BYTES} bytes at a time and stops after {@value #SLICE_BYTES} bytes or once
 * {@link #SLICE_NS} ns have passed, whichever comes first: slices of a fixed 1 MiB read took 7–10 ms of a busy
 * node's duty cycle during `verify` (perf/README.md), where heartbeats and acks wait. Conductor thread only; allocates
 * nothing per slice.
 */
final class RangeChecksum
{
    /** One read: whole batches of at most this many bytes (at least one batch). */
    static final int READ_BYTES = 128 * 1024;
    /** Bytes one slice reads at most. */
    static final int SLICE_BYTES = 1024 * 1024;
    /** Time after which a slice stops at the end of its current read: as a de-duplication rebuild slice. */
    static final long SLICE_NS = TimeUnit.MICROSECONDS.toNanos(500);

    private final SegmentedLog log;
    private final LogReadBuffer staging;
    private final NanoClock clock;
    private final CRC32C checksum = new CRC32C();
    /** A view of the staging buffer's bytes, re-aimed per batch: one object for the life of the node. */
    private final ByteBuffer view;
    private long offset;
    private long limit;
    private long coveredFrom;
    private long coveredTo;
    private long batchCount;
    private long byteCount;
    private boolean first;

    RangeChecksum(final SegmentedLog log, final LogReadBuffer staging, final NanoClock clock)
    {
        this.log = log;
        this.staging = staging;
        this.clock = clock;
        this.view = staging.byteBuffer().duplicate();
    }

    /** Starts over for the whole batches that end at or before {@code limit}, from {@code fromOffset}. */
    void start(final long fromOffset, final long limit)
    {
        checksum.reset();
        offset = fromOffset;
        this.limit = limit;
        coveredFrom = fromOffset;
        coveredTo = fromOffset;
        batchCount = 0;
        byteCount = 0;
        first = true;
    }

    /** Adds the batches of one slice; true if there is more to read. Throws what the log's read throws. */
    boolean slice()
    {
        final long startNs = clock.nanoTime();
        int sliceBytes = 0;
        while (offset < limit && sliceBytes < SLICE_BYTES)
        {
            final int read = staging.read(log, offset, Math.min(READ_BYTES, SLICE_BYTES - sliceBytes));
            if (read == 0 || !add(staging.batches(read)))
            {
                return false;
            }
            sliceBytes += read;
            if (clock.nanoTime() - startNs >= SLICE_NS)
            {
                break;
            }
        }
        return offset < limit;
    }

    /** Adds the whole batches of one read up to the limit; false if none was (the range is done). */
    private boolean add(final BatchIterator batches)
    {
        boolean consumed = false;
        while (batches.next() && batches.nextOffset() <= limit)
        {
            if (first)
            {
                coveredFrom = batches.baseOffset();
                first = false;
            }
            view.limit(batches.endPosition()).position(batches.position());
            checksum.update(view);
            batchCount++;
            byteCount += batches.length();
            offset = batches.nextOffset();
            coveredTo = offset;
            consumed = true;
        }
        return consumed;
    }

    long coveredFrom()
    {
        return coveredFrom;
    }

    long coveredTo()
    {
        return coveredTo;
    }

    long batchCount()
    {
        return batchCount;
    }

    long byteCount()
    {
        return byteCount;
    }

    long crc()
    {
        return checksum.getValue();
    }
}
