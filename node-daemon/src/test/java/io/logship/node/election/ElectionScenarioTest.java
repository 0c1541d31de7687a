package io.logship.node.election;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Timed scenarios on the simulated cluster with a healthy network (1–4 ms per message, 1–4 ms per
 * fsync): how long failover and switchover take, over many seeds.
 */
class ElectionScenarioTest
{
    private static final int SEEDS = 300;
    private static final long KILL_AT_MS = 1_500;

    private static final long TRACE_SEED = Long.getLong("logship.sim.seed", -1);

    private static SimulatedCluster healthy(final long seed, final int size)
    {
        final SimulatedCluster.Faults faults = new SimulatedCluster.Faults();
        faults.meanFaultIntervalMs = Long.MAX_VALUE;
        return new SimulatedCluster(seed, size, faults, seed == TRACE_SEED);
    }

    private static void printTraceIfAsked(final SimulatedCluster cluster)
    {
        if (cluster.seed == TRACE_SEED)
        {
            System.out.println(cluster.trace() + "\n" + cluster.summary());
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {3, 5})
    void shouldAcknowledgeAQuorumWriteOnANewLeaderWithinOneSecondOfTheLeaderBeingKilled(final int size)
    {
        long worstMs = 0;
        long totalMs = 0;
        for (long seed = 1; seed <= SEEDS; seed++)
        {
            final SimulatedCluster cluster = healthy(seed, size);
            cluster.scheduleClientWrites(0, 5_000);
            cluster.runUntil(KILL_AT_MS);
            final SimulatedCluster.SimNode leader = cluster.currentLeader();
            assertThat(leader).as("seed %d: a leader by %d ms", seed, KILL_AT_MS).isNotNull();
            leader.crash(); // SIGKILL: the un-fsynced tail and all volatile state are gone
            cluster.watchFirstAcknowledgementFrom(KILL_AT_MS);
            cluster.runUntil(5_000);
            cluster.checkEnd();
            printTraceIfAsked(cluster);
            final long failoverMs = cluster.firstAckAtMs() - KILL_AT_MS;
            assertThat(cluster.firstAckAtMs()).as("seed %d: a write acknowledged after the kill", seed).isPositive();
            assertThat(cluster.firstAckBy()).isNotEqualTo(leader.id);
            assertThat(failoverMs).as("seed %d: kill → first acknowledged quorum write", seed).isLessThanOrEqualTo(1_000);
            worstMs = Math.max(worstMs, failoverMs);
            totalMs += failoverMs;
        }
        System.out.printf("%d nodes: leader killed → first quorum write acknowledged by the new leader: " +
            "mean %d ms, worst %d ms over %d seeds%n", size, totalMs / SEEDS, worstMs, SEEDS);
    }

    @Test
    void shouldSwitchOverGracefullyWithoutLosingAcknowledgedWrites()
    {
        long worstPauseMs = 0;
        for (long seed = 1; seed <= SEEDS; seed++)
        {
            final SimulatedCluster cluster = healthy(seed, 3);
            cluster.scheduleClientWrites(0, 4_000);
            cluster.runUntil(KILL_AT_MS);
            final SimulatedCluster.SimNode leader = cluster.currentLeader();
            final int target = leader.id % 3 + 1;
            assertThat(cluster.promote(leader.id, target, false).accepted()).isTrue();
            cluster.watchFirstAcknowledgementFrom(KILL_AT_MS + 1);
            cluster.runUntil(4_000);
            cluster.checkEnd(); // every acknowledged quorum/all write is in the new leader's log
            assertThat(cluster.leaderWithLease()).as("seed %d", seed).isNotNull();
            assertThat(cluster.leaderWithLease().id).as("seed %d: the target leads", seed).isEqualTo(target);
            worstPauseMs = Math.max(worstPauseMs, cluster.firstAckAtMs() - KILL_AT_MS);
        }
        System.out.printf("switchover: first quorum write acknowledged at most %d ms after the request (%d seeds)%n",
            worstPauseMs, SEEDS);
    }

    @Test
    void shouldRefuseANonForcedPromotionOfANodeThatLacksCommittedData()
    {
        for (long seed = 1; seed <= 50; seed++)
        {
            final SimulatedCluster cluster = healthy(seed, 3);
            cluster.scheduleClientWrites(0, 3_000);
            cluster.runUntil(KILL_AT_MS);
            final SimulatedCluster.SimNode leader = cluster.currentLeader();
            final SimulatedCluster.SimNode lagging = cluster.node(leader.id % 3 + 1);
            final SimulatedCluster.SimNode other = cluster.node((leader.id + 1) % 3 + 1);
            lagging.crash(); // misses writes that the leader and the other follower commit
            cluster.runUntil(KILL_AT_MS + 300);
            leader.crash();
            lagging.restart();
            // Once it has been up for an election timeout it stands when told, but the other node refuses it.
            cluster.runUntil(KILL_AT_MS + 300 + ElectionConfig.ELECTION_TIMEOUT_MS_DEFAULT);
            cluster.promote(lagging.id, lagging.id, false);
            cluster.runUntil(3_500);
            cluster.checkEnd();
            printTraceIfAsked(cluster);
            final SimulatedCluster.SimNode newLeader = cluster.currentLeader();
            assertThat(newLeader).as("seed %d", seed).isNotNull();
            assertThat(newLeader.id).as("seed %d: only the node with the committed data can lead", seed)
                .isEqualTo(other.id);
        }
    }
}
