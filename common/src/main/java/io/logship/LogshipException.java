package io.logship;

/**
 * Root of every exception logship throws on purpose. The {@link Category} tells the caller what to
 * do: {@code FATAL} fences the node (storage can no longer be trusted), {@code ERROR} fails the one
 * operation, {@code WARN} is reported and work goes on.
 */
public class LogshipException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    /** How bad a failure is, from the point of view of the node that saw it. */
    public enum Category
    {
        /** The node must stop accepting writes: its storage or state can no longer be trusted. */
        FATAL,
        /** The operation failed; the node stays healthy. */
        ERROR,
        /** Something unexpected was handled; worth a log line and a counter. */
        WARN
    }

    private final Category category;

    public LogshipException(final String message, final Category category)
    {
        super(message);
        this.category = category;
    }

    public LogshipException(final String message, final Category category, final Throwable cause)
    {
        super(message, cause);
        this.category = category;
    }

    public Category category()
    {
        return category;
    }
}
