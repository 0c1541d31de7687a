package io.logship.client;

/** How fresh a read must be (docs/DESIGN.md#reads). Immutable. */
public final class ReadConsistency
{
    /** The kinds of consistency. */
    public enum Kind
    {
        /** Only the leader answers (linearizable while its lease holds); others redirect. */
        LEADER,
        /** Whatever the node has applied. */
        ANY,
        /** The node waits until it has applied at least {@link #minOffset()}, up to the request timeout. */
        MIN_OFFSET
    }

    private static final ReadConsistency LEADER = new ReadConsistency(Kind.LEADER, -1);
    private static final ReadConsistency ANY = new ReadConsistency(Kind.ANY, -1);

    private final Kind kind;
    private final long minOffset;

    private ReadConsistency(final Kind kind, final long minOffset)
    {
        this.kind = kind;
        this.minOffset = minOffset;
    }

    public static ReadConsistency leader()
    {
        return LEADER;
    }

    public static ReadConsistency any()
    {
        return ANY;
    }

    /**
     * Read-your-writes: pass the offset a write returned; the node answers once its applied offset is
     * at least that (the write is then visible).
     */
    public static ReadConsistency minOffset(final long minOffset)
    {
        if (minOffset < 0)
        {
            throw new IllegalArgumentException("minOffset=" + minOffset + " is invalid: expected an offset >= 0");
        }
        return new ReadConsistency(Kind.MIN_OFFSET, minOffset);
    }

    public Kind kind()
    {
        return kind;
    }

    /** The offset a MIN_OFFSET read waits for; -1 for the other kinds. */
    public long minOffset()
    {
        return minOffset;
    }

    @Override
    public String toString()
    {
        return kind == Kind.MIN_OFFSET ? "MIN_OFFSET(" + minOffset + ")" : kind.name();
    }
}
