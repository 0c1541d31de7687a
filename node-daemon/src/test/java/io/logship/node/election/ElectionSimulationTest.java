package io.logship.node.election;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Seeded, single-threaded simulation of election + replication (after Kafka's
 * RaftEventSimulationTest): schedules of crashes, restarts, partitions, message loss, duplication,
 * reordering and delay, operator switchovers, client writes at every ack level; the invariants are
 * listed on {@link SimulatedCluster}.
 *
 * <p>Every build explores new schedules: the base seed is drawn afresh and printed before anything
 * else runs, and each cluster size runs seeds {@code base, base + 1, ...} until its share of the time
 * budget is spent (but at least a minimum count). The seeds in {@link RegressionSeeds} run first,
 * every build. Any failure, whatever its type, prints its seed and the exact command that replays it,
 * and the failure is replayed at once to show it reproduces.
 *
 * <p>System properties:
 * <ul>
 *   <li>{@code logship.sim.seed=S}: run only seed S (in each test), with a trace;</li>
 *   <li>{@code logship.sim.firstSeed=B}: use B as the base seed instead of a fresh one (replays a
 *       whole build's window);</li>
 *   <li>{@code logship.sim.seeds=N}: run exactly N seeds per cluster size (2 nodes: N/2) instead of
 *       filling the time budget;</li>
 *   <li>{@code logship.sim.budgetSeconds=T}: the time budget of the three invariant runs together
 *       (default 60).</li>
 * </ul>
 */
class ElectionSimulationTest
{
    private static final long CHAOS_MS = 4_000;
    private static final long CALM_MS = 4_000;

    private static final long SINGLE_SEED = Long.getLong("logship.sim.seed", -1);
    private static final long BASE_SEED = Long.getLong("logship.sim.firstSeed", freshSeed());
    private static final int FIXED_SEEDS = Integer.getInteger("logship.sim.seeds", -1);
    private static final long BUDGET_MS = 1_000 * Long.getLong("logship.sim.budgetSeconds", 60);

    /**
     * Fewest seeds per run whatever the budget: on a machine too slow to reach them in time, the build
     * takes longer rather than testing less than this.
     */
    private static final int MIN_SEEDS = 500;

    /** Schedules of the "partitioned node returns" test, each run with 3 and with 5 nodes. */
    private static final int RETURN_SEEDS = 60;
    private static final long RETURN_MAX_ABSENCE_MS = 10_000;
    /** How long the cluster runs after the node returned: several election timeouts. */
    private static final long RETURN_AFTER_MS = 2_000;

    /**
     * Seeds the deliberate-flaw tests search, from the base seed, for the flaw's first violation. The rarest
     * flaw (peer messages before node-state is durable) broke an invariant in 64 of 10,000 seeds and 25 of
     * 3,000 (longest run without one: 879 seeds); 600 missed it once in CI. At 0.6 % a search of 6,000 misses
     * with probability e^-38, and each seed runs in about a millisecond, so the search stays a few seconds at
     * worst and usually ends within a few hundred seeds.
     */
    private static final int FLAW_SEARCH_SEEDS = 6_000;

    private static final String REPLAY_COMMAND = "mvn -B -pl node-daemon -am test " +
        "-Dsurefire.failIfNoSpecifiedTests=false -Dtest='ElectionSimulationTest#%s' -Dlogship.sim.seed=%d";

    /** A change to the schedule's fault knobs (a deliberately reintroduced flaw), or none. */
    interface FaultTweak
    {
        FaultTweak NONE = faults -> { };

        void apply(SimulatedCluster.Faults faults);
    }

    /** Election-state writes durable up to 300 ms after asked for, one in five 100-300 ms. */
    static final FaultTweak SLOW_NODE_STATE = faults ->
    {
        faults.maxPersistDelayMs = 300;
        faults.slowPersistProbability = 0.2;
    };

    /** The leader tries a membership change every 2 × 150 ms on average. */
    static final FaultTweak MEMBERSHIP_CHANGES = faults -> faults.meanMembershipChangeIntervalMs = 150;

    /** How one seed failed: the exception type and message, which a replay must match exactly. */
    record Failure(long seed, String description, Throwable cause)
    {
        static Failure of(final long seed, final Throwable cause)
        {
            return new Failure(seed, cause.getClass().getName() + ": " + cause.getMessage(), cause);
        }
    }

    @BeforeAll
    static void printBaseSeed()
    {
        System.out.println("election simulation: base seed " + BASE_SEED + (SINGLE_SEED >= 0 ?
            " (only seed " + SINGLE_SEED + " runs)" : "; replay this build's window with -Dlogship.sim.firstSeed=" +
            BASE_SEED));
    }

    @Test
    void shouldKeepInvariantsInThreeNodeClusters()
    {
        runSeeds("shouldKeepInvariantsInThreeNodeClusters", 3, 2 * BUDGET_MS / 5, seedsFor(1));
    }

    @Test
    void shouldKeepInvariantsInFiveNodeClusters()
    {
        runSeeds("shouldKeepInvariantsInFiveNodeClusters", 5, 2 * BUDGET_MS / 5, seedsFor(1));
    }

    /**
     * Membership changes under the same chaos (docs/DESIGN.md#membership): the leader demotes voters to learners and
     * promotes caught-up learners one at a time; every node counts the configuration in its log (effective on
     * append, reverted by a cut). The invariants are the usual ones (one lease at a time, one leader per epoch,
     * committed prefixes never diverge nor get lost, acknowledged writes survive) with configuration entries in the
     * log, so "all nodes agree on the member set of each committed configuration" is the committed-prefix check.
     */
    @Test
    void shouldKeepInvariantsInFiveNodeClustersWhoseVotersChange()
    {
        // Seeds that found bugs in the node: a switchover to a node demoted meanwhile (FollowerLeases index -1), and a
        // stale voter ignoring a candidate outside its configuration while a demoted one refused (no leader ever).
        for (final long seed : new long[] {8633108227366L, 9637009096989L})
        {
            final Failure failure = outcome(seed, 5, false, MEMBERSHIP_CHANGES);
            assertThat(failure).as("membership regression seed %d: %s", seed, null == failure ? "" :
                failure.description()).isNull();
        }
        runSeeds("shouldKeepInvariantsInFiveNodeClustersWhoseVotersChange", 5, BUDGET_MS / 10, seedsFor(2),
            MEMBERSHIP_CHANGES);
        long changes = 0;
        long reverts = 0;
        for (long seed = firstSeed(); seed < firstSeed() + 20; seed++)
        {
            final SimulatedCluster cluster = run(seed, 5, false, MEMBERSHIP_CHANGES);
            changes += cluster.membershipChanges;
            reverts += cluster.membershipReverts;
        }
        assertThat(changes).as("the schedules change the voters").isGreaterThan(20);
        System.out.println("election simulation with membership changes: " + changes + " changes appended, " + reverts +
            " reverted by a cut, in 20 schedules");
    }

    /**
     * A candidate's vote requests leave before its vote for itself is durable, and its fsync and the voters' run at
     * once (docs/DESIGN.md#candidacy-in-parallel): on a disk slow enough (writes up to 300 ms, one in five 100-300 ms)
     * that grants often come back first and crashes often fall in between, the usual invariants still hold, and the
     * schedules did exercise the path.
     */
    @Test
    void shouldKeepInvariantsWhenVoteRequestsLeaveBeforeTheCandidacyIsDurable()
    {
        for (final int size : new int[] {3, 5})
        {
            final long[] ahead = runSeeds("shouldKeepInvariantsWhenVoteRequestsLeaveBeforeTheCandidacyIsDurable", size,
                BUDGET_MS / 10, seedsFor(4), SLOW_NODE_STATE);
            System.out.printf("  %d vote requests sent before the candidacy was durable, %d grants back before it%n",
                ahead[0], ahead[1]);
            if (SINGLE_SEED < 0)
            {
                assertThat(ahead[0]).as("requests sent ahead of the barrier").isPositive();
                assertThat(ahead[1]).as("grants back before the candidacy was durable").isPositive();
            }
        }
    }

    @Test
    void shouldNeverPromoteAutomaticallyInTwoNodeClusters()
    {
        runSeeds("shouldNeverPromoteAutomaticallyInTwoNodeClusters", 2, BUDGET_MS / 5, seedsFor(2));
    }

    @Test
    void shouldPassEverySeedThatOnceFoundABug()
    {
        for (final RegressionSeeds.Fixed fixed : RegressionSeeds.FIXED)
        {
            final Failure failure = outcome(fixed.seed(), fixed.size(), false, FaultTweak.NONE);
            if (null != failure)
            {
                report(System.out, "shouldPassEverySeedThatOnceFoundABug", fixed.size(), FaultTweak.NONE, failure);
                fail("regression seed " + fixed.seed() + " (" + fixed.size() + " nodes, once found: " +
                    fixed.found() + ") fails again: " + failure.description(), failure.cause());
            }
        }
    }

    @Test
    void shouldStillCatchEachDeliberateFlawAtTheSeedThatFoundIt()
    {
        for (final RegressionSeeds.Deliberate flaw : RegressionSeeds.DELIBERATE)
        {
            final Failure failure = outcome(flaw.seed(), flaw.size(), false, flaw.tweak());
            assertThat(failure).as("seed %d (%d nodes) with %s must fail", flaw.seed(), flaw.size(), flaw.flaw())
                .isNotNull();
            assertThat(failure.description()).as("seed %d with %s", flaw.seed(), flaw.flaw())
                .contains(flaw.expected());
            assertThat(failure.cause()).isInstanceOf(SimulatedCluster.InvariantViolation.class);
        }
    }

    @Test
    void shouldReproduceTheSameFailureWhenAFailingSeedIsReplayed()
    {
        // A flaw switched on, so a failure is certain; its first failing seed from this build's base goes
        // through the same report a real failure gets (replayed with tracing on) and must fail identically.
        final FaultTweak leaseFromReceipt = faults -> faults.leaseFromReceipt = true;
        final Failure first = firstFailure(3, FLAW_SEARCH_SEEDS, leaseFromReceipt);
        assertThat(first).as("a failing seed within %d seeds of %d", FLAW_SEARCH_SEEDS, BASE_SEED).isNotNull();
        final String testName = "shouldReproduceTheSameFailureWhenAFailingSeedIsReplayed";
        final ByteArrayOutputStream printed = new ByteArrayOutputStream();

        final Failure replay = report(new PrintStream(printed, true, StandardCharsets.UTF_8), testName, 3,
            leaseFromReceipt, first);

        assertThat(replay).as("replay of seed %d: %s", first.seed(), replayCommand(testName, first.seed())).isNotNull();
        assertThat(replay.description()).isEqualTo(first.description());
        assertThat(replay.cause()).isInstanceOf(first.cause().getClass());
        assertThat(printed.toString(StandardCharsets.UTF_8))
            .startsWith("FAILED seed " + first.seed() + " (3 nodes): " + first.description())
            .contains("replay with: " + replayCommand(testName, first.seed()))
            .contains("seed " + first.seed() + " replayed with tracing: yes, the same failure")
            .contains("--- trace tail ---");
    }

    @Test
    void shouldFindTheLeaseFlawWhenTheLeaseIsCountedFromAckReceipt()
    {
        // Documents the flaw in "heard from a majority within the lease timeout": counted from when an
        // ack arrives, a late ack keeps a deposed leader's lease alive after a successor is elected.
        final Failure failure = firstFailure(3, FLAW_SEARCH_SEEDS, faults -> faults.leaseFromReceipt = true);
        assertThat(failure).as("a violation within %d seeds of %d", FLAW_SEARCH_SEEDS, BASE_SEED).isNotNull();
        System.out.println("lease counted from ack receipt: " + failure.description());
        assertThat(failure.cause()).isInstanceOf(SimulatedCluster.InvariantViolation.class);
        assertThat(failure.description()).as("replay: %s",
            replayCommand("shouldFindTheLeaseFlawWhenTheLeaseIsCountedFromAckReceipt", failure.seed()))
            .contains("both hold a leader lease");
    }

    @Test
    void shouldFindABrokenInvariantWhenPeersHearOfAStateBeforeItIsDurable()
    {
        // The barrier switched off: votes, vote requests and a new leader's messages go out while the node-state
        // write is still in flight, and a crash then loses it. The invariants themselves (not the wire check, which
        // is off with the flaw) must see what that breaks: a node that restarts below an epoch it already revealed.
        final Failure failure = firstFailure(3, FLAW_SEARCH_SEEDS, faults ->
        {
            faults.sendBeforeDurable = true;
            faults.maxPersistDelayMs = 300; // a slow disk makes the window wide enough to find within the search
            faults.slowPersistProbability = 0.2;
        });
        assertThat(failure).as("a violation within %d seeds of %d", FLAW_SEARCH_SEEDS, BASE_SEED).isNotNull();
        System.out.println("peer messages before node-state is durable: " + failure.description());
        assertThat(failure.cause()).isInstanceOf(SimulatedCluster.InvariantViolation.class);
    }

    @Test
    void shouldFindALostCommittedEntryWhenALeaderAnswersAnEpochEndRequestBeforeItsNoop()
    {
        // FeedbackAdapter#onEpochEndRequest's old behaviour switched back on: a new leader whose journal has not
        // appended its opening NOOP yet answers; for a follower whose last epoch is newer than the leader's last
        // log epoch that answer is UNDEFINED, and the follower's LogReconciler cuts back to its applied offset.
        final Failure failure = firstFailure(3, FLAW_SEARCH_SEEDS, faults ->
        {
            faults.answerBeforeEpochOpen = true;
            faults.maxEpochOpenDelayMs = 120; // the journal's lag: the window the answer falls into
        });
        assertThat(failure).as("a violation within %d seeds of %d", FLAW_SEARCH_SEEDS, BASE_SEED).isNotNull();
        System.out.println("EpochEndRequest answered before the NOOP: " + failure.description());
        assertThat(failure.cause()).isInstanceOf(SimulatedCluster.InvariantViolation.class);
    }

    /**
     * The "partitioned node returns" schedule (issue 10): a healthy cluster with a leader; one follower is cut
     * off or paused (SIGSTOP) for 0.5–10 s, then returns. Pre-vote must keep both the returning node and
     * everybody else from standing: no candidacy while the leader is live and reaches a majority (checked
     * as it happens), and at the end the same leader leads the same epoch on every node. Every other
     * invariant is checked too.
     */
    @Test
    void shouldHoldNoElectionWhenAPartitionedOrPausedFollowerReturns()
    {
        final int seeds = SINGLE_SEED >= 0 ? 1 : FIXED_SEEDS > 0 ? FIXED_SEEDS : RETURN_SEEDS;
        long pauses = 0;
        long longestMs = 0;
        for (long seed = firstSeed(); seed < firstSeed() + seeds; seed++)
        {
            for (final int size : new int[] {3, 5})
            {
                final SimulatedCluster cluster = new SimulatedCluster(seed, size, calmFaults(seed), SINGLE_SEED >= 0);
                try
                {
                    final long[] shape = partitionedNodeReturns(cluster);
                    pauses += shape[0];
                    longestMs = Math.max(longestMs, shape[1]);
                }
                catch (final Throwable ex)
                {
                    System.out.println("FAILED seed " + seed + " (" + size + " nodes): " + ex + "\nreplay with: " +
                        replayCommand("shouldHoldNoElectionWhenAPartitionedOrPausedFollowerReturns", seed) +
                        "\n--- trace tail ---\n" + cluster.trace() + "\n--- state ---\n" + cluster.summary());
                    fail("seed " + seed + " (" + size + " nodes): " + ex.getMessage(), ex);
                }
                if (SINGLE_SEED >= 0)
                {
                    System.out.println(cluster.trace() + "\n" + cluster.summary());
                }
            }
        }
        System.out.printf("partitioned node returns: %d schedules (3 and 5 nodes; %d paused, the rest cut off), " +
            "absences up to %d ms, no election%n", 2 * seeds, pauses, longestMs);
    }

    /** No loss and no late delivery (the invariant is about a leader that is live and reachable); duplicates. */
    private static SimulatedCluster.Faults calmFaults(final long seed)
    {
        final SimulatedCluster.Faults faults = new SimulatedCluster.Faults();
        faults.meanFaultIntervalMs = Long.MAX_VALUE;
        faults.duplicateProbability = seed % 2 == 0 ? 0 : 0.03;
        return faults;
    }

    /** Runs the schedule; returns {1 if the node was paused else 0, how long it was away}. */
    private static long[] partitionedNodeReturns(final SimulatedCluster cluster)
    {
        final long startMs = 1_500;
        cluster.scheduleClientWrites(0, startMs + RETURN_MAX_ABSENCE_MS + RETURN_AFTER_MS);
        cluster.runUntil(startMs);
        final SimulatedCluster.SimNode leader = cluster.leaderWithLease();
        if (null == leader)
        {
            throw new SimulatedCluster.InvariantViolation("seed " + cluster.seed + ": no leader with a lease by " +
                startMs + " ms on a healthy network\n" + cluster.summary());
        }
        final int epoch = leader.election.epoch();
        int away = 1 + cluster.random.nextInt(cluster.size - 1);
        away = away >= leader.id ? away + 1 : away; // a follower
        final boolean pause = cluster.random.nextBoolean();
        final long absenceMs = 500 + cluster.random.nextInt((int)RETURN_MAX_ABSENCE_MS - 500 + 1);
        cluster.cutOffAndReturn(away, pause, absenceMs);
        cluster.runUntil(startMs + absenceMs + RETURN_AFTER_MS);
        cluster.checkEnd();
        assertThat(cluster.leaderWithLease()).as("seed %d: a leader after node %d returned", cluster.seed, away)
            .isNotNull();
        assertThat(cluster.leaderWithLease().id).as("seed %d: the same leader", cluster.seed).isEqualTo(leader.id);
        for (int id = 1; id <= cluster.size; id++)
        {
            assertThat(cluster.node(id).election.epoch()).as("seed %d: node %d's epoch after node %d %s for %d ms",
                cluster.seed, id, away, pause ? "was paused" : "was cut off", absenceMs).isEqualTo(epoch);
        }
        return new long[] {pause ? 1 : 0, absenceMs};
    }

    /** Seeds to run: one with -Dlogship.sim.seed, the fixed count if set, else as many as the budget allows. */
    private static int seedsFor(final int divisor)
    {
        if (SINGLE_SEED >= 0)
        {
            return 1;
        }
        return FIXED_SEEDS > 0 ? Math.max(1, FIXED_SEEDS / divisor) : -1;
    }

    private static long firstSeed()
    {
        return SINGLE_SEED >= 0 ? SINGLE_SEED : BASE_SEED;
    }

    private static Failure firstFailure(final int size, final int seeds, final FaultTweak tweak)
    {
        for (long seed = firstSeed(); seed < firstSeed() + seeds; seed++)
        {
            final Failure failure = outcome(seed, size, false, tweak);
            if (null != failure)
            {
                return failure;
            }
        }
        return null;
    }

    /** Runs one seed; returns how it failed, or null if it kept every invariant. */
    private static Failure outcome(final long seed, final int size, final boolean tracing, final FaultTweak tweak)
    {
        try
        {
            run(seed, size, tracing, tweak);
            return null;
        }
        catch (final Throwable ex)
        {
            // Any throwable: an assertion, a bug in the harness or a StackOverflowError must all name their seed.
            return Failure.of(seed, ex);
        }
    }

    /**
     * Runs seeds from the first seed on until {@code count} have run or, with {@code count < 0}, until
     * {@code budgetMs} is spent and at least {@link #MIN_SEEDS} have run.
     */
    private static void runSeeds(final String testName, final int size, final long budgetMs, final int count)
    {
        runSeeds(testName, size, budgetMs, count, FaultTweak.NONE);
    }

    /** @return vote requests sent ahead of the barrier, and grants back before the candidacy was durable. */
    private static long[] runSeeds(final String testName, final int size, final long budgetMs, final int count,
        final FaultTweak tweak)
    {
        long requestsAhead = 0;
        long grantsBeforeDurable = 0;
        final long startNs = System.nanoTime();
        final long deadlineNs = startNs + budgetMs * 1_000_000;
        long events = 0;
        long elections = 0;
        long writes = 0;
        long truncations = 0;
        long switchovers = 0;
        long forced = 0;
        long leaseStepDowns = 0;
        long ran = 0;
        for (long seed = firstSeed();
            count >= 0 ? ran < count : ran < MIN_SEEDS || System.nanoTime() - deadlineNs < 0;
            seed++, ran++)
        {
            final SimulatedCluster cluster;
            try
            {
                cluster = run(seed, size, SINGLE_SEED >= 0, tweak);
            }
            catch (final Throwable ex)
            {
                final Failure failure = Failure.of(seed, ex);
                report(System.out, testName, size, tweak, failure);
                fail("seed " + seed + " (" + size + " nodes): " + failure.description() + "\nreplay: " +
                    replayCommand(testName, seed), ex);
                return null;
            }
            requestsAhead += cluster.requestsAhead;
            grantsBeforeDurable += cluster.grantsBeforeDurable;
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
        final long elapsedMs = Math.max(1, (System.nanoTime() - startNs) / 1_000_000);
        System.out.printf("election simulation, %d nodes: %d schedules (seeds %d..%d) in %d ms = %.0f schedules/s; " +
            "%d events, %d candidacies, %d writes acknowledged, %d divergent-suffix truncations, %d switchovers " +
            "started, %d forced promotions, %d lease step-downs%n", size, ran, firstSeed(), firstSeed() + ran - 1,
            elapsedMs, ran * 1000.0 / elapsedMs, events, elections, writes, truncations, switchovers, forced,
            leaseStepDowns);
        return new long[] {requestsAhead, grantsBeforeDurable};
    }

    /**
     * Prints a failure for whoever reads the build log: the seed, the replay command, and a replay with
     * tracing on (its trace tail and every node's state), saying whether the replay failed the same way.
     */
    private static Failure report(
        final PrintStream out, final String testName, final int size, final FaultTweak tweak, final Failure failure)
    {
        // The seed and the command first: whatever the replay below does, they are in the log.
        out.println("FAILED seed " + failure.seed() + " (" + size + " nodes): " + failure.description() +
            "\nreplay with: " + replayCommand(testName, failure.seed()));
        final SimulatedCluster replay = new SimulatedCluster(failure.seed(), size, faultsFor(failure.seed(), tweak), true);
        Failure again;
        try
        {
            drive(replay, size);
            again = null;
        }
        catch (final Throwable ex)
        {
            again = Failure.of(failure.seed(), ex);
        }
        final String reproduced = null == again ? "NO: the replay passed (the simulation is not deterministic)" :
            failure.description().equals(again.description()) ? "yes, the same failure" :
            "NO: the replay failed differently: " + again.description();
        out.println("seed " + failure.seed() + " replayed with tracing: " + reproduced +
            "\n--- trace tail ---\n" + replay.trace() + "\n--- state ---\n" + replay.summary());
        return again;
    }

    static String replayCommand(final String testName, final long seed)
    {
        return String.format(REPLAY_COMMAND, testName, seed);
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
        // Drawn after the others, so each seed keeps its older knobs: the election state's write is durable up to
        // this long after it is asked for (0: at once), and a crash before then loses it.
        faults.maxPersistDelayMs = new long[] {0, 2, 16, 60}[knobs.nextInt(4)];
        faults.slowPersistProbability = knobs.nextBoolean() ? 0 : 0.02;
        // Drawn last for the same reason: the leader's opening NOOP lands this long after the epoch is durable.
        faults.maxEpochOpenDelayMs = new long[] {0, 5, 30, 120}[knobs.nextInt(4)];
        tweak.apply(faults);
        return faults;
    }

    /** A fresh base seed, small enough that base + any count of seeds cannot overflow. */
    private static long freshSeed()
    {
        return new SecureRandom().nextLong() >>> 20;
    }
}
