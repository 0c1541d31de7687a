package io.logship.node.follower;

import io.logship.log.EpochHistory;

/**
 * Where a follower cuts its log to match its leader's: pure (no I/O, no clock), so the node and the election
 * simulation run the same rule.
 *
 * <p>One round of KIP-279's reconciliation: the follower asks the leader where the newest epoch it holds
 * ended on the leader's log; the leader answers with that epoch, or the largest one below it that it has
 * ({@code foundEpoch}), and where it ended there ({@code leaderEndOffset}). Everything the follower holds
 * beyond that point diverged. If the leader lacked the follower's newest epoch, the next round asks about
 * the epoch the follower's log ends with after the cut, until the leader confirms the follower's last
 * epoch ({@link #isReconciled}). Only then does the follower fetch and acknowledge: acks before that could
 * count divergent data towards the commit offset.
 *
 * <p>Offsets are record numbers. {@link EpochHistory#UNDEFINED_EPOCH} stands for "no epoch".
 */
public final class LogReconciler
{
    /** What reconciliation needs to know of the follower's own log. */
    public interface LocalLog
    {
        /** First offset held (0 unless retention or a snapshot moved it). */
        long startOffset();

        /** Next offset to be written. */
        long endOffset();

        /** Epoch of the last batch held; {@link EpochHistory#UNDEFINED_EPOCH} when the log holds none. */
        int latestEpoch();

        /**
         * Where {@code epoch}, or the largest epoch below it that this log holds, ends on this log (the offset
         * after its last record); -1 when this log holds no epoch at or below it.
         */
        long endOffsetOf(int epoch);
    }

    private LogReconciler()
    {
    }

    /**
     * The offset to cut the follower's log at (keep {@code [start, cut)}); the log's end when nothing diverged.
     *
     * @param log             the follower's log.
     * @param appliedOffset   offsets below are applied to the follower's store: committed, as far as it knows.
     * @param foundEpoch      the epoch the leader answered with: the one asked about, a lower one, or UNDEFINED.
     * @param leaderEndOffset where {@code foundEpoch} ended on the leader's log.
     * @param leaderEpoch     the epoch the answering leader leads (the answer's {@code epoch}).
     */
    public static long cutOffset(final LocalLog log, final long appliedOffset, final int foundEpoch,
        final long leaderEndOffset, final int leaderEpoch)
    {
        final long start = log.startOffset();
        final long end = log.endOffset();
        if (foundEpoch == leaderEpoch && foundEpoch != EpochHistory.UNDEFINED_EPOCH)
        {
            // Our log ends in the epoch the answering leader still leads. Only that leader wrote entries of it,
            // we copied them with continuity checks, and a leader never rewrites its own epoch: what we hold of
            // it is a prefix of its log. Its end of that epoch is its log end when it answered, which moves on,
            // so an answer older than what we hold (a resent request, or one sent before we crashed and
            // delivered after the restart) would cut committed entries. docs/DESIGN.md#rejoin
            return end;
        }
        if (foundEpoch == EpochHistory.UNDEFINED_EPOCH)
        {
            // The leader holds no epoch at or below ours (its log starts later): keep only what this node
            // knows is committed, then fetch; below the leader's log start that becomes a snapshot.
            return Math.max(start, Math.min(end, appliedOffset));
        }
        if (foundEpoch == log.latestEpoch())
        {
            return Math.min(leaderEndOffset, end);
        }
        // The leader never had our latest epoch: everything we wrote after epoch `foundEpoch` diverged.
        final long ours = log.endOffsetOf(foundEpoch);
        final long ourEndOfFound = ours < 0 ? start : ours;
        return Math.max(start, Math.min(leaderEndOffset, ourEndOfFound));
    }

    /**
     * Whether the follower's log matches the leader's after the cut, so it may fetch: the leader confirmed the
     * epoch asked about, or had none at or below it (the cut kept only committed data), or the log is empty.
     * Otherwise the next round asks about {@code latestEpochAfterCut}.
     */
    public static boolean isReconciled(final int foundEpoch, final int latestEpochAsked, final int latestEpochAfterCut)
    {
        return foundEpoch == latestEpochAsked || foundEpoch == EpochHistory.UNDEFINED_EPOCH ||
            latestEpochAfterCut == EpochHistory.UNDEFINED_EPOCH;
    }
}
