package io.logship.node.status;

import io.logship.log.SegmentedLog;
import io.logship.node.ReplicatedLog;
import io.logship.node.Role;
import io.logship.node.follower.FollowerReplication;
import io.logship.node.write.WriteValidator;

/**
 * Answers the health questions a load balancer or an operator asks (Patroni's REST API is the model):
 * does this node serve its role, is it ready, is it the leader, is it a follower close enough to the
 * leader. Read on the metrics HTTP thread from fields the node publishes for status (volatile reads
 * only); it never calls into the conductor.
 *
 * <p>A leader that loses its lease steps down within a duty cycle (see
 * {@code docs/DESIGN.md#leader-lease}), so "role is LEADER and not stopping" is how {@code /leader}
 * tells that the node holds its lease, to within one duty cycle.
 */
public final class NodeHealth
{
    private final ReplicatedLog partition;
    private final WriteValidator validator;
    private final FollowerReplication follower;

    public NodeHealth(final ReplicatedLog partition, final WriteValidator validator, final FollowerReplication follower)
    {
        this.partition = partition;
        this.validator = validator;
        this.follower = follower;
    }

    public Role role()
    {
        return partition.role();
    }

    public int epoch()
    {
        return partition.epoch();
    }

    public int leaderId()
    {
        return partition.leaderId();
    }

    public int nodeId()
    {
        return partition.nodeId();
    }

    /** Serving its role: not fenced by a storage failure and not in a clean stop. */
    public boolean isHealthy()
    {
        return partition.role() != Role.FENCED && !validator.isStopping();
    }

    /** Healthy and part of a working cluster: it leads, or it knows who leads. */
    public boolean isReady()
    {
        return isHealthy() && (partition.role() == Role.LEADER || partition.leaderId() >= 0);
    }

    /** Leads and takes writes (a leader without its lease has already stepped down). */
    public boolean isLeaderWithLease()
    {
        return partition.role() == Role.LEADER && !validator.isStopping();
    }

    /**
     * Records this follower lacks against the leader's commit offset as last heard, or -1 when the node is
     * not a ready follower.
     */
    public long replicaLagRecords()
    {
        if (partition.role() != Role.FOLLOWER || !isReady())
        {
            return -1;
        }
        final SegmentedLog log = partition.log();
        return Math.max(0, follower.leaderCommitOffset() - log.durableEndOffset());
    }
}
