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

    /** Stops writes and waits, until {@code nowMs + timeoutMs}, for {@code targetId} to catch up. */
    void start(final long nowMs, final int epoch, final int targetId, final long timeoutMs)
    {
        target = targetId;
        handoverSent = false;
        deadlineMs = nowMs + timeoutMs;
        outbox.stopWrites(epoch, "switchover to node " + targetId);
    }

    /**
     * While waiting for the target: sends the handover once it holds {@code logEnd} ({@code targetHeldEnd} is what it
     * last reported holding), or gives up and resumes writes once the deadline passed.
     */
    void progress(final long nowMs, final int epoch, final long targetHeldEnd, final long logEnd, final long timeoutMs)
    {
        if (target == NONE || handoverSent)
        {
            return;
        }
        if (targetHeldEnd >= logEnd)
        {
            handoverSent = true;
            deadlineMs = nowMs + timeoutMs;
            lastSentMs = nowMs;
            outbox.sendHandover(target, epoch);
        }
        else if (nowMs >= deadlineMs)
        {
            // The handover was never sent, so the lease still stands and taking writes again in this epoch is safe.
            resume(epoch);
        }
    }

    /** Whether the target waits for the leader to catch up (then the leader calls {@link #progress}). */
    boolean awaitsCatchUp()
    {
        return target != NONE && !handoverSent;
    }

    /**
     * After the handover: resends it every {@code resendMs} (it may have been lost; the target ignores repeats).
     * Returns true when the deadline passed without the target being elected: the leader must step down.
     */
    boolean tick(final long nowMs, final int epoch, final long resendMs)
    {
        if (!handoverSent)
        {
            return false;
        }
        if (nowMs >= deadlineMs)
        {
            return true;
        }
        if (nowMs - lastSentMs >= resendMs)
        {
            lastSentMs = nowMs;
            outbox.sendHandover(target, epoch);
        }
        return false;
    }

    /**
     * The configuration changed: a target that is no voter any more could never be elected (found by the
     * simulation). Before the handover went out the lease still stands, so writes resume in this epoch.
     */
    void onVotersChanged(final int epoch, final Map<Integer, Integer> voters)
    {
        if (target != NONE && !handoverSent && !voters.containsKey(target))
        {
            resume(epoch);
        }
    }

    /** Forgets any switchover: this node stopped leading. */
    void reset()
    {
        target = NONE;
        handoverSent = false;
    }

    private void resume(final int epoch)
    {
        target = NONE;
        outbox.resumeWrites(epoch);
    }
}
