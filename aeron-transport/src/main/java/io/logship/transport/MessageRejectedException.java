package io.logship.transport;

/**
 * A received message failed validation: wrong schema id, version, template id, block length or
 * length, or it arrived on a stream that does not carry its type. The message names the expected and
 * the actual value. Thrown by the typed accessors of {@link Decoders}; the {@link MessageAdapter} never
 * throws it out of its poll loop but counts and reports it instead.
 */
public final class MessageRejectedException extends TransportException
{
    private static final long serialVersionUID = 1L;

    private final Decoders.RejectReason reason;
    private final long expected;
    private final long actual;

    public MessageRejectedException(
        final Decoders.RejectReason reason, final long expected, final long actual, final String message)
    {
        super(message, Category.WARN);
        this.reason = reason;
        this.expected = expected;
        this.actual = actual;
    }

    public Decoders.RejectReason reason()
    {
        return reason;
    }

    public long expected()
    {
        return expected;
    }

    public long actual()
    {
        return actual;
    }
}
