package io.logship.cli;

import io.logship.client.NodeStatus;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The verdict rules of {@code logship health}, on status rounds built by hand (no cluster needed). */
class HealthCommandTest
{
    private static StatusCommand.NodeReport node(final int id, final String role, final int epoch, final int leaderId,
        final long logEnd)
    {
        return new StatusCommand.NodeReport(new ClusterOptions.Node(id, "127.0.0.1", 7000 + id),
            new NodeStatus(id, epoch, leaderId, role, 0, logEnd, logEnd, logEnd, logEnd, List.of(), true, 0, -1, 0, 0,
                0, ""), null);
    }

    private static StatusCommand.NodeReport unreachable(final int id)
    {
        return new StatusCommand.NodeReport(new ClusterOptions.Node(id, "127.0.0.1", 7000 + id), null,
            "no reply within 2000 ms");
    }

    @Test
    void shouldBeHealthyWhenEveryNodeFollowsTheLeaderClosely()
    {
        final HealthCommand.Verdict verdict = HealthCommand.judge(List.of(node(1, "LEADER", 3, 1, 100),
            node(2, "FOLLOWER", 3, 1, 100), node(3, "FOLLOWER", 3, 1, 95)), 10);

        assertThat(verdict.exitCode()).isEqualTo(HealthCommand.EXIT_HEALTHY);
        assertThat(verdict.leaderId()).isEqualTo(1);
        assertThat(verdict.serving()).isEqualTo(3);
        assertThat(verdict.problems()).isEmpty();
    }

    @Test
    void shouldBeDegradedAndNameTheNodeWhenOneIsDownLaggingOrFenced()
    {
        assertThat(HealthCommand.judge(List.of(node(1, "LEADER", 3, 1, 100), node(2, "FOLLOWER", 3, 1, 100),
            unreachable(3)), 10).problems()).containsExactly(
                "node 3 (127.0.0.1:7003): unreachable: no reply within 2000 ms");
        final HealthCommand.Verdict lagging = HealthCommand.judge(List.of(node(1, "LEADER", 3, 1, 100),
            node(2, "FOLLOWER", 3, 1, 100), node(3, "FOLLOWER", 3, 1, 20)), 10);
        assertThat(lagging.exitCode()).isEqualTo(HealthCommand.EXIT_DEGRADED);
        assertThat(lagging.problems()).containsExactly(
            "node 3 (127.0.0.1:7003): 80 records behind the leader (more than --max-lag 10)");
        assertThat(HealthCommand.judge(List.of(node(1, "LEADER", 3, 1, 100), node(2, "FENCED", 3, 1, 100),
            node(3, "FOLLOWER", 3, 1, 100)), 10).problems()).containsExactly(
                "node 2 (127.0.0.1:7002): fenced after a storage failure; serves reads only");
    }

    @Test
    void shouldBeUnusableWithoutALeaderOrWithoutAMajorityServing()
    {
        final HealthCommand.Verdict leaderless = HealthCommand.judge(List.of(node(1, "CANDIDATE", 4, -1, 100),
            node(2, "FOLLOWER", 3, -1, 100), unreachable(3)), 10);
        assertThat(leaderless.exitCode()).isEqualTo(HealthCommand.EXIT_UNUSABLE);
        assertThat(leaderless.problems().get(0)).isEqualTo("no node leads: writes are refused");

        final HealthCommand.Verdict minority = HealthCommand.judge(List.of(node(1, "LEADER", 3, 1, 100),
            unreachable(2), unreachable(3)), 10);
        assertThat(minority.exitCode()).isEqualTo(HealthCommand.EXIT_UNUSABLE);
        assertThat(minority.problems().get(0))
            .isEqualTo("only 1 of 3 nodes serve with leader 1, a majority needs 2: quorum writes cannot commit");
    }

    @Test
    void shouldTreatAStaleLeaderOfAnOlderEpochAsAProblemOfThatNode()
    {
        final HealthCommand.Verdict verdict = HealthCommand.judge(List.of(node(1, "LEADER", 2, 1, 100),
            node(2, "LEADER", 3, 2, 100), node(3, "FOLLOWER", 3, 2, 100)), 10);

        assertThat(verdict.exitCode()).isEqualTo(HealthCommand.EXIT_DEGRADED);
        assertThat(verdict.leaderId()).isEqualTo(2);
        assertThat(verdict.problems()).containsExactly(
            "node 1 (127.0.0.1:7001): still claims leadership of old epoch 2 (leader 2 leads epoch 3)");
    }
}
