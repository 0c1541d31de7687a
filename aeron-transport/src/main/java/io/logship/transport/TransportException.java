package io.logship.transport;

/**
 * Root of the exceptions this module throws on purpose. It mirrors {@code io.logship.LogshipException}
 * (which lives in log-store; this module deliberately does not depend on log-store) with the same
 * {@link Category} meaning, so callers can treat both alike.
 */
public class TransportException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    /** How bad a failure is, from the point of view of the node that saw it. */
    public enum Category
    {
        /** The transport can no longer be used (driver gone, directory unusable). */
        FATAL,
        /** The operation failed; the transport stays usable. */
        ERROR,
        /** Bad input from outside was handled (dropped and counted); worth a log line. */
        WARN
    }

    private final Category category;

    public TransportException(final String message, final Category category)
    {
        super(message);
        this.category = category;
    }

    public TransportException(final String message, final Category category, final Throwable cause)
    {
        super(message, cause);
        this.category = category;
    }

    public Category category()
    {
        return category;
    }
}
