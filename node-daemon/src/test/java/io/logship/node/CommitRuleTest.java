package io.logship.node;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class CommitRuleTest
{
    @Test
    void shouldCommitWhatAMajorityHoldsDurably()
    {
        assertThat(CommitRule.commitOffset(new long[] {100, 80, 20}, 3, 10, 0)).isEqualTo(80);
        assertThat(CommitRule.commitOffset(new long[] {20, 100, 80}, 3, 10, 0)).isEqualTo(80);
        assertThat(CommitRule.commitOffset(new long[] {100, -1, -1}, 3, 10, 0)).isEqualTo(0);
        assertThat(CommitRule.commitOffset(new long[] {100, 90, 50, 40, -1}, 5, 10, 0)).isEqualTo(50);
    }

    @Test
    void shouldCommitAloneInASingleNodeCluster()
    {
        assertThat(CommitRule.commitOffset(new long[] {42}, 1, 0, 0)).isEqualTo(42);
    }

    @Test
    void shouldNotCommitUntilAMajorityHoldsTheCurrentEpochsNoop()
    {
        // A majority holds offsets below 50 from an earlier epoch, but this epoch's NOOP is at 60.
        assertThat(CommitRule.commitOffset(new long[] {61, 50, 50}, 3, 60, 40)).isEqualTo(40);
        // Once a majority holds the NOOP (offset 60, so durable end 61), everything below commits with it.
        assertThat(CommitRule.commitOffset(new long[] {61, 61, 50}, 3, 60, 40)).isEqualTo(61);
    }

    @Test
    void shouldNeverMoveTheCommitOffsetBackwards()
    {
        assertThat(CommitRule.commitOffset(new long[] {100, 30, 30}, 3, 10, 80)).isEqualTo(80);
    }

    @Test
    void shouldNotCommitBeforeTheEpochIsOpened()
    {
        assertThat(CommitRule.commitOffset(new long[] {100, 100, 100}, 3, -1, 0)).isEqualTo(0);
    }

    @Test
    void twoNodeClusterNeedsBothNodes()
    {
        assertThat(CommitRule.commitOffset(new long[] {100, 70}, 2, 10, 0)).isEqualTo(70);
        assertThat(CommitRule.commitOffset(new long[] {100, -1}, 2, 10, 0)).isEqualTo(0);
    }
}
