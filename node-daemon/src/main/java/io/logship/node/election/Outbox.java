package io.logship.node.election;

/**
 * Everything {@link ElectionState} asks the node to do. Called on the thread that calls the state
 * machine, after the state it reports has been persisted. The node must not call back into the state
 * machine from these methods; queue the work instead.
 */
public interface Outbox
{
    /**
     * Send {@code RequestVote{epoch, candidateId = self, lastLogEpoch, logEndOffset, flags}} to {@code to}. With
     * {@link ElectionState#FLAG_PRE_VOTE} in {@code flags} it only asks whether {@code epoch} could be won: nothing
     * is persisted on either side.
     */
    void sendRequestVote(int to, int epoch, int lastLogEpoch, long logEndOffset, int flags);

    /**
     * Send {@code Vote{epoch, voterId = self, candidateId, voterEpoch, granted, flags.preVote}} to {@code to} (the
     * candidate). A pre-vote answer ({@code preVote}) was persisted nowhere; a real grant was persisted first.
     */
    void sendVote(int to, int epoch, int candidateId, int voterEpoch, boolean granted, boolean preVote);

    /**
     * Graceful switchover: tell {@code to}, which holds everything this leader wrote, to stand for
     * {@code epoch + 1} with the {@code graceful} flag. The receiver calls {@link ElectionState#onHandover}.
     */
    void sendHandover(int to, int epoch);

    /** This node stands for {@code epoch} (metrics, status). */
    void becomeCandidate(int epoch);

    /**
     * This node leads {@code epoch}: append the NOOP batch that opens it, then take writes (only while
     * {@link ElectionState#canAcknowledge} holds), send heartbeats every heartbeat interval.
     */
    void becomeLeader(int epoch);

    /** This node follows {@code leaderId} (or nobody yet: {@link Persistence#NONE}) in {@code epoch}. */
    void becomeFollower(int epoch, int leaderId);

    /**
     * The leader stops taking writes and serving linearizable reads at once, and stops acknowledging
     * (lease lost, deposed, vote granted to a successor, demoted, handover sent). Always followed by
     * {@link #becomeFollower}.
     */
    void stepDown(int epoch, String reason);

    /**
     * A leader of a cluster that does not fail over on its own lost its lease ({@code waiting}) and keeps its role,
     * acknowledging nothing, rather than leave the cluster leaderless; or a majority acks again and it answers as
     * before ({@code !waiting}). Nothing to do but say so: {@link ElectionState#canAcknowledge} already holds it back.
     */
    default void waitForLease(final int epoch, final boolean waiting, final String reason)
    {
    }

    /** Graceful switchover started: stop taking new writes, but keep replicating and keep the role. */
    void stopWrites(int epoch, String reason);

    /** Switchover abandoned before the handover was sent ({@code reason} says why): take writes again in the same epoch. */
    void resumeWrites(int epoch, String reason);
}
