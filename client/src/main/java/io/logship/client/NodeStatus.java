package io.logship.client;

import java.util.List;

/** One node's answer to a status request. {@code followers} is empty unless the node leads. */
public record NodeStatus(
    int nodeId,
    int epoch,
    int leaderId,
    String role,
    long logStartOffset,
    long logEndOffset,
    long durableEndOffset,
    long commitOffset,
    long appliedOffset,
    List<FollowerStatus> followers,
    boolean autoFailover,
    long elections,
    long leaderLogEndOffset,
    long resyncRecordsPerSecond,
    long resyncBytesPerSecond,
    long quarantinedRecords,
    String note)
{
    /**
     * Follower: records it still lacks from the leader ({@code leaderLogEndOffset - logEndOffset}), 0 when
     * caught up or unknown.
     */
    public long resyncRemainingRecords()
    {
        return leaderLogEndOffset < 0 ? 0 : Math.max(0, leaderLogEndOffset - logEndOffset);
    }

    /** Follower: estimated milliseconds until caught up at the current rate, -1 if not resyncing or unknown. */
    public long resyncEtaMs()
    {
        final long remaining = resyncRemainingRecords();
        return remaining == 0 || resyncRecordsPerSecond <= 0 ? -1 : remaining * 1000 / resyncRecordsPerSecond;
    }
}
