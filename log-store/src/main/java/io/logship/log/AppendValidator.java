package io.logship.log;

import io.logship.format.BatchDescriptor;

import org.agrona.DirectBuffer;

/**
 * The checks a batch must pass before {@link SegmentedLog} appends it: a well-formed header (length,
 * magic, record count) whose epoch is not older than the log's, and for a follower also its CRC32C and
 * a base offset equal to the log end. Each failure is an {@link InvalidBatchException} naming the
 * field, the value and what was expected; the log is unchanged.
 *
 * <p>Stateless; called on the appending thread.
 */
final class AppendValidator
{
    private AppendValidator()
    {
    }

    /** Header checks for every append; {@code maxLength} is the segment size, which no batch may exceed. */
    static void checkHeader(
        final DirectBuffer buffer, final int offset, final int length, final int maxLength, final int latestEpoch)
    {
        if (length < BatchDescriptor.HEADER_LENGTH || length > maxLength ||
            BatchDescriptor.length(buffer, offset) != length)
        {
            throw new InvalidBatchException("batch length field " +
                (length >= BatchDescriptor.HEADER_LENGTH ? BatchDescriptor.length(buffer, offset) : -1) +
                " for " + length + " bytes given; must match and be in [" + BatchDescriptor.HEADER_LENGTH + ", " +
                maxLength + "]");
        }
        if (BatchDescriptor.magic(buffer, offset) != BatchDescriptor.MAGIC)
        {
            throw new InvalidBatchException("batch magic " + BatchDescriptor.magic(buffer, offset) + ", expected " +
                BatchDescriptor.MAGIC);
        }
        if (BatchDescriptor.recordCount(buffer, offset) <= 0)
        {
            throw new InvalidBatchException("batch record count " + BatchDescriptor.recordCount(buffer, offset) +
                " must be positive");
        }
        final int epoch = BatchDescriptor.epoch(buffer, offset);
        if (epoch < latestEpoch)
        {
            throw new InvalidBatchException("batch epoch " + epoch + " is older than the log's latest epoch " +
                latestEpoch);
        }
    }

    /**
     * The follower's further checks, after {@link #checkHeader}: the batch passes its checksum and
     * starts at {@code logEndOffset}.
     *
     * @return the batch's base offset.
     */
    static long checkFollowerBatch(
        final DirectBuffer buffer, final int offset, final int length, final long logEndOffset)
    {
        final String problem = BatchDescriptor.validate(buffer, offset, length);
        if (null != problem)
        {
            throw new InvalidBatchException("batch at offset " + BatchDescriptor.baseOffset(buffer, offset) +
                " refused: " + problem);
        }
        final long baseOffset = BatchDescriptor.baseOffset(buffer, offset);
        if (baseOffset != logEndOffset)
        {
            throw new InvalidBatchException("batch base offset " + baseOffset + " does not follow the log end " +
                logEndOffset);
        }
        return baseOffset;
    }
}
