package io.logship.node.election;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Seeded, single-threaded simulation of election + replication (after Kafka's
 * RaftEventSimulationTest): thousands of schedules of crashes, restarts, partitions, message loss,
 * duplication, reordering and delay, operator switchovers, client writes at every ack level; the
 * invariants are listed on {@link SimulatedCluster}.
 *
 * <p>System properties: {@code logship.sim.seed=S} runs only seed S (with a trace);
 * {@code logship.sim.seeds=N} sets the seeds per cluster size (default 3,000 for 3 and 5 nodes,
 * 1,500 for 2 nodes); {@code logship.sim.firstSeed} moves the window, so CI can vary it. On a failure the
 * seed is replayed with tracing and the tail of the trace is printed.
 */
class ElectionSimulationTest
{
    private static final long CHAOS_MS = 4_000;
    private static final long CALM_MS = 4_000;

    private static final long SINGLE_SEED = Long.getLong("logship.sim.seed", -1);
    private static final long FIRST_SEED = Long.getLong("logship.sim.firstSeed", 1);
    private static final int SEEDS = Integer.getInteger("logship.sim.seeds", 3_000);

    @Test
    void shouldKeepInvariantsInThreeNodeClusters()
    {
        runSeeds(3, SEEDS);
    }

    @Test
    void shouldKeepInvariantsInFiveNodeClusters()
    {
        runSeeds(5, SEEDS);
    }

    @Test
    void shouldNeverPromoteAutomaticallyInTwoNodeClusters()
    {
        runSeeds(2, Math.max(1, SEEDS / 2));
    }

    @Test
    void shouldFindTheLeaseFlawWhenTheLeaseIsCountedFromAckReceipt()
    {
        // Documents the flaw in "heard from a majority within the lease timeout": counted from when an
        // ack arrives, a late ack keeps a deposed leader's lease alive after a successor is elected.
        final String violation = firstViolation(3, 300, faults -> faults.leaseFromReceipt = true);
        System.out.println("lease counted from ack receipt: " + violation);
        assertThat(violation).contains("both hold a leader lease");
    }

    private interface FaultTweak
    {
        void apply(SimulatedCluster.Faults faults);
    }

    private static String firstViolation(final int size, final int seeds, final FaultTweak tweak)
    {
        for (long seed = FIRST_SEED; seed < FIRST_SEED + seeds; seed++)
        {
            try
            {
                run(seed, size, false, tweak);
            }
            catch (final SimulatedCluster.InvariantViolation ex)
            {
                return ex.getMessage();
            }
        }
        return null;
    }

    private static void runSeeds(final int size, final int seeds)
    {
        final long from = SINGLE_SEED >= 0 ? SINGLE_SEED : FIRST_SEED;
        final long to = SINGLE_SEED >= 0 ? SINGLE_SEED + 1 : FIRST_SEED + seeds;
        final long startNs = System.nanoTime();
        long events = 0;
        long elections = 0;
        long writes = 0;
        long truncations = 0;
        long switchovers = 0;
        long forced = 0;
        long leaseStepDowns = 0;
        for (long seed = from; seed < to; seed++)
        {
            try
            {
                final SimulatedCluster cluster = run(seed, size, SINGLE_SEED >= 0, faults -> { });
                events += cluster.eventsRun;
                elections += cluster.elections;
                writes += cluster.writesAcknowledged;
                truncations += cluster.truncations;
                switchovers += cluster.switchovers;
                forced += cluster.forcedPromotions;
                leaseStepDowns += cluster.leaseStepDowns;
                if (SINGLE_SEED >= 0)
                {
                    System.out.println(cluster.trace());
                    System.out.println(cluster.summary());
                }
            }
            catch (final SimulatedCluster.InvariantViolation | IllegalStateException ex)
            {
                final SimulatedCluster replay = new SimulatedCluster(seed, size, faultsFor(seed, faults -> { }), true);
                try
                {
                    drive(replay, size);
                }
                catch (final RuntimeException expected)
                {
                    // the same failure, now with a trace
                }
                System.out.println("FAILED seed " + seed + " (" + size + " nodes): " + ex.getMessage() +
                    "\nreplay with -Dlogship.sim.seed=" + seed + "\n--- trace tail ---\n" + replay.trace() +
                    "\n--- state ---\n" + replay.summary());
                fail("seed " + seed + ": " + ex.getMessage(), ex);
            }
        }
        System.out.printf("election simulation, %d nodes: %d seeds, %d events, %d candidacies, %d writes " +
            "acknowledged, %d divergent-suffix truncations, %d switchovers started, %d forced promotions, " +
            "%d lease step-downs, %d ms%n", size, to - from, events, elections, writes, truncations, switchovers, forced,
            leaseStepDowns, (System.nanoTime() - startNs) / 1_000_000);
    }

    private static SimulatedCluster run(final long seed, final int size, final boolean tracing, final FaultTweak tweak)
    {
        final SimulatedCluster cluster = new SimulatedCluster(seed, size, faultsFor(seed, tweak), tracing);
        drive(cluster, size);
        return cluster;
    }

    private static void drive(final SimulatedCluster cluster, final int size)
    {
        if (size == 2)
        {
            cluster.runUntil(100);
            cluster.operatorPromote(1); // a two-node cluster starts only by an operator's promotion
        }
        cluster.scheduleChaos(cluster.nowMs(), CHAOS_MS);
        cluster.runUntil(CHAOS_MS);
        cluster.healAll();
        if (size == 2 && null == cluster.currentLeader())
        {
            cluster.operatorPromote(1 + cluster.random.nextInt(2));
        }
        cluster.runUntil(CHAOS_MS + CALM_MS);
        cluster.checkEnd();
        if (size >= 3 && null == cluster.leaderWithLease())
        {
            throw new SimulatedCluster.InvariantViolation("seed " + cluster.seed + ": no leader with a lease " +
                CALM_MS + " ms after every fault healed\n" + cluster.summary());
        }
    }

    private static SimulatedCluster.Faults faultsFor(final long seed, final FaultTweak tweak)
    {
        // Drawn from a generator separate from the cluster's, so tweaks do not shift the schedule.
        final java.util.Random knobs = new java.util.Random(seed * 0x9E3779B97F4A7C15L);
        final SimulatedCluster.Faults faults = new SimulatedCluster.Faults();
        faults.lossProbability = new double[] {0, 0.01, 0.05, 0.2}[knobs.nextInt(4)];
        faults.duplicateProbability = knobs.nextBoolean() ? 0 : 0.03;
        faults.lateProbability = new double[] {0, 0.02, 0.1}[knobs.nextInt(3)];
        faults.maxLateMs = 50 + knobs.nextInt(800);
        faults.meanFaultIntervalMs = 150 + knobs.nextInt(600);
        tweak.apply(faults);
        return faults;
    }
}
