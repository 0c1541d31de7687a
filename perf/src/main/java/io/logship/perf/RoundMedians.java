package io.logship.perf;

import java.util.Arrays;

/**
 * The line the interference tools print per setting: each figure as the median of the rounds with their min-max,
 * as perf/README.md reports them.
 */
public final class RoundMedians
{
    private RoundMedians()
    {
    }

    /**
     * {@code label} then, per figure, {@code name median (min-max)}.
     *
     * @param rounds one array of figures per round, in the order of {@code names}.
     */
    public static String line(final String label, final String[] names, final double[][] rounds)
    {
        final StringBuilder line = new StringBuilder(label);
        for (int n = 0; n < names.length; n++)
        {
            final double[] values = new double[rounds.length];
            for (int round = 0; round < rounds.length; round++)
            {
                values[round] = rounds[round][n];
            }
            Arrays.sort(values);
            line.append(String.format(" %s %.2f (%.2f-%.2f)", names[n], values[rounds.length / 2], values[0],
                values[rounds.length - 1]));
        }
        return line.toString();
    }
}
