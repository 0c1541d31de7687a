package io.logship.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/** A plain-text table with left-aligned, space-padded columns, for the human output of commands. */
final class Table
{
    private final List<String[]> rows = new ArrayList<>();

    Table(final String... header)
    {
        rows.add(header);
    }

    Table row(final Object... cells)
    {
        final String[] row = new String[cells.length];
        for (int i = 0; i < cells.length; i++)
        {
            row[i] = null == cells[i] ? "-" : cells[i].toString();
        }
        rows.add(row);
        return this;
    }

    void print(final PrintWriter out)
    {
        int columns = 0;
        for (final String[] row : rows)
        {
            columns = Math.max(columns, row.length);
        }
        final int[] widths = new int[columns];
        for (final String[] row : rows)
        {
            for (int i = 0; i < row.length; i++)
            {
                widths[i] = Math.max(widths[i], row[i].length());
            }
        }
        for (final String[] row : rows)
        {
            final StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.length; i++)
            {
                line.append(row[i]);
                if (i < row.length - 1)
                {
                    line.append(" ".repeat(widths[i] - row[i].length() + 2));
                }
            }
            out.println(line.toString().stripTrailing());
        }
        out.flush();
    }
}
