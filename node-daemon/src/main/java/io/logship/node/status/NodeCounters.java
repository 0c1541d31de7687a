package io.logship.node.status;

/**
 * Counters of one node, written by the conductor thread and read by the metrics thread (single 64-bit
 * fields: a reader may see a value a few microseconds old, never a torn one).
 */
public final class NodeCounters
{
    private volatile long writesWithoutSession;
    private volatile long staleEpochRefusals;
    private volatile long invalidBatchesFromLeader;
    private volatile long electionsStarted;
    private volatile long quarantinedRecords;
    private volatile long leaderDepositions;
    private volatile long faultDroppedMessages;
    private final CommitLatency commitLatency = new CommitLatency();
    private final ReplicationRtt replicationRtt = new ReplicationRtt();

    /** The leader's commit latency histogram (AckWaits records into it). */
    public CommitLatency commitLatency()
    {
        return commitLatency;
    }

    /** The leader's heartbeat round trip histogram (FeedbackAdapter records into it). */
    public ReplicationRtt replicationRtt()
    {
        return replicationRtt;
    }

    // Single writer (the conductor): a plain read-add-write of a volatile is not a lost update here.
    public void onWriteWithoutSession()
    {
        writesWithoutSession++;
    }

    public void onStaleEpochRefusal()
    {
        staleEpochRefusals++;
    }

    public void onInvalidBatchFromLeader()
    {
        invalidBatchesFromLeader++;
    }

    public void onElectionStarted()
    {
        electionsStarted++;
    }

    public void onQuarantined(final long records)
    {
        quarantinedRecords += records;
    }

    public void onLeaderDeposed()
    {
        leaderDepositions++;
    }

    public void onFaultDroppedMessage()
    {
        faultDroppedMessages++;
    }

    public long writesWithoutSession()
    {
        return writesWithoutSession;
    }

    public long staleEpochRefusals()
    {
        return staleEpochRefusals;
    }

    public long invalidBatchesFromLeader()
    {
        return invalidBatchesFromLeader;
    }

    public long electionsStarted()
    {
        return electionsStarted;
    }

    public long quarantinedRecords()
    {
        return quarantinedRecords;
    }

    public long leaderDepositions()
    {
        return leaderDepositions;
    }

    public long faultDroppedMessages()
    {
        return faultDroppedMessages;
    }
}
