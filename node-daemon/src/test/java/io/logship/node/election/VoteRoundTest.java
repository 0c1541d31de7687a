package io.logship.node.election;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class VoteRoundTest
{
    private final VoteRound round = new VoteRound(ElectionConfig.defaults(1, List.of(1, 2, 3, 4, 5)));

    @Test
    void shouldBeWonOnceTheGrantsWithTheCandidatesOwnMakeAMajority()
    {
        round.start(1);

        assertThat(round.won()).isFalse();
        assertThat(round.count(2, true)).isEqualTo(VoteRound.Outcome.OPEN);
        assertThat(round.count(2, true)).as("the same grant twice counts once").isEqualTo(VoteRound.Outcome.OPEN);
        assertThat(round.count(3, true)).isEqualTo(VoteRound.Outcome.WON);
    }

    @Test
    void shouldBeLostOnceTheRefusalsLeaveNoMajority()
    {
        round.start(1);

        assertThat(round.count(2, false)).isEqualTo(VoteRound.Outcome.OPEN);
        assertThat(round.count(3, false)).isEqualTo(VoteRound.Outcome.OPEN);
        assertThat(round.answered(3)).isTrue();
        assertThat(round.answered(4)).isFalse();
        assertThat(round.count(4, false)).isEqualTo(VoteRound.Outcome.LOST);
    }

    @Test
    void shouldLetAGrantReplaceARefusalButNeverTheReverse()
    {
        round.start(1);
        round.count(2, false);
        round.count(2, true);
        round.count(3, true);
        assertThat(round.won()).isTrue();

        round.count(3, false);
        assertThat(round.won()).as("a late refusal does not take back a grant").isTrue();
    }

    @Test
    void shouldForgetThePreviousRoundsAnswersOnStart()
    {
        round.start(1);
        round.count(2, true);
        round.count(3, true);

        round.start(1);

        assertThat(round.won()).isFalse();
        assertThat(round.answered(2)).isFalse();
    }

    @Test
    void shouldBeWonAtOnceInAOneNodeCluster()
    {
        final VoteRound alone = new VoteRound(ElectionConfig.defaults(1, List.of(1)));

        alone.start(1);

        assertThat(alone.won()).isTrue();
    }
}
