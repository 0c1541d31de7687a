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
    void shouldNeedBothNodesInATwoNodeCluster()
    {
        assertThat(CommitRule.commitOffset(new long[] {100, 70}, 2, 10, 0)).isEqualTo(70);
        assertThat(CommitRule.commitOffset(new long[] {100, -1}, 2, 10, 0)).isEqualTo(0);
    }

    @Test
    void shouldNotCommitWhenAMajorityEndsExactlyAtTheNoopsOffset()
    {
        // A durable end of 60 means offsets below 60: the NOOP at 60 is not yet held by anyone counted.
        assertThat(CommitRule.commitOffset(new long[] {60, 60, 60}, 3, 60, 40)).isEqualTo(40);
        assertThat(CommitRule.commitOffset(new long[] {61, 61, 60}, 3, 60, 40)).isEqualTo(61);
    }

    @Test
    void shouldCountOnlyTheConfiguredNodes()
    {
        // Slots past `count` are scratch space from a larger array; they must not make a majority.
        assertThat(CommitRule.commitOffset(new long[] {100, -1, -1, 100, 100}, 3, 10, 0)).isEqualTo(0);
        assertThat(CommitRule.commitOffset(new long[] {100, 90, -1, -1, -1}, 3, 10, 0)).isEqualTo(90);
    }

    @Test
    void shouldKeepTheCommitOffsetWithNoConfiguredNodes()
    {
        assertThat(CommitRule.commitOffset(new long[0], 0, 10, 25)).isEqualTo(25);
    }

    @Test
    void shouldTakeTheMedianWhateverTheOrderOfTheFollowers()
    {
        // Every order of five durable ends: the third largest is what three nodes hold.
        final long[] ends = {100, 90, 50, 40, 10};
        final int[][] orders = {{0, 1, 2, 3, 4}, {4, 3, 2, 1, 0}, {2, 0, 4, 1, 3}, {3, 4, 0, 2, 1}, {1, 2, 3, 4, 0}};
        for (final int[] order : orders)
        {
            final long[] durable = new long[5];
            for (int i = 0; i < 5; i++)
            {
                durable[i] = ends[order[i]];
            }
            assertThat(CommitRule.commitOffset(durable, 5, 5, 0)).as("order %s", java.util.Arrays.toString(order))
                .isEqualTo(50);
        }
    }
}
