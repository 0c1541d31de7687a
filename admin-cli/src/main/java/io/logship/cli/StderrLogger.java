package io.logship.cli;

import java.io.PrintStream;
import java.text.MessageFormat;
import java.util.ResourceBundle;

/**
 * A {@link System.Logger} for library code the CLI calls (e.g. {@code io.logship.os.ThreadSlice}) that prints each
 * message as one line, {@code logship <command>: <message>}, on stderr like the CLI's own diagnostics. Without it those
 * messages went through {@code java.util.logging}'s default format: two lines each, with a date and a class name,
 * between the command's own lines.
 */
final class StderrLogger implements System.Logger
{
    private final String prefix;
    private final Level threshold;
    private final PrintStream out;

    /**
     * @param command   the command's name, as the user typed it (e.g. {@code load})
     * @param threshold the lowest level printed: {@code INFO} normally, {@code WARNING} where stderr should stay
     *                  quiet (e.g. {@code --json})
     */
    StderrLogger(final String command, final Level threshold, final PrintStream out)
    {
        this.prefix = "logship " + command + ": ";
        this.threshold = threshold;
        this.out = out;
    }

    @Override
    public String getName()
    {
        return prefix.strip();
    }

    @Override
    public boolean isLoggable(final Level level)
    {
        return level != Level.OFF && level.getSeverity() >= threshold.getSeverity();
    }

    @Override
    public void log(final Level level, final ResourceBundle bundle, final String message, final Throwable thrown)
    {
        if (isLoggable(level))
        {
            out.println(prefix + message + (null == thrown ? "" : ": " + thrown));
        }
    }

    @Override
    public void log(final Level level, final ResourceBundle bundle, final String format, final Object... params)
    {
        if (isLoggable(level))
        {
            out.println(prefix + (null == params || 0 == params.length ? format : MessageFormat.format(format, params)));
        }
    }
}
