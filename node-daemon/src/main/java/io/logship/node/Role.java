package io.logship.node;

/** What a node is doing now. Codes are stable: they are published in status replies and counters. */
public enum Role
{
    /** Replicates from the leader, serves reads. */
    FOLLOWER(0),
    /** Asking for votes in an election (docs/DESIGN.md#election). */
    CANDIDATE(1),
    /** Takes writes, replicates, decides the commit offset. */
    LEADER(2),
    /** Stopped taking writes after a storage failure; serves reads of what it has. */
    FENCED(3);

    private final int code;

    Role(final int code)
    {
        this.code = code;
    }

    public int code()
    {
        return code;
    }

    public io.logship.transport.codec.Role wire()
    {
        return switch (this)
        {
            case FOLLOWER -> io.logship.transport.codec.Role.FOLLOWER;
            case CANDIDATE -> io.logship.transport.codec.Role.CANDIDATE;
            case LEADER -> io.logship.transport.codec.Role.LEADER;
            case FENCED -> io.logship.transport.codec.Role.FENCED;
        };
    }
}
