package io.logship.cluster;

import io.logship.LogshipException;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The configurations a node's log holds, newest last, each with the offset of its change record
 * (docs/DESIGN.md#membership). A configuration takes effect when its record is appended ({@link #append}),
 * a truncation that cuts the record reverts to the one before ({@link #truncateTo}), and committed entries
 * older than the newest committed one are forgotten ({@link #commit}). The first entry is the base: the seed
 * (offset -1) or the newest committed configuration, never cut. Not thread-safe: one thread owns it (the
 * node's conductor).
 */
public final class MembershipLog
{
    /** Offset of the seed configuration, which no record carries. */
    public static final long SEED_OFFSET = -1;

    /** A configuration and the offset of the record that carries it. */
    public record Entry(long offset, Membership membership)
    {
    }

    private final ArrayList<Entry> entries = new ArrayList<>();
    private long commitOffset = 0;

    /** A log holding only {@code seed}, as on a node's first start. */
    public MembershipLog(final Membership seed)
    {
        entries.add(new Entry(SEED_OFFSET, seed));
    }

    /**
     * A log restored from {@link #entries()} as persisted.
     *
     * @throws LogshipException (ERROR) if {@code restored} is empty or its offsets do not ascend.
     */
    public MembershipLog(final List<Entry> restored)
    {
        if (restored.isEmpty())
        {
            throw new LogshipException("membership history is empty: expected at least the base configuration",
                LogshipException.Category.ERROR);
        }
        for (final Entry entry : restored)
        {
            if (!entries.isEmpty() && entry.offset() <= last().offset())
            {
                throw new LogshipException("membership history offsets must ascend: " + entry.offset() +
                    " after " + last().offset(), LogshipException.Category.ERROR);
            }
            entries.add(entry);
        }
    }

    /** The configuration in effect: the newest one appended, committed or not. */
    public Membership current()
    {
        return last().membership();
    }

    /** Offset of the record carrying {@link #current()}, {@link #SEED_OFFSET} for the seed. */
    public long currentOffset()
    {
        return last().offset();
    }

    /** Every configuration still needed: the base, then those not known committed. Unmodifiable view. */
    public List<Entry> entries()
    {
        return Collections.unmodifiableList(entries);
    }

    /**
     * The change record at {@code offset} was appended to this node's log: {@code next} is in effect from now.
     *
     * @throws LogshipException (ERROR) if {@code offset} is not above the current record's, or {@code next}
     *                          changes more than one voter (rule 1: the leader never writes such a record).
     */
    public void append(final long offset, final Membership next)
    {
        if (offset <= currentOffset())
        {
            throw new LogshipException("membership record at offset " + offset + " is not after the current one at " +
                currentOffset(), LogshipException.Category.ERROR);
        }
        if (!current().isSingleServerChangeTo(next))
        {
            throw new LogshipException("membership record at offset " + offset + " changes more than one voter: " +
                current() + " -> " + next, LogshipException.Category.ERROR);
        }
        entries.add(new Entry(offset, next));
    }

    /**
     * The log was cut to end at {@code logEndOffset} (exclusive): configurations whose records were cut are
     * gone, and the newest one left is in effect again. The base entry is never cut.
     *
     * @return true if the configuration in effect changed.
     */
    public boolean truncateTo(final long logEndOffset)
    {
        boolean changed = false;
        while (entries.size() > 1 && last().offset() >= logEndOffset)
        {
            entries.remove(entries.size() - 1);
            changed = true;
        }
        return changed;
    }

    /**
     * Records below {@code newCommitOffset} are committed: older committed configurations are no longer needed.
     */
    public void commit(final long newCommitOffset)
    {
        commitOffset = Math.max(commitOffset, newCommitOffset);
        int newestCommitted = 0;
        for (int i = 1; i < entries.size(); i++)
        {
            if (entries.get(i).offset() < commitOffset)
            {
                newestCommitted = i;
            }
        }
        if (newestCommitted > 0)
        {
            entries.subList(0, newestCommitted).clear();
        }
    }

    /** Whether the record carrying {@link #current()} is committed (the base entry always is). */
    public boolean currentCommitted()
    {
        return entries.size() == 1 || currentOffset() < commitOffset;
    }

    /**
     * Why the leader may not append a new change now (rule 4), or {@code null} if it may.
     *
     * @param epochStartOffset offset of the leader's epoch-opening NOOP, -1 until it is appended.
     */
    public String refuseChange(final long epochStartOffset)
    {
        if (epochStartOffset < 0 || commitOffset <= epochStartOffset)
        {
            return "this leader's epoch is not committed yet (its opening record at offset " + epochStartOffset +
                ", commit offset " + commitOffset + "): retry in a moment";
        }
        if (!currentCommitted())
        {
            return "the previous membership change (offset " + currentOffset() + ", " + current() +
                ") is not committed yet (commit offset " + commitOffset + "): retry when it is";
        }
        return null;
    }

    private Entry last()
    {
        return entries.get(entries.size() - 1);
    }
}
