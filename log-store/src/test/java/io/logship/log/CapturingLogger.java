package io.logship.log;

import java.text.MessageFormat;
import java.util.List;
import java.util.ResourceBundle;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

/** A {@link System.Logger} for tests: keeps every line with its level, prints nothing. */
final class CapturingLogger implements System.Logger
{
    record Line(Level level, String message)
    {
    }

    private final List<Line> lines = new CopyOnWriteArrayList<>();

    @Override
    public String getName()
    {
        return "capturing";
    }

    @Override
    public boolean isLoggable(final Level level)
    {
        return true;
    }

    @Override
    public void log(final Level level, final ResourceBundle bundle, final String message, final Throwable thrown)
    {
        lines.add(new Line(level, null == thrown ? message : message + " " + thrown));
    }

    @Override
    public void log(final Level level, final ResourceBundle bundle, final String format, final Object... params)
    {
        lines.add(new Line(level, null == params || 0 == params.length ? format : MessageFormat.format(format, params)));
    }

    List<String> messagesAt(final Level level)
    {
        return lines.stream().filter(line -> line.level() == level).map(Line::message).collect(Collectors.toList());
    }

    void clear()
    {
        lines.clear();
    }
}
