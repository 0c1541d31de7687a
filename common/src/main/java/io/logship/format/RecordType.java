package io.logship.format;

/** The kinds of record a batch can hold. Codes are stable: they are written to disk. */
public enum RecordType
{
    /** Set key to value. */
    PUT((byte)1),
    /** Remove key. */
    DELETE((byte)2),
    /** No change to the store; opens every leader epoch so that committing it commits the prefix. */
    NOOP((byte)3),
    /**
     * No change to the store; its value is the whole new cluster configuration ({@code io.logship.cluster.MembershipCodec}),
     * alone in a batch flagged {@link BatchDescriptor#FLAG_MEMBERSHIP} (docs/DESIGN.md#membership).
     */
    MEMBERS((byte)4);

    private static final RecordType[] BY_CODE = { null, PUT, DELETE, NOOP, MEMBERS };

    private final byte code;

    RecordType(final byte code)
    {
        this.code = code;
    }

    public byte code()
    {
        return code;
    }

    /** The type for a code read from disk or the wire, or {@code null} if the code is unknown. */
    public static RecordType get(final byte code)
    {
        return code > 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }
}
