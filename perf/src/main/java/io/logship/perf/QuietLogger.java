package io.logship.perf;

import java.util.ResourceBundle;

/**
 * Passes WARNING and ERROR to the standard logger and drops the rest, so the log's INFO lines
 * (retention, segment rolls) do not interleave with JMH's output while a benchmark runs.
 */
final class QuietLogger implements System.Logger
{
    private final System.Logger delegate = System.getLogger("io.logship.log");

    @Override
    public String getName()
    {
        return delegate.getName();
    }

    @Override
    public boolean isLoggable(final Level level)
    {
        return level.getSeverity() >= Level.WARNING.getSeverity() && delegate.isLoggable(level);
    }

    @Override
    public void log(final Level level, final ResourceBundle bundle, final String msg, final Throwable thrown)
    {
        if (isLoggable(level))
        {
            delegate.log(level, bundle, msg, thrown);
        }
    }

    @Override
    public void log(final Level level, final ResourceBundle bundle, final String format, final Object... params)
    {
        if (isLoggable(level))
        {
            delegate.log(level, bundle, format, params);
        }
    }
}
