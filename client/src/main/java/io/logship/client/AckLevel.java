package io.logship.client;

/** When a write is answered (docs/DESIGN.md#ack-levels). */
public enum AckLevel
{
    /** Durable on the leader: may be lost if the leader dies before a majority has it. */
    LEADER,
    /** Committed: durable on a majority, survives any failover that is not forced. */
    QUORUM,
    /** Durable on every configured node; times out while one is down. */
    ALL
}
