package io.logship.cli;

import java.util.List;

/**
 * A JSON object written field by field, in insertion order, on one line. Values: null, String, Number,
 * Boolean, another {@code Json}, or a List of those. Enough for the CLI's output; not a parser.
 */
final class Json
{
    private final StringBuilder sb = new StringBuilder("{");
    private boolean empty = true;

    static Json object()
    {
        return new Json();
    }

    Json field(final String name, final Object value)
    {
        if (!empty)
        {
            sb.append(',');
        }
        empty = false;
        appendString(sb, name);
        sb.append(':');
        appendValue(sb, value);
        return this;
    }

    @Override
    public String toString()
    {
        return sb + "}";
    }

    private static void appendValue(final StringBuilder sb, final Object value)
    {
        if (null == value)
        {
            sb.append("null");
        }
        else if (value instanceof String)
        {
            appendString(sb, (String)value);
        }
        else if (value instanceof Number || value instanceof Boolean || value instanceof Json)
        {
            sb.append(value);
        }
        else if (value instanceof List)
        {
            sb.append('[');
            boolean first = true;
            for (final Object element : (List<?>)value)
            {
                if (!first)
                {
                    sb.append(',');
                }
                first = false;
                appendValue(sb, element);
            }
            sb.append(']');
        }
        else
        {
            appendString(sb, value.toString());
        }
    }

    static void appendString(final StringBuilder sb, final String s)
    {
        // One escaper for the project: the load generator's, which writes `load --out` lines too.
        sb.append(io.logship.cli.load.LoadGenerator.jsonString(s));
    }
}
