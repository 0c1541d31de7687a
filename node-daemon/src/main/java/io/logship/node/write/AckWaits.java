package io.logship.node.write;

import io.logship.node.NodeConfig;
import io.logship.node.ReplicatedLog;
import io.logship.node.Role;
import io.logship.node.egress.ResponsePublisher;
import io.logship.node.ingress.ClientSessions;
import io.logship.node.leader.CommitTracker;
import io.logship.transport.codec.AckLevel;
import io.logship.transport.codec.Status;

import java.util.concurrent.TimeUnit;

/**
 * Writes the leader has stored and that wait for their ack level (docs/DESIGN.md#ack-levels): LEADER waits for
 * the leader to hold the write by its fsync policy (fsynced under {@code always}, so the journal's append and the
 * fsync can overlap; written, so at once, under {@code interval}), QUORUM for the commit offset (a majority holds
 * it, each node by its own policy), ALL for every node to hold it. Answered only while the leader holds its
 * lease (a leader without it lets committed writes wait: the lease, a new leader or a step-down answers them),
 * timed out with a message naming the nodes that hold the write, and failed all at once on a step-down or a
 * stop. Conductor thread only.
 */
public final class AckWaits
{
    private static final long EXPIRE_INTERVAL_NS = TimeUnit.MILLISECONDS.toNanos(10);

    private final ReplicatedLog partition;
    private final NodeConfig config;
    private final CommitTracker commits;
    private final ClientSessions sessions;
    private final ResponsePublisher responses;
    private final PendingWrites leaderWaits;
    private final PendingWrites quorumWaits;
    private final PendingWrites allWaits;
    private final PendingWrites.Completion leaderDone = (c, client, offset, epoch, timedOut, count) ->
        onWaitDone(c, client, offset, epoch, timedOut, AckLevel.LEADER, count);
    private final PendingWrites.Completion quorumDone = (c, client, offset, epoch, timedOut, count) ->
        onWaitDone(c, client, offset, epoch, timedOut, AckLevel.QUORUM, count);
    private final PendingWrites.Completion allDone = (c, client, offset, epoch, timedOut, count) ->
        onWaitDone(c, client, offset, epoch, timedOut, AckLevel.ALL, count);
    private long lastExpireNs;

    public AckWaits(final ReplicatedLog partition, final NodeConfig config, final CommitTracker commits,
        final ClientSessions sessions, final ResponsePublisher responses)
    {
        this.partition = partition;
        this.config = config;
        this.commits = commits;
        this.sessions = sessions;
        this.responses = responses;
        this.leaderWaits = new PendingWrites(config.pendingMax());
        this.quorumWaits = new PendingWrites(config.pendingMax());
        this.allWaits = new PendingWrites(config.pendingMax());
    }

    public boolean isFull()
    {
        return leaderWaits.isFull() || quorumWaits.isFull() || allWaits.isFull();
    }

    public int size()
    {
        return leaderWaits.size() + quorumWaits.size() + allWaits.size();
    }

    public int quorumSize()
    {
        return quorumWaits.size();
    }

    public int allSize()
    {
        return allWaits.size();
    }

    /** Offsets below have reached {@code level} (LEADER: held by this node by its own fsync policy). */
    public long reachedBelow(final AckLevel level)
    {
        return level == AckLevel.ALL ? Math.min(partition.commitOffset(), commits.lowestHeldOffset()) :
            level == AckLevel.QUORUM ? partition.commitOffset() : commits.leaderHeldEndOffset();
    }

    /** Waits for {@code lastOffset} (the last of {@code count} records) to reach {@code level}. */
    public void add(final AckLevel level, final long correlationId, final long clientId, final long lastOffset,
        final int offsetEpoch, final long deadlineNs, final int count)
    {
        partition.counters().commitLatency().onAppended(lastOffset, partition.clock().nanoTime());
        (level == AckLevel.ALL ? allWaits : level == AckLevel.QUORUM ? quorumWaits : leaderWaits).add(correlationId,
            clientId, lastOffset, offsetEpoch, deadlineNs, count);
    }

    /** Answers the waits reached (only under the lease) and, every 10 ms, those past their deadline. */
    public int onDutyCycle(final long nowNs)
    {
        int work = 0;
        // The clock read now, not the cycle's start: the journal's answer that started a wait can come later in
        // this same cycle than nowNs, and timing against nowNs made such a write take a negative time.
        partition.counters().commitLatency().onCommitOffset(partition.commitOffset(), partition.clock().nanoTime());
        if (partition.election().canAcknowledge(ReplicatedLog.nowMs(nowNs)))
        {
            // Without the lease, committed writes wait: the lease, a new leader, or a step-down answers them.
            work += leaderWaits.completeBelow(commits.leaderHeldEndOffset(), leaderDone);
            work += quorumWaits.completeBelow(partition.commitOffset(), quorumDone);
            work += allWaits.completeBelow(Math.min(partition.commitOffset(), commits.lowestHeldOffset()), allDone);
        }
        if (nowNs - lastExpireNs >= EXPIRE_INTERVAL_NS)
        {
            lastExpireNs = nowNs;
            work += leaderWaits.expire(nowNs, leaderDone);
            work += quorumWaits.expire(nowNs, quorumDone);
            work += allWaits.expire(nowNs, allDone);
        }
        return work;
    }

    /** Fails every wait: the node stepped down or stops. */
    public void drain(final PendingWrites.Completion completion)
    {
        partition.counters().commitLatency().clear();
        leaderWaits.drain(completion);
        quorumWaits.drain(completion);
        allWaits.drain(completion);
    }

    private void onWaitDone(final long correlationId, final long clientId, final long lastOffset, final int offsetEpoch,
        final boolean timedOut, final AckLevel level, final int count)
    {
        final long offset = lastOffset - count + 1;
        final ClientSessions.Session session = sessions.get(clientId, 0);
        if (null == session)
        {
            return;
        }
        if (!timedOut)
        {
            responses.sendWriteResponse(session, correlationId, offset, Status.OK, level, null, offsetEpoch, count);
            return;
        }
        final boolean committed = lastOffset < partition.commitOffset();
        final AckLevel reached = committed ? AckLevel.QUORUM :
            lastOffset < commits.leaderHeldEndOffset() ? AckLevel.LEADER : null;
        final String message;
        if (partition.role() != Role.LEADER)
        {
            message = "node " + partition.nodeId() + " stopped leading before the write at offset " + offset +
                " reached " + level;
        }
        else if (level == AckLevel.LEADER)
        {
            message = "ack level LEADER not reached in time: the write at offset " + offset + " is written on leader " +
                "node " + partition.nodeId() + " but not yet fsynced (logship.log.fsync=always); it is held by nodes " +
                commits.nodesHolding(offset) + " of " + config.members().keySet();
        }
        else if (level == AckLevel.ALL)
        {
            message = "ack level ALL not reached in time: the write at offset " + offset + " is held on nodes " +
                commits.nodesHolding(offset) + " of " + config.members().keySet() + (committed ?
                "; it is committed (quorum) and will reach the others when they return" :
                "; it is not committed yet");
        }
        else
        {
            message = "ack level QUORUM not reached in time: the write at offset " + offset + " is held on nodes " +
                commits.nodesHolding(offset) + " of " + config.members().keySet() +
                "; it will be committed once a majority has it";
        }
        responses.sendWriteResponse(session, correlationId, offset, Status.TIMEOUT, reached, message, offsetEpoch, count);
    }
}
