package io.logship.node.follower;

import io.logship.log.EpochHistory;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class LogReconcilerTest
{
    /** A follower log as a list of the epoch of each record, starting at {@code start}. */
    private static final class FakeLog implements LogReconciler.LocalLog
    {
        private final long start;
        private final List<Integer> epochs = new ArrayList<>();

        FakeLog(final long start, final int... epochs)
        {
            this.start = start;
            for (final int epoch : epochs)
            {
                this.epochs.add(epoch);
            }
        }

        @Override
        public long startOffset()
        {
            return start;
        }

        @Override
        public long endOffset()
        {
            return start + epochs.size();
        }

        @Override
        public int latestEpoch()
        {
            return epochs.isEmpty() ? EpochHistory.UNDEFINED_EPOCH : epochs.get(epochs.size() - 1);
        }

        @Override
        public long endOffsetOf(final int epoch)
        {
            for (int i = epochs.size() - 1; i >= 0; i--)
            {
                if (epochs.get(i) <= epoch)
                {
                    return start + i + 1;
                }
            }
            return -1;
        }
    }

    /** The leader's own epoch in the answers below: later than any epoch these logs hold. */
    private static final int LATER_EPOCH = 9;

    @Test
    void shouldNeverCutOnAnAnswerAboutTheEpochTheLeaderStillLeads()
    {
        // Our log ends in epoch 5, which the answering leader still leads: every entry of it was copied from
        // that leader, which never rewrites its own epoch. An answer sent before we crashed and delivered after
        // the restart says epoch 5 ended at 97 (the leader's end then) while we hold 112: cutting there would
        // drop committed entries (seen in the simulation: "node 1 truncates committed entry 5:97 at offset 97").
        final int[] epochs = new int[112];
        java.util.Arrays.fill(epochs, 0, 19, 1);
        java.util.Arrays.fill(epochs, 19, 112, 5);
        final FakeLog log = new FakeLog(0, epochs);
        assertThat(LogReconciler.cutOffset(log, 0, 5, 97, 5)).isEqualTo(112);
        // The same answer from a leader of a later epoch is final: epoch 5 ended at 97 on its log.
        assertThat(LogReconciler.cutOffset(log, 0, 5, 97, 6)).isEqualTo(97);
    }

    @Test
    void shouldKeepTheWholeLogWhenTheLeaderHasOurLastEpochUpToOurEnd()
    {
        final FakeLog log = new FakeLog(0, 1, 1, 2, 2);
        assertThat(LogReconciler.cutOffset(log, 2, 2, 10, LATER_EPOCH)).isEqualTo(4);
        assertThat(LogReconciler.isReconciled(2, 2, 2)).isTrue();
    }

    @Test
    void shouldCutWhereTheLeaderEndedOurLastEpoch()
    {
        final FakeLog log = new FakeLog(0, 1, 1, 2, 2, 2);
        assertThat(LogReconciler.cutOffset(log, 0, 2, 3, LATER_EPOCH)).isEqualTo(3);
    }

    @Test
    void shouldCutEverythingAfterTheLastEpochBothLogsHoldAndAskAgain()
    {
        // Ours: epochs 1 1 3 3 (epoch 3 was a leader the current leader never heard of); the leader answers
        // for epoch 3 with epoch 2 ending at 5: we hold nothing of epoch 2, so we keep epoch 1's end (2).
        final FakeLog log = new FakeLog(0, 1, 1, 3, 3);
        assertThat(LogReconciler.cutOffset(log, 0, 2, 5, LATER_EPOCH)).isEqualTo(2);
        // After the cut our log ends in epoch 1, which the leader has not confirmed yet: another round.
        assertThat(LogReconciler.isReconciled(2, 3, 1)).isFalse();
    }

    @Test
    void shouldNeverCutBelowTheLeadersEndOfTheFoundEpoch()
    {
        final FakeLog log = new FakeLog(0, 1, 1, 1, 1, 3);
        assertThat(LogReconciler.cutOffset(log, 0, 1, 2, LATER_EPOCH)).isEqualTo(2);
    }

    @Test
    void shouldKeepOnlyWhatItKnowsIsCommittedWhenTheLeaderHasNoEarlierEpoch()
    {
        final FakeLog log = new FakeLog(0, 1, 1, 1, 1);
        assertThat(LogReconciler.cutOffset(log, 3, EpochHistory.UNDEFINED_EPOCH, -1, LATER_EPOCH)).isEqualTo(3);
        assertThat(LogReconciler.isReconciled(EpochHistory.UNDEFINED_EPOCH, 1, 1)).isTrue();
    }

    @Test
    void shouldNeverCutBelowTheLogStart()
    {
        final FakeLog log = new FakeLog(100, 4, 4, 5);
        assertThat(LogReconciler.cutOffset(log, 0, EpochHistory.UNDEFINED_EPOCH, -1, LATER_EPOCH)).isEqualTo(100);
        assertThat(LogReconciler.cutOffset(log, 0, 3, 50, LATER_EPOCH)).isEqualTo(100);
    }

    @Test
    void shouldBeReconciledOnceTheLogIsEmpty()
    {
        assertThat(LogReconciler.isReconciled(2, 3, EpochHistory.UNDEFINED_EPOCH)).isTrue();
    }
}
