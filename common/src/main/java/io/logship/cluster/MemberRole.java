package io.logship.cluster;

/**
 * A member's part in the cluster (docs/DESIGN.md#membership). Codes are stable: they are written to the log,
 * to the membership file and to the wire.
 */
public enum MemberRole
{
    /** Counted in every majority: commit, lease, votes, {@code QUORUM} acks. */
    VOTER((byte)1),
    /** Replicated to like a follower, counted in no majority; never stands, its vote is never counted. */
    LEARNER((byte)2);

    private final byte code;

    MemberRole(final byte code)
    {
        this.code = code;
    }

    public byte code()
    {
        return code;
    }

    /** {@code voter} or {@code learner}, as {@code member list} and {@code status --json} print it. */
    public String label()
    {
        return this == VOTER ? "voter" : "learner";
    }

    /** The role for a stored code, or {@code null} if the code is unknown. */
    public static MemberRole get(final byte code)
    {
        return code == 1 ? VOTER : code == 2 ? LEARNER : null;
    }
}
