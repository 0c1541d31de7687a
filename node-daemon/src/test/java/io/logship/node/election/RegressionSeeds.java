package io.logship.node.election;

import java.util.List;

/**
 * Seeds that once made the simulation fail, run by every build before any fresh seed (see
 * {@link ElectionSimulationTest}). Two kinds:
 * <ul>
 *   <li>{@link #FIXED}: a bug the simulation found and that is fixed. The seed must now pass every
 *       invariant, so the bug cannot come back unnoticed.</li>
 *   <li>{@link #DELIBERATE}: a known flaw switched back on with a {@link SimulatedCluster.Faults} knob.
 *       The seed must still fail with the same invariant, which proves the harness can still see it.</li>
 * </ul>
 *
 * <p>To add a seed: when a build prints {@code FAILED seed S (N nodes)}, fix the bug, then append
 * {@code new Fixed(N, S, "what it found")} to {@link #FIXED} (and a line in node-daemon/ELECTION.md
 * under "Flaws found"). The replay command printed with the failure runs that seed alone.
 */
final class RegressionSeeds
{
    /** A seed that found a bug, now fixed. */
    record Fixed(int size, long seed, String found)
    {
    }

    /** A flaw switched on by {@code tweak}; seed {@code seed} finds it, with a message containing {@code expected}. */
    record Deliberate(int size, long seed, String flaw, ElectionSimulationTest.FaultTweak tweak, String expected)
    {
    }

    static final List<Fixed> FIXED = List.of(
        // ELECTION.md flaw 7: an EpochEndResponse answering an older question cut committed batches
        // ("node 2 truncates committed entry N5 at offset 82").
        new Fixed(5, 505_481, "a stale EpochEndResponse cut committed batches"),
        // ELECTION.md flaw 6: with "propose own epoch + 1", two candidates collided round after round
        // (found by the timed failover scenario with 3 nodes; run here under chaos as well).
        new Fixed(3, 58, "candidates proposing own epoch + 1 livelocked"),
        // ELECTION.md's example replay seed.
        new Fixed(3, 385, "ELECTION.md's replay example"),
        // Found by the first build with fresh seeds, once the simulation ran the node's own LogReconciler: an
        // EpochEndResponse about the epoch the leader still leads, answered before node 1 crashed and delivered
        // after its restart, cut committed entries ("node 1 truncates committed entry 5:97 at offset 97").
        // LogReconciler now never cuts on an answer about the leader's current epoch.
        new Fixed(3, 148_658_749_351L, "a stale answer about the leader's current epoch cut committed entries"),
        // Same build: a candidate whose last grant arrived late won epoch 2 after epoch 3 had committed; the
        // invariant wrongly asked a stale-epoch leader for entries committed in a later epoch (it now follows
        // Raft's leader completeness: entries committed in earlier epochs).
        new Fixed(5, 148_658_754_191L, "a stale-epoch leader is not asked for entries committed later"));

    static final List<Deliberate> DELIBERATE = List.of(
        // ELECTION.md flaw 1: a lease counted from ack receipt outlives the leader's deposition. Seed 19 found it
        // first; pre-vote changed every schedule's course, and 15 is now the first seed from 0 that finds it.
        // Found with a synchronous node-state write: the seed keeps that (no persistence delay) so its schedule is kept.
        new Deliberate(3, 15, "lease counted from ack receipt", faults ->
        {
            faults.leaseFromReceipt = true;
            faults.maxPersistDelayMs = 0;
            faults.maxEpochOpenDelayMs = 0;
        }, "both hold a leader lease"),
        // The leader's EpochEndRequest answer before its journal appended the opening NOOP (FeedbackAdapter's
        // flaw, fixed by answering only once the log holds the leader's epoch). Seed 30 found it first (node 1
        // leading epoch 3 with a log ending in epoch 1 answered node 3, just restarted, UNDEFINED, and node 3 cut
        // back to its applied offset 0); since a leader id is no longer persisted on winning or following, fewer
        // node-state writes changed the schedules, and 73 became the first seed from 0 that finds it; since a vote
        // round runs its whole timeout from its first tick (VoteRound.firstTick), 40 is (node 1 cuts, not node 2).
        new Deliberate(3, 40, "EpochEndRequest answered before the leader's NOOP", faults ->
        {
            faults.answerBeforeEpochOpen = true;
            faults.maxEpochOpenDelayMs = 120;
        }, "node 1 truncates committed entry N1 at offset 0"));
    // ELECTION.md flaw 3 (the node's old one-round reconciliation, seed 98) is no longer a deliberate flaw:
    // the simulation now runs the node's own LogReconciler, so there is no second copy to switch to.

    private RegressionSeeds()
    {
    }
}
