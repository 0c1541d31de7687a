package io.logship.node.election;

import io.logship.node.CommitRule;
import io.logship.node.follower.LogReconciler;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Random;

import static io.logship.node.election.Persistence.NONE;

/**
 * A whole cluster in one thread: N {@link ElectionState}s plus an in-memory model of the node's
 * replication protocol, driven by a seeded discrete-event scheduler. Everything random comes from one
 * {@link Random}, so a seed replays exactly.
 *
 * <p>Replication model (the node's protocol, with the node's own rules where they are pure code): a log of
 * {@link Entry}(epoch, writeId) per
 * node, a durable (fsync'd) prefix that survives crashes; a leader opens its epoch with a NOOP (its journal
 * appends it up to {@link Faults#maxEpochOpenDelayMs} late, and until then it answers no {@code EpochEndRequest}),
 * takes client writes, ships {@code Append{epoch, baseOffset, prevEpoch, entries, commit, sentAt}} to
 * followers that asked with {@code FetchFrom}; a follower that sees a new leader reconciles with
 * {@code EpochEndRequest/Response} (the leader's {@code EpochHistory.endOffsetFor} on its log; the cut is
 * decided by the node's real {@link LogReconciler}, round after round until the leader confirms the
 * follower's last epoch) before fetching, checks base offset and prevEpoch continuity on every append,
 * acks {@code (epoch, durable end, echoed sentAt)}; the leader computes the commit offset with the real
 * {@link CommitRule#commitOffset}, and every node runs the real {@link ElectionState}.
 *
 * <p>Invariants, checked as events happen; a breach throws {@link InvariantViolation}:
 * at most one leader per epoch; no node's epoch decreases; committed prefixes never diverge and a
 * committed entry is never truncated; every acknowledged quorum/all write is in every later leader's log
 * at its offset; a node acknowledges only while its lease holds, and no two nodes hold a lease at the
 * same instant; a two-node cluster never stands for election on its own; a pre-vote changes no persisted
 * state; and, in the "partitioned node returns" schedule ({@link #cutOffAndReturn}), no node stands while the
 * leader is live and connected to a majority.
 */
final class SimulatedCluster
{
    /** A breached invariant, with the seed. */
    static final class InvariantViolation extends RuntimeException
    {
        InvariantViolation(final String message)
        {
            super(message);
        }
    }

    /**
     * One log entry: the epoch that wrote it and the client write (or {@code -epoch} for a NOOP), or a configuration
     * change ({@code voters} not null, writeId 0): the voters from then on; every other node is a learner
     * (docs/DESIGN.md#membership). Equal entries carry equal voter sets, so the committed-prefix check also checks
     * that every node agrees on the member set of each committed configuration.
     */
    record Entry(int epoch, long writeId, java.util.Set<Integer> voters)
    {
        Entry(final int epoch, final long writeId)
        {
            this(epoch, writeId, null);
        }

        @Override
        public String toString()
        {
            return null != voters ? "C" + epoch + voters : writeId < 0 ? "N" + epoch : epoch + ":" + writeId;
        }
    }

    enum Level
    {
        LEADER, QUORUM, ALL
    }

    /** Knobs for one schedule, drawn from the seed. */
    static final class Faults
    {
        double lossProbability;
        double duplicateProbability;
        double lateProbability;
        long maxLateMs;
        long meanFaultIntervalMs;
        double crashWeight = 1;
        double partitionWeight = 1;
        double switchoverWeight = 0.2;
        /** Measure the lease from ack receipt instead of the echoed send time (the flaw the sim found). */
        boolean leaseFromReceipt;
        /**
         * The election state's write is durable up to this long after it was asked for (0: at once, as a
         * synchronous fsync); a crash before then loses it. Peer messages wait for it (SimNode#holding).
         */
        long maxPersistDelayMs;
        /** Chance that one write takes 100-300 ms instead (the disk's tail, measured: 301 ms). */
        double slowPersistProbability;
        /**
         * Skip the barrier: send peer messages while the state is not durable (the flaw the barrier prevents;
         * for the test that the simulation finds it).
         */
        boolean sendBeforeDurable;
        /**
         * The leader's opening NOOP lands in its log up to this long after the epoch is durable (0: at once): the
         * node's journal thread appends it, not the conductor, and a crash before then loses it. Meanwhile the
         * leader already sends heartbeats, so followers ask it where their epoch ended.
         */
        long maxEpochOpenDelayMs;
        /**
         * Answer an EpochEndRequest before the log holds the leader's own epoch (the flaw FeedbackAdapter
         * #onEpochEndRequest now refuses: a follower whose last epoch is newer than the leader's last log epoch
         * gets UNDEFINED and cuts back to its applied offset); for the test that the simulation finds it.
         */
        boolean answerBeforeEpochOpen;
        /**
         * Mean interval between membership changes the leader tries (0: none, and no random draw, so schedules
         * without it stay as they were): demote a voter to learner or promote a caught-up learner, one at a time
         * under rules 1 and 4 (docs/DESIGN.md#membership), never below three voters.
         */
        long meanMembershipChangeIntervalMs;
    }

    // ---- messages ------------------------------------------------------------------------------
    private interface Msg
    {
    }

    private record Heartbeat(int epoch, int leaderId, long commit, long logEnd, long sentAt) implements Msg
    {
    }

    private record Append(int epoch, int leaderId, long base, int prevEpoch, List<Entry> entries, long commit,
        long sentAt) implements Msg
    {
    }

    private record Ack(int epoch, int nodeId, long durableEnd, long echoedSentAt) implements Msg
    {
    }

    private record FetchFrom(int epoch, int nodeId, long offset, int lastEpoch) implements Msg
    {
    }

    private record Refuse(int currentEpoch, int leaderId, boolean logMismatch) implements Msg
    {
    }

    private record RequestVote(int epoch, int candidateId, int lastLogEpoch, long logEnd, int flags) implements Msg
    {
    }

    private record VoteMsg(int epoch, int voterId, int candidateId, int voterEpoch, boolean granted, boolean preVote)
        implements Msg
    {
    }

    private record EpochEndRequest(int epoch, int nodeId, int requestedEpoch) implements Msg
    {
    }

    private record EpochEndResponse(int epoch, int leaderId, int requestedEpoch, int foundEpoch, long endOffset)
        implements Msg
    {
    }

    private record Handover(int epoch, int leaderId) implements Msg
    {
    }

    /** A peer message waiting for the sender's election state to be durable. */
    private record Held(int to, Msg msg)
    {
    }

    // ---- scheduler -----------------------------------------------------------------------------
    private record Event(long timeMs, long seq, Runnable action)
    {
    }

    private final PriorityQueue<Event> queue = new PriorityQueue<>((a, b) ->
        a.timeMs != b.timeMs ? Long.compare(a.timeMs, b.timeMs) : Long.compare(a.seq, b.seq));
    private long seq;
    private long nowMs;

    final long seed;
    final Random random;
    final int size;
    final Faults faults;
    private final ElectionConfig baseConfig;
    private final SimNode[] nodes;
    private final boolean[][] linkDown;
    private final long[][] linkExtraDelayMs;
    private final boolean tracing;
    private final ArrayDeque<String> trace = new ArrayDeque<>();

    // ---- invariant state -----------------------------------------------------------------------
    private final Map<Integer, Integer> leaderOfEpoch = new HashMap<>();
    private final ArrayList<Entry> committedLog = new ArrayList<>();
    /** For each committed entry, the epoch in which it was first seen committed: its committing leader's. */
    private final ArrayList<Integer> commitEpochs = new ArrayList<>();
    private final Map<Long, long[]> acknowledged = new LinkedHashMap<>(); // writeId → {offset, level}
    private long nextWriteId = 1;
    private long watchFromMs = Long.MAX_VALUE;
    private long firstAckAtMs = -1;
    private int firstAckBy = NONE;
    private int adminDepth;
    /** Set by {@link #cutOffAndReturn}: from then on no node may stand while a live leader reaches a majority. */
    private boolean noElectionWhileLeaderConnected;
    long elections;
    long writesAcknowledged;
    long eventsRun;
    long forcedPromotions;
    long switchovers;
    long truncations;
    long leaseStepDowns;
    /** Vote requests sent before the candidacy was durable, and grants that came back before it was. */
    long requestsAhead;
    long grantsBeforeDurable;
    /** Configuration changes appended, and those cut again by a truncation (rule 3). */
    long membershipChanges;
    long membershipReverts;

    SimulatedCluster(final long seed, final int size, final Faults faults, final boolean tracing)
    {
        this.seed = seed;
        this.random = new Random(seed);
        this.size = size;
        this.faults = faults;
        this.tracing = tracing;
        final List<Integer> ids = new ArrayList<>();
        for (int id = 1; id <= size; id++)
        {
            ids.add(id);
        }
        final Map<Integer, Integer> priorities = new LinkedHashMap<>();
        for (final int id : ids)
        {
            priorities.put(id, random.nextInt(3)); // some ties, so the id tie-break is exercised
        }
        baseConfig = ElectionConfig.defaults(1, ids).withPriorities(priorities);
        nodes = new SimNode[size + 1];
        linkDown = new boolean[size + 1][size + 1];
        linkExtraDelayMs = new long[size + 1][size + 1];
        for (int id = 1; id <= size; id++)
        {
            nodes[id] = new SimNode(id);
            nodes[id].restart();
        }
    }

    long nowMs()
    {
        return nowMs;
    }

    String trace()
    {
        return String.join("\n", trace);
    }

    private void log(final String line)
    {
        if (tracing)
        {
            if (trace.size() == 400)
            {
                trace.removeFirst();
            }
            trace.addLast(String.format("%6d %s", nowMs, line));
        }
    }

    private void violation(final String message)
    {
        throw new InvariantViolation("seed " + seed + " (" + size + " nodes) at " + nowMs + " ms: " + message);
    }

    private void at(final long timeMs, final Runnable action)
    {
        queue.add(new Event(timeMs, seq++, action));
    }

    /** Runs events until {@code untilMs}. */
    void runUntil(final long untilMs)
    {
        while (!queue.isEmpty() && queue.peek().timeMs <= untilMs)
        {
            final Event event = queue.poll();
            nowMs = event.timeMs;
            eventsRun++;
            event.action.run();
            checkLeases();
        }
        nowMs = untilMs;
    }

    // ---- faults and clients ----------------------------------------------------------------------

    /** Schedules random faults, operator actions and client writes in [fromMs, untilMs). */
    void scheduleChaos(final long fromMs, final long untilMs)
    {
        scheduleClientWrites(fromMs, untilMs);
        if (faults.meanMembershipChangeIntervalMs > 0)
        {
            for (long t = fromMs + random.nextLong(faults.meanMembershipChangeIntervalMs);
                t < untilMs; t += 1 + random.nextLong(2 * faults.meanMembershipChangeIntervalMs))
            {
                at(t, this::membershipChange);
            }
        }
        for (long t = fromMs + random.nextLong(faults.meanFaultIntervalMs);
            t < untilMs; t += 1 + random.nextLong(2 * faults.meanFaultIntervalMs))
        {
            at(t, this::randomFault);
        }
    }

    /** Client writes at random levels, one every 1–25 ms, in [fromMs, untilMs). */
    void scheduleClientWrites(final long fromMs, final long untilMs)
    {
        for (long t = fromMs; t < untilMs; t += 1 + random.nextInt(25))
        {
            at(t, this::clientWrite);
        }
    }

    /** From {@code fromMs}, remember the first quorum write acknowledged (by any node) and by whom. */
    void watchFirstAcknowledgementFrom(final long fromMs)
    {
        watchFromMs = fromMs;
        firstAckAtMs = -1;
        firstAckBy = NONE;
    }

    long firstAckAtMs()
    {
        return firstAckAtMs;
    }

    int firstAckBy()
    {
        return firstAckBy;
    }

    SimNode node(final int id)
    {
        return nodes[id];
    }

    /** An operator's {@code logship promote target} sent to {@code receiver}. */
    AdminOutcome promote(final int receiver, final int target, final boolean forced)
    {
        adminDepth++;
        try
        {
            return nodes[receiver].election.promote(nowMs, target, forced);
        }
        finally
        {
            adminDepth--;
        }
    }

    /** Ends every fault: all nodes up, all links healed, no more loss, duplication or late delivery. */
    void healAll()
    {
        faults.lossProbability = 0;
        faults.duplicateProbability = 0;
        faults.lateProbability = 0;
        for (int a = 1; a <= size; a++)
        {
            for (int b = 1; b <= size; b++)
            {
                linkDown[a][b] = false;
                linkExtraDelayMs[a][b] = 0;
            }
            if (!nodes[a].up)
            {
                nodes[a].restart();
            }
        }
        log("heal all");
    }

    private void randomFault()
    {
        final double total = faults.crashWeight + faults.partitionWeight + faults.switchoverWeight + 0.6;
        double pick = random.nextDouble() * total;
        final SimNode leader = currentLeader();
        if ((pick -= faults.crashWeight) < 0)
        {
            final SimNode victim = null != leader && random.nextBoolean() ? leader : nodes[1 + random.nextInt(size)];
            if (victim.up)
            {
                victim.crash();
                final long downFor = 50 + random.nextInt(1500);
                at(nowMs + downFor, () -> { if (!victim.up) victim.restart(); });
            }
        }
        else if ((pick -= faults.partitionWeight) < 0)
        {
            final int kind = random.nextInt(4);
            if (kind == 0 && null != leader)
            {
                isolate(leader.id);
            }
            else if (kind == 3 && null != leader)
            {
                // The leader can no longer send, and what it receives crawls in: a congested one-way path.
                for (int other = 1; other <= size; other++)
                {
                    if (other != leader.id)
                    {
                        linkDown[leader.id][other] = true;
                        linkExtraDelayMs[other][leader.id] = 200 + random.nextInt(700);
                    }
                }
                log("leader " + leader.id + " cannot send; its inbound links are slow");
            }
            else if (kind == 1)
            {
                isolate(1 + random.nextInt(size));
            }
            else
            {
                for (int a = 1; a <= size; a++)
                {
                    for (int b = a + 1; b <= size; b++)
                    {
                        final int cut = random.nextInt(6);
                        if (cut == 0 || cut == 1)
                        {
                            linkDown[a][b] = linkDown[b][a] = true;
                        }
                        else if (cut == 2)
                        {
                            linkDown[a][b] = true; // one way only
                        }
                    }
                }
                log("random link cuts");
            }
            final long healAfter = 50 + random.nextInt(1500);
            at(nowMs + healAfter, this::healLinks);
        }
        else if ((pick -= faults.switchoverWeight) < 0)
        {
            if (null != leader)
            {
                final int target = 1 + random.nextInt(size);
                adminDepth++;
                final AdminOutcome outcome = leader.election.promote(nowMs, target, false);
                adminDepth--;
                switchovers += outcome.accepted() ? 1 : 0;
                log("admin: promote " + target + " on leader " + leader.id + " → " + outcome.message());
            }
        }
        else if (size == 2)
        {
            // The operator's only way out in a two-node cluster: force the survivor when nobody leads.
            boolean anyLeader = false;
            for (int id = 1; id <= size; id++)
            {
                anyLeader |= nodes[id].up && nodes[id].election.role() == ElectionRole.LEADER;
            }
            final SimNode target = nodes[1 + random.nextInt(size)];
            if (!anyLeader && target.up)
            {
                final SimNode other = nodes[3 - target.id];
                final boolean forced = !other.up;
                adminDepth++;
                final AdminOutcome outcome = target.election.promote(nowMs, target.id, forced);
                adminDepth--;
                forcedPromotions += forced && outcome.accepted() ? 1 : 0;
                log("admin: promote " + target.id + (forced ? " --force" : "") + " → " + outcome.message());
            }
        }
    }

    /** A two-node cluster has no leader until the operator promotes one. */
    void operatorPromote(final int id)
    {
        adminDepth++;
        final AdminOutcome outcome = nodes[id].election.promote(nowMs, id, false);
        adminDepth--;
        log("admin: promote " + id + " → " + outcome.message());
    }

    /**
     * The "partitioned node returns" schedule: from now, node {@code id} is cut off for {@code durationMs} (every
     * link down both ways), or paused as by SIGSTOP (no ticks; what is sent to it waits until it resumes), then
     * returns. From now on the invariant "no election while the leader is live and connected to a majority"
     * holds (checked whenever a node stands, see {@link SimNode#becomeCandidate}).
     */
    void cutOffAndReturn(final int id, final boolean pause, final long durationMs)
    {
        noElectionWhileLeaderConnected = true;
        if (pause)
        {
            nodes[id].pausedUntilMs = nowMs + durationMs;
            log("pause node " + id + " for " + durationMs + " ms");
        }
        else
        {
            isolate(id);
            at(nowMs + durationMs, this::healLinks);
        }
    }

    /** The leader holding its lease if it is live (not paused) and reaches a majority both ways, or null. */
    private SimNode leaderConnectedToAMajority()
    {
        final SimNode leader = leaderWithLease();
        if (null == leader || leader.paused())
        {
            return null;
        }
        int reached = 0;
        for (int id = 1; id <= size; id++)
        {
            final SimNode node = nodes[id];
            if (node.up && !node.paused() && (id == leader.id || (!linkDown[id][leader.id] && !linkDown[leader.id][id])))
            {
                reached++;
            }
        }
        return reached > size / 2 ? leader : null;
    }

    private void isolate(final int id)
    {
        for (int other = 1; other <= size; other++)
        {
            if (other != id)
            {
                linkDown[id][other] = linkDown[other][id] = true;
            }
        }
        log("isolate " + id);
    }

    private void healLinks()
    {
        for (int a = 1; a <= size; a++)
        {
            for (int b = 1; b <= size; b++)
            {
                linkDown[a][b] = false;
                linkExtraDelayMs[a][b] = 0;
            }
        }
        log("heal links");
    }

    private void clientWrite()
    {
        final List<SimNode> candidates = new ArrayList<>();
        for (int id = 1; id <= size; id++)
        {
            if (nodes[id].up && nodes[id].election.role() == ElectionRole.LEADER)
            {
                candidates.add(nodes[id]);
            }
        }
        if (candidates.isEmpty())
        {
            return;
        }
        final SimNode leader = candidates.get(random.nextInt(candidates.size()));
        final Level level = Level.values()[random.nextInt(3)];
        leader.takeWrite(nextWriteId++, level);
    }

    /**
     * The leader, if one holds its lease, appends one configuration change under the node's rules: nothing while its
     * epoch's NOOP or its previous change is uncommitted (rule 4), one voter more or less (rule 1), a learner promoted
     * only once it holds the leader's log, never the leader demoted, at least three voters.
     */
    private void membershipChange()
    {
        final SimNode leader = leaderWithLease();
        if (null == leader || leader.epochStartOffset < 0 || leader.commitOffset <= leader.epochStartOffset ||
            leader.configOffset >= leader.commitOffset)
        {
            return;
        }
        final java.util.TreeSet<Integer> next = new java.util.TreeSet<>(leader.voters);
        final List<Integer> learners = new ArrayList<>();
        for (int id = 1; id <= size; id++)
        {
            if (!next.contains(id) && leader.followerDurable[id] >= leader.log.size())
            {
                learners.add(id);
            }
        }
        if (!learners.isEmpty() && (next.size() <= 3 || random.nextBoolean()))
        {
            next.add(learners.get(random.nextInt(learners.size())));
        }
        else if (next.size() > 3)
        {
            final List<Integer> demotable = new ArrayList<>(next);
            demotable.remove(Integer.valueOf(leader.id));
            next.remove(demotable.get(random.nextInt(demotable.size())));
        }
        else
        {
            return;
        }
        leader.appendConfiguration(java.util.Collections.unmodifiableSortedSet(next));
    }

    SimNode currentLeader()
    {
        SimNode best = null;
        for (int id = 1; id <= size; id++)
        {
            final SimNode node = nodes[id];
            if (node.up && node.election.role() == ElectionRole.LEADER &&
                (null == best || node.election.epoch() > best.election.epoch()))
            {
                best = node;
            }
        }
        return best;
    }

    /** A leader holding its lease, if any (for liveness checks after healing). */
    SimNode leaderWithLease()
    {
        for (int id = 1; id <= size; id++)
        {
            if (nodes[id].up && nodes[id].election.canAcknowledge(nowMs))
            {
                return nodes[id];
            }
        }
        return null;
    }

    // ---- network -------------------------------------------------------------------------------

    private void send(final int from, final int to, final Msg msg)
    {
        final SimNode sender = nodes[from];
        if (!faults.sendBeforeDurable && sender.holding())
        {
            if (!sender.sendsAhead(msg))
            {
                sender.held.add(new Held(to, msg));
                return;
            }
            requestsAhead++;
        }
        if (!faults.sendBeforeDurable)
        {
            sender.checkDurable(msg); // with the flaw on, the invariants themselves must find what it breaks
        }
        if (linkDown[from][to] || random.nextDouble() < faults.lossProbability)
        {
            return;
        }
        final int copies = random.nextDouble() < faults.duplicateProbability ? 2 : 1;
        for (int i = 0; i < copies; i++)
        {
            long delay = 1 + random.nextInt(4) + linkExtraDelayMs[from][to];
            if (random.nextDouble() < faults.lateProbability)
            {
                delay += random.nextLong(faults.maxLateMs);
            }
            at(nowMs + delay, () -> deliver(from, to, msg));
        }
    }

    private void deliver(final int from, final int to, final Msg msg)
    {
        final SimNode node = nodes[to];
        if (node.up && node.paused())
        {
            at(node.pausedUntilMs, () -> deliver(from, to, msg)); // held in the receive buffers until it resumes
            return;
        }
        if (node.up && !linkDown[from][to])
        {
            node.onMessage(from, msg);
        }
    }

    // ---- invariants ----------------------------------------------------------------------------

    private void checkLeases()
    {
        int holder = 0;
        for (int id = 1; id <= size; id++)
        {
            final SimNode node = nodes[id];
            if (node.up && node.election.canAcknowledge(nowMs))
            {
                if (holder != 0)
                {
                    violation("nodes " + holder + " (epoch " + nodes[holder].election.epoch() + ") and " + id +
                        " (epoch " + node.election.epoch() + ") both hold a leader lease");
                }
                holder = id;
            }
        }
    }

    private void checkCommitted(final SimNode node, final long commitEnd)
    {
        if (commitEnd > node.log.size())
        {
            violation("node " + node.id + " commits to " + commitEnd + " beyond its log end " + node.log.size());
        }
        for (long o = node.checkedCommit; o < commitEnd; o++)
        {
            final Entry entry = node.log.get((int)o);
            if (o < committedLog.size())
            {
                if (!committedLog.get((int)o).equals(entry))
                {
                    violation("committed prefixes diverge at offset " + o + ": node " + node.id + " has " + entry +
                        ", committed earlier " + committedLog.get((int)o));
                }
            }
            else
            {
                committedLog.add(entry);
                commitEpochs.add(node.election.epoch());
            }
        }
        node.checkedCommit = Math.max(node.checkedCommit, commitEnd);
    }

    /**
     * Leader completeness, as Raft states it: a node elected for epoch E holds every entry committed in an epoch
     * below E (committed by that epoch's leader), and so every quorum write acknowledged then. Entries committed
     * in E or later are not its to hold: a candidate whose vote replies were delayed can win epoch E after a
     * majority moved on to E + 1 and committed there (older entries included, by the current-epoch rule); it is a
     * stale leader that the later epoch fences (its appends and its lease need that majority), not a loss.
     */
    private void checkNewLeaderHoldsAcknowledged(final SimNode leader)
    {
        final int leaderEpoch = leader.election.epoch();
        for (final Map.Entry<Long, long[]> acked : acknowledged.entrySet())
        {
            final long offset = acked.getValue()[0];
            if (acked.getValue()[1] == Level.LEADER.ordinal() ||
                (offset < commitEpochs.size() && commitEpochs.get((int)offset) >= leaderEpoch))
            {
                continue;
            }
            if (offset >= leader.log.size() || leader.log.get((int)offset).writeId() != acked.getKey())
            {
                violation("node " + leader.id + " leads epoch " + leader.election.epoch() + " without acknowledged " +
                    Level.values()[(int)acked.getValue()[1]] + " write " + acked.getKey() + " at offset " + offset +
                    " (has " + (offset < leader.log.size() ? leader.log.get((int)offset) : "nothing") + ")");
            }
        }
        for (int o = 0; o < committedLog.size() && commitEpochs.get(o) < leaderEpoch; o++)
        {
            if (o >= leader.log.size() || !leader.log.get(o).equals(committedLog.get(o)))
            {
                violation("node " + leader.id + " leads epoch " + leader.election.epoch() +
                    " without committed entry " + committedLog.get(o) + " at offset " + o);
            }
        }
    }

    /** Final checks once the run is over. */
    void checkEnd()
    {
        final SimNode leader = currentLeader();
        if (null != leader)
        {
            checkNewLeaderHoldsAcknowledged(leader);
        }
    }

    String summary()
    {
        final StringBuilder text = new StringBuilder();
        for (int id = 1; id <= size; id++)
        {
            final SimNode node = nodes[id];
            text.append("  ").append(node.up ? node.election.toString() : "node " + id + " DOWN")
                .append(node.up && node.election.role() == ElectionRole.LEADER ? " " +
                    node.election.describeLease(nowMs) : "").append(node.up ? " voters " + node.voters : "")
                .append(" log ").append(node.log.size()).append(" durable ").append(node.durable)
                .append(" committed ").append(node.checkedCommit).append('\n');
        }
        text.append("  committed log length ").append(committedLog.size()).append(", acknowledged writes ")
            .append(acknowledged.size());
        return text.toString();
    }

    // ---- one node ------------------------------------------------------------------------------

    enum FollowerState
    {
        AWAIT_LEADER, NEED_EPOCH_END, FETCHING
    }

    private record Pending(long writeId, long offset, Level level)
    {
    }

    final class SimNode implements Persistence, LogView, Outbox
    {
        final int id;
        // Durable across crashes.
        private Persistence.State persisted = Persistence.State.INITIAL;
        // Volatile: what the election asked to persist, and the peer messages waiting for it to be durable.
        private Persistence.State requested = Persistence.State.INITIAL;
        private long requestedTicket;
        private long durableTicket;
        private long lastDurableAtMs;
        private final ArrayList<Held> held = new ArrayList<>();
        /** Elected, but the epoch is not durable yet: its NOOP waits (the node's LogReplica#epochStartPending). */
        private boolean epochStartPending;
        /**
         * Durable across crashes: epochs in which this node's vote for itself was durable at some point, which is all
         * a leadership needs on disk (a restarted node never leads; who led is learnt again from heartbeats).
         */
        private final java.util.Set<Integer> durablyLed = new java.util.HashSet<>();
        final ArrayList<Entry> log = new ArrayList<>();
        long durable;
        private int maxEpochSeen;
        // Volatile.
        boolean up;
        /** Paused (SIGSTOP) until then: it neither ticks nor reads messages, and keeps every bit of state. */
        long pausedUntilMs = Long.MIN_VALUE;
        ElectionState election;
        private int incarnation;
        private int truncations;
        private long checkedCommit;
        private FollowerState followerState = FollowerState.AWAIT_LEADER;
        private long echo = -1;
        private long matchedEnd = -1;
        private long leaderCommit;
        private long lastFetchMs = Long.MIN_VALUE / 4;
        private long lastEpochEndMs = Long.MIN_VALUE / 4;
        private long epochStartOffset = -1;
        private long commitOffset;
        private long lastHeartbeatMs = Long.MIN_VALUE / 4;
        private final long[] followerDurable;
        private final long[] nextSend;
        /** The voters of the newest configuration in this node's log (all nodes before any change), and its offset. */
        java.util.Set<Integer> voters;
        long configOffset = -1;
        private final ArrayList<Pending> pending = new ArrayList<>();
        private final LogReconciler.LocalLog logView = new LogReconciler.LocalLog()
        {
            @Override
            public long startOffset()
            {
                return 0;
            }

            @Override
            public long endOffset()
            {
                return log.size();
            }

            @Override
            public int latestEpoch()
            {
                return lastLogEpoch();
            }

            @Override
            public long endOffsetOf(final int epoch)
            {
                return endOffsetFor(epoch)[1];
            }
        };

        SimNode(final int id)
        {
            this.id = id;
            followerDurable = new long[size + 1];
            nextSend = new long[size + 1];
        }

        // -- lifecycle --

        boolean paused()
        {
            return nowMs < pausedUntilMs;
        }

        void crash()
        {
            up = false;
            incarnation++;
            truncateTo(durable, false); // the un-fsynced tail is lost
            pending.clear();
            // A state write still in flight is lost with the messages waiting for it (incarnation fences its completion).
            requested = persisted;
            requestedTicket = durableTicket;
            maxEpochSeen = persisted.epoch(); // an epoch never made durable was never revealed either: forgotten
            held.clear();
            epochStartPending = false;
            log("CRASH node " + id + " (log " + log.size() + ")");
        }

        void restart()
        {
            up = true;
            incarnation++;
            checkedCommit = 0;
            followerState = FollowerState.AWAIT_LEADER;
            echo = -1;
            matchedEnd = -1;
            leaderCommit = 0;
            pending.clear();
            election = new ElectionState(baseConfigFor(id), this, this, this, new Random(random.nextLong()), nowMs);
            voters = new java.util.TreeSet<>(baseConfig.priorities().keySet());
            refreshConfiguration(); // what its log holds, as the node restores its membership file and log tail
            log("START node " + id + " " + election);
            scheduleTick(incarnation);
        }

        private void scheduleTick(final int forIncarnation)
        {
            at(nowMs + 5, () ->
            {
                if (up && incarnation == forIncarnation)
                {
                    if (!paused())
                    {
                        tick();
                    }
                    scheduleTick(forIncarnation);
                }
            });
        }

        private void tick()
        {
            election.onTick(nowMs);
            checkEpoch();
            if (election.role() == ElectionRole.LEADER)
            {
                if (nowMs - lastHeartbeatMs >= baseConfig.heartbeatIntervalMs())
                {
                    lastHeartbeatMs = nowMs;
                    for (int peer = 1; peer <= size; peer++)
                    {
                        if (peer != id)
                        {
                            send(id, peer, new Heartbeat(election.epoch(), id, commitOffset, log.size(), nowMs));
                        }
                    }
                }
                replicate();
                acknowledgeWrites();
            }
        }

        private void checkEpoch()
        {
            if (election.epoch() < maxEpochSeen)
            {
                violation("node " + id + " went back from epoch " + maxEpochSeen + " to " + election.epoch());
            }
            maxEpochSeen = election.epoch();
        }

        // -- Persistence / LogView --

        @Override
        public Persistence.State read()
        {
            return persisted;
        }

        @Override
        public boolean isDurable()
        {
            return durableTicket == requestedTicket;
        }

        @Override
        public void write(final Persistence.State state)
        {
            if (state.epoch() < requested.epoch())
            {
                violation("node " + id + " persists epoch " + state.epoch() + " below " + requested.epoch());
            }
            if (state.epoch() == requested.epoch() && requested.votedFor() != NONE &&
                state.votedFor() != requested.votedFor())
            {
                violation("node " + id + " changes its vote in epoch " + state.epoch() + " from " +
                    requested.votedFor() + " to " + state.votedFor());
            }
            requested = state;
            final long ticket = ++requestedTicket;
            if (faults.maxPersistDelayMs == 0)
            {
                onDurable(state, ticket);
                return;
            }
            final long delayMs = random.nextDouble() < faults.slowPersistProbability ? 100 + random.nextInt(201) :
                random.nextLong(faults.maxPersistDelayMs + 1);
            // One persister thread: writes become durable in the order they were asked for.
            lastDurableAtMs = Math.max(lastDurableAtMs, nowMs + delayMs);
            final int forIncarnation = incarnation;
            at(lastDurableAtMs, () ->
            {
                if (incarnation == forIncarnation)
                {
                    onDurable(state, ticket);
                }
            });
        }

        private void onDurable(final Persistence.State state, final long ticket)
        {
            persisted = state;
            durableTicket = ticket;
            if (state.votedFor() == id)
            {
                durablyLed.add(state.epoch()); // a leader's durable claim is its vote for itself in the epoch
            }
            if (durableTicket != requestedTicket)
            {
                return;
            }
            if (epochStartPending && election.role() == ElectionRole.LEADER)
            {
                epochStartPending = false;
                // Before the held heartbeats when at once; with a journal delay, followers ask before it lands.
                openEpochSoon(election.epoch());
            }
            if (!held.isEmpty())
            {
                final List<Held> release = List.copyOf(held);
                held.clear();
                for (final Held message : release)
                {
                    send(id, message.to(), message.msg());
                }
            }
        }

        /**
         * The node's PeerPublishers#offerVoteRequest: a real candidacy's request leaves at once if nothing is held and
         * the only state not durable is that candidacy (docs/DESIGN.md#candidacy-in-parallel).
         */
        boolean sendsAhead(final Msg msg)
        {
            return msg instanceof RequestVote request && (request.flags & ElectionState.FLAG_PRE_VOTE) == 0 &&
                held.isEmpty() && requested.epoch() == request.epoch && requested.votedFor() == id;
        }

        /** Whether peer messages wait: a requested state is not durable yet, or older ones still wait. */
        boolean holding()
        {
            return durableTicket != requestedTicket || !held.isEmpty();
        }

        /** What reaches the network must reveal no epoch, vote or leadership that a crash could still undo. */
        void checkDurable(final Msg msg)
        {
            final int revealed;
            if (msg instanceof RequestVote request)
            {
                if ((request.flags & ElectionState.FLAG_PRE_VOTE) != 0)
                {
                    return; // asks about an epoch nobody persists
                }
                // Durable, or overtaken by a durable higher epoch: then this node never votes in that epoch again.
                // Or the last state requested, sent ahead of the barrier (docs/DESIGN.md#candidacy-in-parallel).
                if ((persisted.epoch() < request.epoch || (persisted.epoch() == request.epoch &&
                    persisted.votedFor() != id)) && !(requested.epoch() == request.epoch && requested.votedFor() == id))
                {
                    violation("node " + id + " asks for votes in epoch " + request.epoch + " but has persisted " +
                        persisted);
                }
                return;
            }
            else if (msg instanceof VoteMsg vote)
            {
                if (vote.granted && !vote.preVote && (persisted.epoch() < vote.epoch ||
                    (persisted.epoch() == vote.epoch && persisted.votedFor() != vote.candidateId)))
                {
                    violation("node " + id + " sends its vote for " + vote.candidateId + " in epoch " + vote.epoch +
                        " but has persisted " + persisted);
                }
                revealed = vote.voterEpoch;
            }
            else if (msg instanceof Heartbeat heartbeat)
            {
                revealed = leadership(heartbeat.epoch);
            }
            else if (msg instanceof Append append)
            {
                revealed = leadership(append.epoch);
            }
            else if (msg instanceof Handover handover)
            {
                revealed = leadership(handover.epoch);
            }
            else if (msg instanceof EpochEndResponse response)
            {
                revealed = leadership(response.epoch);
            }
            else if (msg instanceof Ack ack)
            {
                revealed = ack.epoch;
            }
            else if (msg instanceof FetchFrom fetch)
            {
                revealed = fetch.epoch;
            }
            else if (msg instanceof Refuse refuse)
            {
                revealed = refuse.currentEpoch;
            }
            else if (msg instanceof EpochEndRequest request)
            {
                revealed = request.epoch;
            }
            else
            {
                return;
            }
            if (revealed > persisted.epoch())
            {
                violation("node " + id + " sends " + msg + " revealing epoch " + revealed + " but has persisted " +
                    persisted);
            }
        }

        private int leadership(final int epoch)
        {
            if (!durablyLed.contains(epoch))
            {
                violation("node " + id + " acts as leader of epoch " + epoch + " but has persisted " + persisted);
            }
            return epoch;
        }

        @Override
        public int lastLogEpoch()
        {
            return log.isEmpty() ? -1 : log.get(log.size() - 1).epoch();
        }

        @Override
        public long logEndOffset()
        {
            return log.size();
        }

        // -- Outbox --

        @Override
        public void sendRequestVote(final int to, final int epoch, final int lastLogEpoch, final long logEndOffset,
            final int flags)
        {
            if ((flags & ElectionState.FLAG_PRE_VOTE) != 0)
            {
                if (epoch <= requested.epoch())
                {
                    violation("node " + id + " asks a pre-vote for epoch " + epoch + ", not above its own " +
                        requested.epoch());
                }
            }
            else if (requested.epoch() != epoch || requested.votedFor() != id)
            {
                violation("node " + id + " asks for votes in epoch " + epoch + " before persisting its own vote");
            }
            send(id, to, new RequestVote(epoch, id, lastLogEpoch, logEndOffset, flags));
        }

        @Override
        public void sendVote(final int to, final int epoch, final int candidateId, final int voterEpoch,
            final boolean granted, final boolean preVote)
        {
            if (granted && !preVote && (requested.epoch() != epoch || requested.votedFor() != candidateId))
            {
                violation("node " + id + " grants epoch " + epoch + " to " + candidateId + " before persisting it");
            }
            log("node " + id + (granted ? " grants " : " denies ") + candidateId + (preVote ? " pre-vote" : "") +
                " epoch " + epoch);
            send(id, to, new VoteMsg(epoch, id, candidateId, voterEpoch, granted, preVote));
        }

        @Override
        public void sendHandover(final int to, final int epoch)
        {
            log("node " + id + " hands epoch " + epoch + " over to " + to);
            send(id, to, new Handover(epoch, id));
        }

        @Override
        public void becomeCandidate(final int epoch)
        {
            elections++;
            if (size == 2 && adminDepth == 0)
            {
                violation("two-node cluster: node " + id + " stood for epoch " + epoch + " without an operator");
            }
            final SimNode liveLeader = noElectionWhileLeaderConnected ? leaderConnectedToAMajority() : null;
            if (null != liveLeader)
            {
                violation("node " + id + " stands for epoch " + epoch + " while leader " + liveLeader.id + " of epoch " +
                    liveLeader.election.epoch() + " is live and connected to a majority");
            }
            log("node " + id + " stands for epoch " + epoch + " (log " + lastLogEpoch() + "/" + log.size() + ")");
        }

        @Override
        public void becomeLeader(final int epoch)
        {
            final Integer previous = leaderOfEpoch.putIfAbsent(epoch, id);
            if (null != previous && previous != id)
            {
                violation("two leaders in epoch " + epoch + ": nodes " + previous + " and " + id);
            }
            if (requested.epoch() != epoch || requested.votedFor() != id)
            {
                violation("node " + id + " leads epoch " + epoch + " before persisting it");
            }
            if (size > 2 && !isDurable())
            {
                // Its requests may have left before its vote for itself was durable: that vote counts only from then.
                violation("node " + id + " leads epoch " + epoch + " before its vote for itself is durable");
            }
            log("LEADER node " + id + " epoch " + epoch + " log " + log);
            // Also after a forced promotion: in this harness one is only made in a two-node cluster whose
            // other node is down, and there every quorum write is on both nodes.
            checkNewLeaderHoldsAcknowledged(this);
            epochStartPending = !faults.sendBeforeDurable && holding();
            epochStartOffset = -1; // no write before the NOOP (a crashed leader's offset would otherwise linger)
            if (!epochStartPending)
            {
                openEpochSoon(epoch);
            }
            commitOffset = checkedCommit;
            lastHeartbeatMs = Long.MIN_VALUE / 4;
            for (int peer = 1; peer <= size; peer++)
            {
                followerDurable[peer] = -1;
                nextSend[peer] = -1;
            }
            pending.clear();
        }

        @Override
        public void becomeFollower(final int epoch, final int leaderId)
        {
            followerState = FollowerState.AWAIT_LEADER;
            echo = -1;
            matchedEnd = -1;
            leaderCommit = 0;
            epochStartOffset = -1;
            epochStartPending = false;
            pending.clear();
        }

        @Override
        public void stepDown(final int epoch, final String reason)
        {
            log("node " + id + " steps down from epoch " + epoch + ": " + reason);
            leaseStepDowns += reason.startsWith("lease expired") ? 1 : 0;
            pending.clear();
        }

        @Override
        public void stopWrites(final int epoch, final String reason)
        {
            log("node " + id + " stops writes: " + reason);
        }

        @Override
        public void resumeWrites(final int epoch, final String reason)
        {
            log("node " + id + " resumes writes: " + reason);
        }

        // -- log --

        private void scheduleFsync()
        {
            final int forIncarnation = incarnation;
            final int forTruncations = truncations;
            final long target = log.size();
            at(nowMs + 1 + random.nextInt(4), () ->
            {
                if (up && incarnation == forIncarnation && truncations == forTruncations && target > durable)
                {
                    durable = Math.min(target, log.size());
                    onDurable();
                }
            });
        }

        private void onDurable()
        {
            if (election.role() == ElectionRole.LEADER)
            {
                updateCommit();
                acknowledgeWrites();
            }
            else if (followerState == FollowerState.FETCHING)
            {
                sendAck();
            }
        }

        private void truncateTo(final long end, final boolean checkCommitted)
        {
            if (end >= log.size())
            {
                return;
            }
            if (checkCommitted && end < checkedCommit)
            {
                violation("node " + id + " truncates committed entries: to " + end + " below commit " + checkedCommit);
            }
            for (long o = end; checkCommitted && o < Math.min(log.size(), committedLog.size()); o++)
            {
                if (log.get((int)o).equals(committedLog.get((int)o)))
                {
                    violation("node " + id + " truncates committed entry " + log.get((int)o) + " at offset " + o);
                }
            }
            log("node " + id + " truncates " + log.size() + " → " + end);
            if (checkCommitted)
            {
                SimulatedCluster.this.truncations++;
            }
            log.subList((int)end, log.size()).clear();
            durable = Math.min(durable, end);
            truncations++;
            if (up)
            {
                refreshConfiguration(); // rule 3: a cut change record no longer counts
            }
        }

        /** The leader appends a configuration change: in effect on append (rule 2), counted from its own record on. */
        void appendConfiguration(final java.util.Set<Integer> next)
        {
            log("node " + id + " appends configuration " + next + " at offset " + log.size() + " (was " + voters + ")");
            log.add(new Entry(election.epoch(), 0, next));
            membershipChanges++;
            refreshConfiguration();
            scheduleFsync();
            replicate();
        }

        /** Takes the newest configuration of the log into the election when it changed (effective on append). */
        private void refreshConfiguration()
        {
            java.util.Set<Integer> newest = null;
            long offset = -1;
            for (int o = log.size() - 1; o >= 0 && null == newest; o--)
            {
                if (null != log.get(o).voters())
                {
                    newest = log.get(o).voters();
                    offset = o;
                }
            }
            if (null == newest)
            {
                newest = baseConfig.priorities().keySet();
            }
            if (offset < configOffset)
            {
                membershipReverts++;
            }
            configOffset = offset;
            if (!newest.equals(voters))
            {
                voters = new java.util.TreeSet<>(newest); // sorted: Set.copyOf's order differs per JVM
                final Map<Integer, Integer> priorities = new LinkedHashMap<>();
                for (final int voter : voters)
                {
                    priorities.put(voter, baseConfig.priorities().get(voter));
                }
                election.reconfigure(nowMs, baseConfigFor(id).withPriorities(priorities));
            }
        }

        private int epochAt(final long offset)
        {
            return offset < 0 || offset >= log.size() ? -1 : log.get((int)offset).epoch();
        }

        /** {@code EpochHistory.endOffsetFor} semantics over this log: {epoch found, end offset} or {-1, -1}. */
        private long[] endOffsetFor(final int epoch)
        {
            if (log.isEmpty() || epoch > lastLogEpoch())
            {
                return new long[] {-1, -1};
            }
            if (epoch == lastLogEpoch())
            {
                return new long[] {epoch, log.size()};
            }
            for (int o = log.size() - 1; o >= 0; o--)
            {
                if (log.get(o).epoch() <= epoch)
                {
                    return new long[] {log.get(o).epoch(), o + 1};
                }
            }
            return new long[] {-1, -1};
        }

        // -- leader --

        /**
         * Hands the NOOP to the journal: appended at once, or after a random delay of up to
         * {@link Faults#maxEpochOpenDelayMs} if this node still leads {@code epoch} then (a crash loses it).
         */
        private void openEpochSoon(final int epoch)
        {
            if (faults.maxEpochOpenDelayMs == 0)
            {
                openEpoch(epoch); // no random draw: schedules without the knob stay as they were
                return;
            }
            final int forIncarnation = incarnation;
            at(nowMs + random.nextLong(faults.maxEpochOpenDelayMs + 1), () ->
            {
                if (up && incarnation == forIncarnation && election.role() == ElectionRole.LEADER &&
                    election.epoch() == epoch && epochStartOffset < 0)
                {
                    openEpoch(epoch);
                }
            });
        }

        /** The NOOP that opens a new leader's epoch: only once the epoch is durable in its election state. */
        private void openEpoch(final int epoch)
        {
            log("node " + id + " opens epoch " + epoch + " at offset " + log.size() + " (node-state " + persisted + ")");
            epochStartOffset = log.size();
            log.add(new Entry(epoch, -epoch));
            scheduleFsync();
        }

        void takeWrite(final long writeId, final Level level)
        {
            if (!election.acceptsWrites(nowMs) || epochStartOffset < 0)
            {
                return;
            }
            final long offset = log.size();
            log.add(new Entry(election.epoch(), writeId));
            pending.add(new Pending(writeId, offset, level));
            scheduleFsync();
            replicate();
        }

        private void replicate()
        {
            for (int peer = 1; peer <= size; peer++)
            {
                if (peer != id && nextSend[peer] >= 0 && nextSend[peer] < log.size())
                {
                    sendAppend(peer, nextSend[peer]);
                }
            }
        }

        private void sendAppend(final int peer, final long base)
        {
            final long end = Math.min(log.size(), base + 8);
            send(id, peer, new Append(election.epoch(), id, base, epochAt(base - 1),
                List.copyOf(log.subList((int)base, (int)end)), commitOffset, nowMs));
            nextSend[peer] = end;
        }

        private void updateCommit()
        {
            final long[] ends = new long[size];
            int n = 0;
            if (voters.contains(id))
            {
                ends[n++] = durable;
            }
            for (int peer = 1; peer <= size; peer++)
            {
                if (peer != id && voters.contains(peer)) // learners ack but count in no majority
                {
                    ends[n++] = followerDurable[peer];
                }
            }
            final long newCommit = CommitRule.commitOffset(ends, n, epochStartOffset, commitOffset);
            if (newCommit > commitOffset)
            {
                commitOffset = newCommit;
                checkCommitted(this, commitOffset);
            }
        }

        private void acknowledgeWrites()
        {
            if (pending.isEmpty() || !election.canAcknowledge(nowMs))
            {
                return;
            }
            long minDurable = durable;
            for (int peer = 1; peer <= size; peer++)
            {
                if (peer != id && voters.contains(peer)) // ALL: every voter
                {
                    minDurable = Math.min(minDurable, followerDurable[peer]);
                }
            }
            for (int i = pending.size() - 1; i >= 0; i--)
            {
                final Pending write = pending.get(i);
                final boolean done = switch (write.level)
                {
                    case LEADER -> durable > write.offset;
                    case QUORUM -> commitOffset > write.offset;
                    case ALL -> minDurable > write.offset;
                };
                if (done)
                {
                    if (write.level == Level.QUORUM && (write.offset >= committedLog.size() ||
                        committedLog.get((int)write.offset).writeId() != write.writeId))
                    {
                        violation("quorum write " + write.writeId + " acknowledged but not committed at " + write.offset);
                    }
                    acknowledged.put(write.writeId, new long[] {write.offset, write.level.ordinal()});
                    if (nowMs >= watchFromMs && firstAckAtMs < 0 && write.level == Level.QUORUM)
                    {
                        firstAckAtMs = nowMs;
                        firstAckBy = id;
                    }
                    writesAcknowledged++;
                    pending.remove(i);
                }
            }
        }

        // -- messages --

        void onMessage(final int from, final Msg msg)
        {
            if (msg instanceof Heartbeat hb)
            {
                if (contact(from, hb.epoch, hb.leaderId, hb.sentAt))
                {
                    if (followerState == FollowerState.FETCHING)
                    {
                        leaderCommit = Math.max(leaderCommit, hb.commit);
                        if ((log.size() < hb.logEnd || matchedEnd < 0) && nowMs - lastFetchMs >= 100)
                        {
                            requestFetch();
                        }
                        followerCommit();
                    }
                    sendAck();
                }
            }
            else if (msg instanceof Append append)
            {
                if (contact(from, append.epoch, append.leaderId, append.sentAt))
                {
                    if (followerState == FollowerState.FETCHING)
                    {
                        onAppend(append);
                    }
                    sendAck();
                }
            }
            else if (msg instanceof Ack ack)
            {
                final long echoed = faults.leaseFromReceipt ? nowMs : ack.echoedSentAt;
                election.onFollowerAck(nowMs, ack.nodeId, ack.epoch, echoed, ack.durableEnd);
                if (election.role() == ElectionRole.LEADER && ack.epoch == election.epoch())
                {
                    followerDurable[ack.nodeId] = ack.durableEnd;
                    updateCommit();
                    acknowledgeWrites();
                }
            }
            else if (msg instanceof FetchFrom fetch)
            {
                onFetchFrom(fetch);
            }
            else if (msg instanceof Refuse refuse)
            {
                if (refuse.logMismatch && refuse.currentEpoch == election.epoch() &&
                    followerState == FollowerState.FETCHING)
                {
                    followerState = FollowerState.NEED_EPOCH_END;
                    matchedEnd = -1;
                    requestEpochEnd();
                }
                else
                {
                    election.onHigherEpochSeen(nowMs, refuse.currentEpoch, refuse.leaderId);
                }
            }
            else if (msg instanceof RequestVote request)
            {
                final Persistence.State before = requested;
                election.onRequestVote(nowMs, request.candidateId, request.epoch, request.lastLogEpoch,
                    request.logEnd, request.flags);
                if ((request.flags & ElectionState.FLAG_PRE_VOTE) != 0 && !before.equals(requested))
                {
                    violation("node " + id + " persisted " + requested + " (was " + before + ") answering a " +
                        "pre-vote of node " + request.candidateId + " for epoch " + request.epoch);
                }
            }
            else if (msg instanceof VoteMsg vote)
            {
                if (vote.preVote)
                {
                    election.onPreVote(nowMs, vote.voterId, vote.epoch, vote.granted, vote.voterEpoch);
                }
                else
                {
                    if (vote.granted && !isDurable())
                    {
                        grantsBeforeDurable++;
                    }
                    election.onVote(nowMs, vote.voterId, vote.epoch, vote.granted, vote.voterEpoch);
                }
            }
            else if (msg instanceof EpochEndRequest request)
            {
                if (election.role() == ElectionRole.LEADER && request.epoch == election.epoch())
                {
                    if (lastLogEpoch() != election.epoch() && !faults.answerBeforeEpochOpen)
                    {
                        // As FeedbackAdapter#onEpochEndRequest: no answer before the NOOP. The node keeps the
                        // question and answers once the NOOP is appended; dropping it here, the follower asks
                        // again later, which covers the same orders (an answer at any time after the NOOP).
                        return;
                    }
                    final long[] end = endOffsetFor(request.requestedEpoch);
                    send(id, request.nodeId, new EpochEndResponse(election.epoch(), id, request.requestedEpoch, (int)end[0],
                        end[1]));
                }
                else if (request.epoch < election.epoch())
                {
                    send(id, request.nodeId, new Refuse(election.epoch(), election.leaderId(), false));
                }
            }
            else if (msg instanceof EpochEndResponse response)
            {
                onEpochEndResponse(response);
            }
            else if (msg instanceof Handover handover)
            {
                adminDepth++;
                election.onHandover(nowMs, handover.leaderId, handover.epoch);
                adminDepth--;
            }
            checkEpoch();
        }

        /** Epoch check for a leader's message; false if it was refused. */
        private boolean contact(final int from, final int epoch, final int leaderId, final long sentAt)
        {
            if (election.onLeaderContact(nowMs, epoch, leaderId) == LeaderContact.REFUSED)
            {
                send(id, from, new Refuse(election.epoch(), election.leaderId(), false));
                return false;
            }
            checkEpoch();
            echo = Math.max(echo, sentAt);
            if (followerState == FollowerState.AWAIT_LEADER)
            {
                followerState = FollowerState.NEED_EPOCH_END;
                requestEpochEnd();
            }
            else if (followerState == FollowerState.NEED_EPOCH_END && nowMs - lastEpochEndMs >= 100)
            {
                requestEpochEnd();
            }
            return true;
        }

        private void requestEpochEnd()
        {
            lastEpochEndMs = nowMs;
            if (log.isEmpty())
            {
                followerState = FollowerState.FETCHING;
                requestFetch();
                return;
            }
            send(id, election.leaderId(), new EpochEndRequest(election.epoch(), id, lastLogEpoch()));
        }

        private void onEpochEndResponse(final EpochEndResponse response)
        {
            if (followerState != FollowerState.NEED_EPOCH_END || response.leaderId != election.leaderId() ||
                response.epoch != election.epoch() || election.role() != ElectionRole.FOLLOWER)
            {
                return;
            }
            if (response.requestedEpoch != lastLogEpoch())
            {
                // An answer to an earlier question (a resent or pre-crash request, asked when our log
                // ended in another epoch): acting on it can cut committed entries.
                return;
            }
            final int ourLatest = lastLogEpoch();
            // What this node counted as committed stands in for the node's applied offset.
            final long target = LogReconciler.cutOffset(logView, checkedCommit, response.foundEpoch,
                response.endOffset, response.epoch);
            truncateTo(target, true);
            if (LogReconciler.isReconciled(response.foundEpoch, ourLatest, lastLogEpoch()))
            {
                followerState = FollowerState.FETCHING;
                requestFetch();
            }
            else
            {
                requestEpochEnd(); // next round: ask about the epoch this log now ends with
            }
        }

        private void requestFetch()
        {
            lastFetchMs = nowMs;
            send(id, election.leaderId(), new FetchFrom(election.epoch(), id, log.size(), lastLogEpoch()));
        }

        private void onFetchFrom(final FetchFrom fetch)
        {
            if (election.role() != ElectionRole.LEADER)
            {
                return;
            }
            if (fetch.epoch < election.epoch())
            {
                send(id, fetch.nodeId, new Refuse(election.epoch(), id, false));
                return;
            }
            if (fetch.epoch > election.epoch())
            {
                return;
            }
            if (fetch.offset > log.size() || (fetch.offset > 0 && epochAt(fetch.offset - 1) != fetch.lastEpoch))
            {
                send(id, fetch.nodeId, new Refuse(election.epoch(), id, true));
                return;
            }
            sendAppend(fetch.nodeId, fetch.offset); // may be empty: it confirms the follower matches up to there
        }

        private void onAppend(final Append append)
        {
            final long end = append.base + append.entries.size();
            if (append.base > log.size() || (append.base < log.size() && end > log.size()))
            {
                if (nowMs - lastFetchMs >= 20)
                {
                    requestFetch(); // a gap, or an overlap with what we have: ask from our end
                }
                return;
            }
            if (append.base < log.size())
            {
                return; // old news (duplicate or reordered)
            }
            if (epochAt(append.base - 1) != append.prevEpoch)
            {
                followerState = FollowerState.NEED_EPOCH_END;
                matchedEnd = -1;
                requestEpochEnd();
                return;
            }
            log.addAll(append.entries);
            refreshConfiguration(); // rule 2: in effect on append
            matchedEnd = end;
            if (!append.entries.isEmpty())
            {
                scheduleFsync();
            }
            leaderCommit = Math.max(leaderCommit, append.commit);
            followerCommit();
        }

        private void followerCommit()
        {
            final long commit = Math.min(leaderCommit, matchedEnd);
            if (commit > checkedCommit)
            {
                checkCommitted(this, commit);
            }
        }

        private void sendAck()
        {
            if (election.leaderId() == NONE || election.role() != ElectionRole.FOLLOWER)
            {
                return;
            }
            final long reported = followerState != FollowerState.FETCHING ? -1 : Math.min(durable, matchedEnd);
            send(id, election.leaderId(), new Ack(election.epoch(), id, reported, echo));
        }
    }

    private ElectionConfig baseConfigFor(final int id)
    {
        return new ElectionConfig(id, baseConfig.priorities(), baseConfig.heartbeatIntervalMs(),
            baseConfig.leaseTimeoutMs(), baseConfig.electionTimeoutMs(), baseConfig.electionJitterMs(),
            baseConfig.candidacyStepMs(), baseConfig.backoffMinMs(), baseConfig.backoffMaxMs(),
            baseConfig.voteRoundTimeoutMs(), baseConfig.handoverTimeoutMs(), true);
    }
}
