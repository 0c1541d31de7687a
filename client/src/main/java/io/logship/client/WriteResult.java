package io.logship.client;

/**
 * A write that succeeded: its record's offset (the original one if the write was a retry the leader had
 * already applied), the leader's epoch, the ack level reached, the leader that answered, and the write's
 * durability receipt: how many nodes (leader included) had written the record, and how many had fsynced it,
 * when the leader answered (docs/DESIGN.md#fsync-policy). The receipt is a snapshot at reply time: later
 * fsyncs and followers catching up raise the real counts, never lower them.
 *
 * @param nodesWritten nodes that had the record in their log (fsynced or not) when the leader answered.
 * @param nodesFsynced nodes that had fsynced it; at least a majority for an ack level QUORUM write under
 *                     {@code logship.log.fsync=always}.
 */
public record WriteResult(long offset, int epoch, AckLevel ackLevelReached, int leaderId, int nodesWritten,
    int nodesFsynced)
{
    /** A result without a receipt (both counts 0): built by tests and tools, never by a leader's reply. */
    public WriteResult(final long offset, final int epoch, final AckLevel ackLevelReached, final int leaderId)
    {
        this(offset, epoch, ackLevelReached, leaderId, 0, 0);
    }
}
