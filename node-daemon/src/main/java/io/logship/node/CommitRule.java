package io.logship.node;

/**
 * The commit offset rule, pure so it can be tested on its own: the highest offset below which a
 * majority of the configured nodes (leader included) hold every record — each node by its own fsync
 * policy, fsynced under {@code always}, written under {@code interval} (docs/DESIGN.md#fsync-policy) —
 * but only once that majority holds the current epoch's opening NOOP batch. Counting copies of records from earlier
 * epochs is unsafe (the Raft paper's Figure 8), so before that they are not committed by this leader.
 * Public so the election simulation (io.logship.node.election) runs the real rule.
 */
public final class CommitRule
{
    private CommitRule()
    {
    }

    /**
     * @param durable          held end offsets of the {@code count} configured nodes (-1 for unknown);
     *                         reordered in place.
     * @param epochStartOffset offset of this epoch's NOOP batch, -1 if not yet appended.
     * @param currentCommit    the commit offset so far; never moves backwards.
     * @return the new commit offset.
     */
    public static long commitOffset(final long[] durable, final int count, final long epochStartOffset, final long currentCommit)
    {
        if (epochStartOffset < 0 || count == 0)
        {
            return currentCommit;
        }
        for (int i = 1; i < count; i++)
        {
            final long value = durable[i];
            int j = i - 1;
            while (j >= 0 && durable[j] < value)
            {
                durable[j + 1] = durable[j];
                j--;
            }
            durable[j + 1] = value;
        }
        // Sorted descending: the (count/2)-th value is held by count/2 + 1 nodes, a majority.
        final long candidate = durable[count / 2];
        return candidate > epochStartOffset && candidate > currentCommit ? candidate : currentCommit;
    }
}
