package io.logship.transport;

import io.logship.transport.codec.AppendBatchDecoder;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableDirectByteBuffer;

/**
 * Rebuilds the {@code batches} bytes of an {@code AppendBatch} sent in chunks. Aeron caps one message
 * at termLength / 8 (and never more than 16 MiB), while a log batch may be up to 16 MiB, so a leader
 * sends a large batch as consecutive {@code AppendBatch} messages with the same epoch and baseOffset,
 * {@code totalLength} the whole length and {@code chunkPosition} the position of each chunk. The
 * common case is one chunk: {@code chunkPosition == 0 && chunk length == totalLength}.
 *
 * <p>Chunks arrive in order (one Aeron publication is reliable and ordered); a chunk that does not
 * continue the pending batch (another baseOffset or epoch, or a gap) discards the pending bytes and
 * is reported by {@link #onChunk} returning {@link #DISCARDED}: the follower should then ask for a
 * fetch from its log end. Owned by one thread.
 */
public final class AppendBatchAssembler
{
    /** {@link #onChunk} result: more chunks are needed. */
    public static final int INCOMPLETE = 0;
    /** {@link #onChunk} result: the batches bytes are complete in {@link #buffer()}. */
    public static final int COMPLETE = 1;
    /** {@link #onChunk} result: the chunk did not fit the pending batch; pending bytes were dropped. */
    public static final int DISCARDED = -1;

    private final int maxTotalLength;
    private final ExpandableDirectByteBuffer buffer;
    private long baseOffset = -1;
    private int epoch = -1;
    private int totalLength;
    private int assembledLength;

    /** @param maxTotalLength largest acceptable totalLength (e.g. the log's maximum batch length). */
    public AppendBatchAssembler(final int maxTotalLength)
    {
        this.maxTotalLength = maxTotalLength;
        this.buffer = new ExpandableDirectByteBuffer(64 * 1024);
    }

    /**
     * Adds the chunk carried by a decoder wrapped on an {@code AppendBatch} (its fixed fields unread or
     * read; the batches field must not have been read yet).
     */
    public int onChunk(final AppendBatchDecoder decoder)
    {
        final int chunkPosition = decoder.chunkPosition();
        final int total = decoder.totalLength();
        final int chunkLength = decoder.batchesLength();
        if (total < 0 || total > maxTotalLength || chunkPosition < 0 || chunkLength > total - chunkPosition)
        {
            reset();
            decoder.skipBatches();
            return DISCARDED;
        }

        if (chunkPosition == 0)
        {
            reset();
            baseOffset = decoder.baseOffset();
            epoch = decoder.epoch();
            totalLength = total;
        }
        else if (chunkPosition != assembledLength || decoder.baseOffset() != baseOffset ||
            decoder.epoch() != epoch || total != totalLength)
        {
            reset();
            decoder.skipBatches();
            return DISCARDED;
        }

        buffer.checkLimit(chunkPosition + chunkLength);
        decoder.getBatches(buffer, chunkPosition, chunkLength);
        assembledLength += chunkLength;
        return assembledLength == totalLength ? COMPLETE : INCOMPLETE;
    }

    /** The assembled bytes, valid from 0 to {@link #length()} after {@link #COMPLETE}. */
    public DirectBuffer buffer()
    {
        return buffer;
    }

    public int length()
    {
        return assembledLength;
    }

    public long baseOffset()
    {
        return baseOffset;
    }

    public int epoch()
    {
        return epoch;
    }

    public void reset()
    {
        baseOffset = -1;
        epoch = -1;
        totalLength = 0;
        assembledLength = 0;
    }

    /** Largest chunk of batch bytes that fits one AppendBatch of at most {@code maxMessageLength} bytes. */
    public static int maxChunkLength(final int maxMessageLength)
    {
        return maxMessageLength - Decoders.HEADER_LENGTH - AppendBatchDecoder.BLOCK_LENGTH -
            AppendBatchDecoder.batchesHeaderLength();
    }
}
