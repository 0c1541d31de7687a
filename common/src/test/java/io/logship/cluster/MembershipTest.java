package io.logship.cluster;

import io.logship.LogshipException;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MembershipTest
{
    static final Membership THREE = Membership.seed(
        MemberList.parse("1@127.0.0.1:7001,2@127.0.0.1:7002,3@127.0.0.1:7003", "test", true));

    @Test
    void shouldSeedEveryConfiguredNodeAsAVoter()
    {
        assertThat(THREE.voters()).extracting(Member::id).containsExactly(1, 2, 3);
        assertThat(THREE.learners()).isEmpty();
        assertThat(THREE.majority()).isEqualTo(2);
        assertThat(THREE.member(2).address()).isEqualTo("127.0.0.1:7002");
    }

    @Test
    void shouldNotCountALearnerInAnyMajority()
    {
        final Membership withLearner = THREE.withLearner(4, "127.0.0.1", 7004);

        assertThat(withLearner.majority()).isEqualTo(2);
        assertThat(withLearner.member(4).role()).isEqualTo(MemberRole.LEARNER);
        assertThat(withLearner.isMajority(List.of(1, 4))).isFalse();
        assertThat(withLearner.isMajority(List.of(1, 2))).isTrue();
        assertThat(THREE.isSingleServerChangeTo(withLearner)).isTrue();
    }

    @Test
    void shouldRefuseToAddAnIdOrAnAddressTwice()
    {
        assertThatThrownBy(() -> THREE.withLearner(2, "127.0.0.1", 7009))
            .isInstanceOf(LogshipException.class)
            .hasMessageContaining("already has that id");
        assertThatThrownBy(() -> THREE.withLearner(9, "127.0.0.1", 7003))
            .hasMessageContaining("already has that address");
    }

    @Test
    void shouldPromoteACaughtUpLearnerToAVoter()
    {
        final Membership promoted = THREE.withLearner(4, "127.0.0.1", 7004)
            .promoted(4, 995, 1000, 10, Set.of(1, 2, 3));

        assertThat(promoted.voters()).extracting(Member::id).containsExactly(1, 2, 3, 4);
        assertThat(promoted.majority()).isEqualTo(3);
    }

    @Test
    void shouldRefuseToPromoteALearnerThatHasNotCaughtUp()
    {
        final Membership withLearner = THREE.withLearner(4, "127.0.0.1", 7004);

        assertThatThrownBy(() -> withLearner.promoted(4, 100, 1000, 10, Set.of(1, 2, 3)))
            .hasMessageContaining("cannot promote node 4 yet: it holds the log up to offset 100, the leader's ends at 1000");
        assertThatThrownBy(() -> withLearner.promoted(4, -1, 1000, 10, Set.of(1, 2, 3)))
            .hasMessageContaining("cannot promote node 4 yet");
        assertThatThrownBy(() -> withLearner.promoted(2, 1000, 1000, 10, Set.of(1, 2, 3)))
            .hasMessage("cannot promote node 2: it is already a voter");
    }

    @Test
    void shouldRefuseARemovalThatWouldLeaveNoReachableMajority()
    {
        // Node 3 is down: removing node 2 leaves voters {1, 3}, of which only the leader answers.
        assertThatThrownBy(() -> THREE.without(2, 1, Set.of(1, 2)))
            .isInstanceOf(LogshipException.class)
            .hasMessage("cannot remove node 2: it would leave no majority reachable (voters after the change " +
                "[1, 3] need 2, the leader hears from [1])");

        final Membership shrunk = THREE.without(3, 1, Set.of(1, 2));
        assertThat(shrunk.voters()).extracting(Member::id).containsExactly(1, 2);
    }

    @Test
    void shouldRefuseToRemoveTheLeaderOrAStranger()
    {
        assertThatThrownBy(() -> THREE.without(1, 1, Set.of(1, 2, 3))).hasMessageContaining("it is the leader");
        assertThatThrownBy(() -> THREE.without(7, 1, Set.of(1, 2, 3))).hasMessageContaining("it is not a member");
    }

    @Test
    void shouldRemoveALearnerWithoutTouchingTheVoters()
    {
        final Membership back = THREE.withLearner(4, "127.0.0.1", 7004).without(4, 1, Set.of(1));

        assertThat(back).isEqualTo(THREE);
    }

    @Test
    void shouldTellASingleServerChangeFromALargerOne()
    {
        final Membership two = THREE.without(3, 1, Set.of(1, 2, 3));
        final Membership one = two.without(2, 1, Set.of(1, 2));

        assertThat(THREE.isSingleServerChangeTo(two)).isTrue();
        assertThat(THREE.isSingleServerChangeTo(one)).isFalse();
    }

    @Test
    void shouldKeepAnyTwoMajoritiesOfConsecutiveConfigurationsOverlapping()
    {
        // Exhaustive over 1..6 voters: any majority of V and any majority of V plus one voter share a member.
        for (int n = 1; n <= 6; n++)
        {
            final int majorityBefore = n / 2 + 1;
            final int majorityAfter = (n + 1) / 2 + 1;
            assertThat(majorityBefore + majorityAfter).as("n=%d", n).isGreaterThan(n + 1);
        }
    }
}
