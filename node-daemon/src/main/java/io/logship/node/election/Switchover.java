package io.logship.node.election;

import java.util.Map;

import static io.logship.node.election.Persistence.NONE;

/**
 * The leader's graceful switchover ({@code logship promote TARGET} sent to the leader, docs/DESIGN.md#promote-demote-handover),
 * as one job: writes stop, the leader waits until the target holds its whole log, sends it the handover (again
 * every heartbeat until elected, since it may be lost) and from then gives up its lease. If the target does not
 * catch up in time the handover was never sent, so the lease still stands and writes resume in the same epoch; if it
 * was sent and nobody is elected in time, the leader steps down ({@link #tick} says so).
 *
 * <p>A target that goes silent (no ack for a whole lease timeout) ends the switchover early instead of at the handover
 * timeout: it stopped or crashed, so waiting only keeps writes stopped, and a stopping leader (which hands over on
 * SIGTERM) would sit out seconds on a follower stopped just before it. Before the handover this applies only to a
 * target that was live when the switchover began, so a just-restarted target an operator promotes still gets the whole
 * timeout to catch up; after the handover the silence counts from the handover, since a target that got it stands and
 * asks this leader for its vote within a few milliseconds.
 *
 * <p>Split out of {@link ElectionState}, which owns it, calls it with its epoch and clock, and keeps the decisions
 * that need the rest of the election (the role, the step-down). Not thread-safe: the conductor's, like its owner.
 */
final class Switchover
{
    private final Outbox outbox;
    /** The node the epoch goes to, NONE when no switchover runs (then writes are not stopped). */
    private int target = NONE;
    /** The handover went out: from here the target may be elected without waiting for this leader's lease. */
    private boolean handoverSent;
    private long deadlineMs;
    private long lastSentMs;
    private long handoverSentMs;
    /** How long without an ack from the target ends the switchover: the lease timeout. */
    private long silenceMs;
    /** The target had acked within {@link #silenceMs} when the switchover began. */
    private boolean liveAtStart;

    Switchover(final Outbox outbox)
    {
        this.outbox = outbox;
    }

    /** Whether writes are stopped for a switchover. */
    boolean writesStopped()
    {
        return target != NONE;
    }

    /** Whether this leader handed its epoch over, and so may acknowledge nothing more in it. */
    boolean leaseRelinquished()
    {
        return handoverSent;
    }

    int target()
    {
        return target;
    }

    /**
     * Stops writes and waits, until the handover timeout of {@code config}, for {@code targetId} to catch up; the
     * target's acks in {@code leases} say whether it is live (a lease timeout without one means it is gone).
     */
    void start(final long nowMs, final int epoch, final int targetId, final ElectionConfig config,
        final FollowerLeases leases)
    {
        target = targetId;
        handoverSent = false;
        deadlineMs = nowMs + config.handoverTimeoutMs();
        silenceMs = config.leaseTimeoutMs();
        liveAtStart = nowMs - leases.lastAckSentAtMs(targetId) < silenceMs;
        outbox.stopWrites(epoch, "switchover to node " + targetId);
    }

    /**
     * While waiting for the target: sends the handover once it holds {@code logEnd} (by what it last reported in
     * {@code leases}), or gives up and resumes writes once the deadline passed or a target that was live went silent.
     */
    void progress(final long nowMs, final int epoch, final FollowerLeases leases, final long logEnd,
        final long timeoutMs)
    {
        if (target == NONE || handoverSent)
        {
            return;
        }
        final long targetHeldEnd = leases.heldEnd(target);
        final long targetLastAckMs = leases.lastAckSentAtMs(target);
        // The handover was never sent in either give-up case, so the lease still stands and taking writes again in
        // this epoch is safe.
        if (targetHeldEnd >= logEnd)
        {
            handoverSent = true;
            deadlineMs = nowMs + timeoutMs;
            lastSentMs = nowMs;
            handoverSentMs = nowMs;
            outbox.sendHandover(target, epoch);
        }
        else if (nowMs >= deadlineMs)
        {
            resume(epoch, "the switchover target did not catch up within " + timeoutMs + " ms");
        }
        else if (liveAtStart && nowMs - targetLastAckMs >= silenceMs)
        {
            resume(epoch, "the switchover target, node " + target + ", went silent (no ack for " +
                (nowMs - targetLastAckMs) + " ms) before it caught up");
        }
    }

    /**
     * After the handover: resends it every heartbeat interval (it may have been lost; the target ignores repeats).
     * Returns why the leader must step down: the deadline passed without the target being elected, or the target
     * was silent for {@link #silenceMs} since both its newest ack (in {@code leases}) and the handover; null while
     * the switchover goes on. Allocates only on that step-down.
     */
    String tick(final long nowMs, final int epoch, final ElectionConfig config, final FollowerLeases leases)
    {
        if (!handoverSent)
        {
            return null;
        }
        if (nowMs >= deadlineMs)
        {
            return "switchover to node " + target + " did not complete in " + config.handoverTimeoutMs() + " ms";
        }
        final long resendMs = config.heartbeatIntervalMs();
        final long heardOrSentMs = Math.max(leases.lastAckSentAtMs(target), handoverSentMs);
        if (nowMs - heardOrSentMs >= silenceMs)
        {
            return "switchover to node " + target + " abandoned: it has been silent for " + (nowMs - heardOrSentMs) +
                " ms since the handover was sent";
        }
        if (nowMs - lastSentMs >= resendMs)
        {
            lastSentMs = nowMs;
            outbox.sendHandover(target, epoch);
        }
        return null;
    }

    /**
     * The configuration changed: a target that is no voter any more could never be elected (found by the
     * simulation). Before the handover went out the lease still stands, so writes resume in this epoch.
     */
    void onVotersChanged(final int epoch, final Map<Integer, Integer> voters)
    {
        if (target != NONE && !handoverSent && !voters.containsKey(target))
        {
            resume(epoch, "the switchover target, node " + target + ", is no voter any more");
        }
    }

    /** Forgets any switchover: this node stopped leading. */
    void reset()
    {
        target = NONE;
        handoverSent = false;
    }

    private void resume(final int epoch, final String reason)
    {
        target = NONE;
        outbox.resumeWrites(epoch, reason);
    }
}
