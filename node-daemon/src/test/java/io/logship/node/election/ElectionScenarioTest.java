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
    /** Fewer under mutation testing (-Pmutation sets 30), where these tests run once per mutant. */
    private static final int SEEDS = Integer.getInteger("logship.test.scenarioSeeds", 300);
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

    /**
     * The longest pause a healthy switchover may cause, from the operator's request to the first quorum
     * write the target acknowledges as leader. The handover is sent once the target's durable end reaches
     * the leader's log end, which its acks report at the latest one heartbeat interval after the writes
     * stop; then the target stands at once (no election timeout) and a vote round ends within its
     * timeout; then it opens its epoch with a NOOP and acknowledges the next client write, a few message
     * delays (1–4 ms) and fsyncs (1–4 ms) plus the gap to the next write (up to 25 ms). The bound allows
     * a second vote round on top as margin (measured worst: about 250 ms over 300 seeds), and stays far
     * below the handover timeout after which the old leader would take writes back. The clock is the
     * simulation's, so a slow machine cannot stretch it.
     */
    private static final long SWITCHOVER_PAUSE_BOUND_MS =
        ElectionConfig.HEARTBEAT_INTERVAL_MS_DEFAULT + 2 * ElectionConfig.VOTE_ROUND_TIMEOUT_MS_DEFAULT;

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
            final long pauseMs = firstAcknowledgementBy(cluster, target, KILL_AT_MS + 1, 4_000) - KILL_AT_MS;
            cluster.runUntil(4_000);
            cluster.checkEnd(); // every acknowledged quorum/all write is in the new leader's log
            printTraceIfAsked(cluster);
            assertThat(cluster.leaderWithLease()).as("seed %d", seed).isNotNull();
            assertThat(cluster.leaderWithLease().id).as("seed %d: the target leads", seed).isEqualTo(target);
            assertThat(pauseMs).as("seed %d: switchover request → first quorum write acknowledged by the target",
                seed).isBetween(1L, SWITCHOVER_PAUSE_BOUND_MS);
            worstPauseMs = Math.max(worstPauseMs, pauseMs);
        }
        System.out.printf("switchover: first quorum write acknowledged by the target at most %d ms after the " +
            "request (bound %d ms, %d seeds)%n", worstPauseMs, SWITCHOVER_PAUSE_BOUND_MS, SEEDS);
    }

    /**
     * Runs the cluster a millisecond at a time until node {@code nodeId} acknowledges a quorum write,
     * and returns when (or fails at {@code untilMs}). The old leader may still acknowledge writes it
     * had in flight when the switchover began; those do not end the pause, so the watch is re-armed.
     */
    private static long firstAcknowledgementBy(
        final SimulatedCluster cluster, final int nodeId, final long fromMs, final long untilMs)
    {
        cluster.watchFirstAcknowledgementFrom(fromMs);
        for (long t = fromMs; t <= untilMs; t++)
        {
            cluster.runUntil(t);
            if (cluster.firstAckAtMs() >= 0)
            {
                if (cluster.firstAckBy() == nodeId)
                {
                    return cluster.firstAckAtMs();
                }
                cluster.watchFirstAcknowledgementFrom(t + 1);
            }
        }
        throw new AssertionError("seed " + cluster.seed + ": node " + nodeId + " acknowledged no quorum write in [" +
            fromMs + ", " + untilMs + "] ms");
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
