package io.logship.client;

import java.util.concurrent.CompletableFuture;

/**
 * One API call travelling through the {@link ClientConductor}: what to send, where, and its retry state.
 * Built by the calling thread and handed over through the conductor's queue (the queue's ordering makes
 * the fields visible); from then on only the conductor thread touches it, except {@link #future}, which
 * is thread-safe.
 */
final class ClientRequest
{
    enum Kind
    {
        WRITE("put"), WRITE_BATCH("put batch"), READ("get"), TAIL("tail"), STATUS("status"), CHECKSUM("checksum"),
        PROMOTE("promote"), DEMOTE("demote"), SNAPSHOT_SAVE("snapshot save"), MEMBER_LIST("member list"),
        MEMBER_CHANGE("member change");

        final String operation;

        Kind(final String operation)
        {
            this.operation = operation;
        }

        boolean isAdmin()
        {
            return this == STATUS || this == CHECKSUM || this == PROMOTE || this == DEMOTE || this == SNAPSHOT_SAVE ||
                this == MEMBER_LIST || this == MEMBER_CHANGE;
        }
    }

    /** Where a request goes. */
    enum Routing
    {
        /** The leader as known; unknown: each node in turn. */
        LEADER,
        /** A follower if one is known, else any node; on failure the next node. */
        PREFER_FOLLOWER,
        /** Exactly {@link #fixedNodeId}. */
        FIXED
    }

    static final int WAITING = 0;
    static final int SENT = 1;
    static final int DONE = 2;

    final Kind kind;
    final Routing routing;
    final int fixedNodeId;
    final CompletableFuture<?> future;

    // Write
    io.logship.format.RecordType recordType;
    AckLevel ackLevel;
    long sequence;
    byte[] key;
    byte[] value;

    // Read
    ReadConsistency consistency;

    // Tail, checksum
    long fromOffset;
    long toOffset;
    int maxBytes;

    // Promote
    boolean force;

    // Member change: the change, the member, ADD's role and address (docs/DESIGN.md#membership).
    MemberChange memberChange;
    int memberId = -1;
    boolean memberVoter;
    String memberAddress;

    // Snapshot save: the export, the position wanted (fromOffset) and maxBytes; release ends the export.
    long exportId;
    boolean release;

    // Conductor-owned retry state.
    int state = WAITING;
    long deadlineNs;
    long attemptDeadlineNs;
    /** The node's own timeout sent with the current attempt (writes and reads), for error messages. */
    int nodeTimeoutMs;
    long nextAttemptNs;
    long correlationId;
    /** Node of the current (or last) attempt; -1 before the first. */
    int targetNodeId = -1;
    /** PROMOTE: the node to promote; the request goes to {@link #fixedNodeId} (the leader, for a switchover). */
    int promoteNodeId = -1;
    /** Index into the conductor's node order where routing by rotation continues. */
    int rotation = -1;
    int attempts;
    int redirects;
    /** Node waited on for a session, when it started, and that session's failed rounds then. */
    int waitNodeId = -1;
    long waitSinceNs;
    int waitFailedRounds;
    /** Why the last attempt failed, for the error message at the deadline. */
    String lastFailure;

    ClientRequest(final Kind kind, final Routing routing, final int fixedNodeId, final CompletableFuture<?> future)
    {
        this.kind = kind;
        this.routing = routing;
        this.fixedNodeId = fixedNodeId;
        this.future = future;
    }

    @SuppressWarnings("unchecked")
    boolean complete(final Object result)
    {
        return ((CompletableFuture<Object>)future).complete(result);
    }

    boolean fail(final Throwable error)
    {
        return future.completeExceptionally(error);
    }

    /** For {@link Kind#WRITE_BATCH}: the writes it carries, in sequence order; they complete with it. */
    java.util.List<ClientRequest> children;

    String describe()
    {
        if (kind == Kind.WRITE_BATCH)
        {
            return kind.operation + "(sequences " + sequence + ".." + (sequence + children.size() - 1) + ")";
        }
        if (kind == Kind.MEMBER_CHANGE)
        {
            return "member " + memberChange.name().toLowerCase(java.util.Locale.ROOT) + " " + memberId;
        }
        return kind == Kind.WRITE ? kind.operation + "(sequence " + sequence + ")" : kind.operation;
    }
}
