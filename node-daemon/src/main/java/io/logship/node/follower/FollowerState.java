package io.logship.node.follower;

/** Where a follower stands with its leader. */
public enum FollowerState
{
    /** No leader known. */
    AWAIT_LEADER,
    /** Reconciling: asking the leader where an epoch ended ({@link LogReconciler}). */
    NEED_EPOCH_END,
    /**
     * Reconciling: the suffix to cut is being saved to the quarantine on its own thread ({@link QuarantineWriter});
     * nothing is cut or appended until it is durable.
     */
    QUARANTINING,
    /** The cut is below what the store applied: waiting for the apply thread to rewind the store. */
    REWINDING,
    /** Reconciled: fetching, appending and acknowledging. */
    FETCHING,
    /** Receiving the leader's snapshot (this log ends below the leader's log start). */
    SNAPSHOT,
    /** Waiting for the apply thread to install the received snapshot. */
    INSTALLING
}
