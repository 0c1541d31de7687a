package io.logship.node.election;

/** What the node does with a message from a leader ({@link ElectionState#onLeaderContact}). */
public enum LeaderContact
{
    /** Act on it (append, heartbeat). */
    ACCEPTED,
    /** From a lower epoch: reply {@code Refuse{STALE_EPOCH, currentEpoch = epoch(), leaderId()}}. */
    REFUSED
}
