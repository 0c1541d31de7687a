package io.logship.node.follower;

import io.aeron.logbuffer.Header;
import io.logship.node.fault.FaultInjector;
import io.logship.transport.Decoders;
import io.logship.transport.MessageTypes;
import io.logship.transport.codec.AppendBatchDecoder;
import io.logship.transport.codec.HeartbeatDecoder;
import io.logship.transport.codec.RefuseDecoder;
import io.logship.transport.codec.SnapshotChunkDecoder;
import org.agrona.DirectBuffer;

import static java.lang.System.Logger.Level.WARNING;

/**
 * Decodes the replication stream (what a leader sends this node: batches, heartbeats, snapshot chunks,
 * refusals of its fetches) and hands each message to {@link FollowerReplication}. Polled in both roles: a
 * leader of a higher epoch deposes a leader through it too. Conductor thread only.
 */
public final class ReplicationAdapter
{
    private final FollowerReplication follower;
    private final FaultInjector faults;
    private final System.Logger logger;
    private final Decoders decoders = new Decoders();

    public ReplicationAdapter(final FollowerReplication follower, final FaultInjector faults, final System.Logger logger)
    {
        this.follower = follower;
        this.faults = faults;
        this.logger = logger;
    }

    /** The replication stream's handler: {@code position} is the message's byte position in {@code buffer}. */
    public void onMessage(final int templateId, final DirectBuffer buffer, final int position, final int length,
        final Header header)
    {
        if (faults.dropped(templateId, buffer, position, length))
        {
            return;
        }
        switch (templateId)
        {
            case AppendBatchDecoder.TEMPLATE_ID -> follower.onAppendBatch(decoders.appendBatch(buffer, position, length));
            case HeartbeatDecoder.TEMPLATE_ID -> follower.onHeartbeat(decoders.heartbeat(buffer, position, length));
            case SnapshotChunkDecoder.TEMPLATE_ID ->
                follower.onSnapshotChunk(decoders.snapshotChunk(buffer, position, length));
            case RefuseDecoder.TEMPLATE_ID -> follower.onRefused(decoders.refuse(buffer, position, length));
            default -> logger.log(WARNING, "unexpected " + MessageTypes.describe(templateId) + " on replication");
        }
    }
}
