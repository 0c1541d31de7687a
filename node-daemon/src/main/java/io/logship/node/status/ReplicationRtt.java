package io.logship.node.status;

import org.agrona.collections.Long2LongHashMap;

/**
 * {@code logship_replication_rtt_seconds}: on the leader, heartbeat to follower ack and back. Every Ack echoes the
 * newest heartbeat timestamp (the leader's clock) the follower has seen, and a follower acks each heartbeat at once,
 * so the first ack echoing a new timestamp measures the round trip; later acks echoing the same one (acks of
 * batches) would add the time since the heartbeat and are skipped. No allocation once each follower has been seen
 * (the map grows only for a new node id). Conductor thread only.
 */
public final class ReplicationRtt
{
    private final LatencyHistogram histogram = new LatencyHistogram("logship_replication_rtt_seconds",
        "leader: heartbeat sent to the follower's ack echoing it");
    private final Long2LongHashMap lastEchoedNs = new Long2LongHashMap(Long.MIN_VALUE);

    public LatencyHistogram histogram()
    {
        return histogram;
    }

    /** An Ack from {@code nodeId} echoing {@code echoedNs} (negative: no heartbeat seen yet) arrived at {@code nowNs}. */
    public void onAck(final int nodeId, final long echoedNs, final long nowNs)
    {
        if (echoedNs >= 0 && echoedNs > lastEchoedNs.get(nodeId))
        {
            lastEchoedNs.put(nodeId, echoedNs);
            histogram.record(nowNs - echoedNs);
        }
    }
}
