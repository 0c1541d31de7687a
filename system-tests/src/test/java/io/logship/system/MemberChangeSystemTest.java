package io.logship.system;

import io.logship.client.ClusterMembers;
import io.logship.client.LogshipClient;
import io.logship.client.LogshipClientException;
import io.logship.client.MemberChange;
import io.logship.client.MemberChangeResult;
import io.logship.client.MemberStatus;
import io.logship.client.WriteResult;
import io.logship.system.harness.AckedWrites;
import io.logship.system.harness.AdminCliProcess;
import io.logship.system.harness.Json;
import io.logship.system.harness.Poll;
import io.logship.system.harness.SystemTestWatcher;
import io.logship.system.harness.TestCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Run-time membership changes with real processes and the operator's commands (docs/DESIGN.md#membership,
 * MEMBERSHIP contract): a cluster grows 3 to 5 through learners under QUORUM load and shrinks back (the removed nodes
 * exit with code 4); with a voter killed, removing the leader or another voter is refused with the rule and nothing
 * changes, and {@code member replace} swaps the killed node for a new id and address; the leader dies during a change
 * and the nodes still converge on one configuration with one leader per epoch. No acknowledged write is lost: every
 * one is checked against every remaining node's whole committed log. Three clusters in all, to keep the suite short.
 */
class MemberChangeSystemTest
{
    private static final Duration CLI_TIMEOUT = Duration.ofSeconds(90);
    private static final Duration CONVERGE_TIMEOUT = Duration.ofSeconds(30);
    private static final int CAPACITY = 200_000;
    private static final int WRITES_PER_STEP = 25;
    private static final long STEP_MS = 20;

    @RegisterExtension
    final SystemTestWatcher watcher = new SystemTestWatcher();

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void shouldGrowThreeToFiveThroughLearnersAndShrinkBackUnderLoadLosingNoAcknowledgedWrite() throws Exception
    {
        final TestCluster cluster = watcher.cluster(5).joining(4, 5).start(1, 2, 3);
        cluster.expectErrors((line) -> line.contains("was removed from the cluster"));
        final AckedWrites writes = new AckedWrites("grow", CAPACITY);
        try (Load load = new Load(cluster, writes))
        {
            load.awaitAcked(300);
            for (final int id : List.of(4, 5))
            {
                cluster.node(id).start();
                final AdminCliProcess.Result added = member(cluster, "add", cluster.memberEntry(id), "--learner", "--json");
                assertThat(added.exitCode()).as("%s", added).isZero();
                final Json addedJson = Json.parse(added.stdout(), "member add --json");
                assertThat(addedJson.getString("status")).isEqualTo("OK");
                assertThat(addedJson.getLong("configurationOffset")).isPositive();
                awaitCaughtUpLearner(cluster, id);
                final AdminCliProcess.Result promoted = member(cluster, "promote", Integer.toString(id));
                assertThat(promoted.exitCode()).as("%s", promoted).isZero();
                assertThat(promoted.stdout()).as("%s", promoted).contains("node " + id + " is a voter");
                load.awaitAcked(writes.ackedCount() + 200);
            }
            awaitMembersOnEveryNode(cluster, "1 voter, 2 voter, 3 voter, 4 voter, 5 voter");

            final int leader = cluster.leaderId();
            for (final int id : List.of(5, 4))
            {
                assertThat(id).as("the test removes followers").isNotEqualTo(leader);
                final AdminCliProcess.Result removed = member(cluster, "remove", Integer.toString(id));
                assertThat(removed.exitCode()).as("%s", removed).isZero();
                awaitRemovedExit(cluster, id);
                load.awaitAcked(writes.ackedCount() + 200);
            }
        }
        assertThat(writes.failedCount()).as("failed writes, first: %s", writes.firstFailure()).isZero();
        awaitMembersOnEveryNode(cluster, "1 voter, 2 voter, 3 voter");
        assertThat(cluster.runningNodeIds()).containsExactly(1, 2, 3);
        writes.assertExactlyOnceOnEveryNode(cluster, writes.issued());
        assertVerifyPasses(cluster);
        final List<Json> listed = Json.parseLines(member(cluster, "list", "--json").stdout(), "member list --json");
        assertThat(listed).extracting((m) -> m.getInt("id")).containsExactly(1, 2, 3);
    }

    /**
     * A voter is SIGKILLed in a cluster of three under load. Removing the leader, or removing the other follower (the
     * voters left would not be a majority), is refused with the leader's rule and nothing changes; then {@code member
     * replace} swaps the killed node for a new id and address without a write failing.
     */
    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void shouldRefuseChangesThatLoseTheMajorityThenReplaceAKilledNodeUnderLoadWithoutFailingAWrite() throws Exception
    {
        final TestCluster cluster = watcher.cluster(4).joining(4).start(1, 2, 3);
        final AckedWrites writes = new AckedWrites("replace", CAPACITY);
        final int leader = cluster.leaderId();
        final List<Integer> followers = List.of(1, 2, 3).stream().filter((id) -> id != leader).toList();
        final int old = followers.get(0);
        try (Load load = new Load(cluster, writes))
        {
            load.awaitAcked(300);
            final AdminCliProcess.Result removeLeader = member(cluster, "remove", Integer.toString(leader));
            assertThat(removeLeader.exitCode()).as("%s", removeLeader).isEqualTo(1);
            assertThat(removeLeader.stderr().strip().lines()).as("one line: %s", removeLeader).hasSize(1);
            assertThat(removeLeader.stderr()).as("%s", removeLeader).contains("INVALID").containsIgnoringCase("leader");

            cluster.node(old).kill9();
            final AdminCliProcess.Result noMajority = member(cluster, "remove", Integer.toString(followers.get(1)),
                "--json");
            assertThat(noMajority.exitCode()).as("%s", noMajority).isEqualTo(1);
            assertThat(noMajority.stderr()).as("%s", noMajority).contains("INVALID").containsIgnoringCase("majority");
            final Json refused = Json.parse(noMajority.stdout(), "member remove --json");
            assertThat(refused.getString("status")).isEqualTo("INVALID");
            assertThat(refused.getLong("configurationOffset")).isEqualTo(-1);
            final List<Json> unchanged = Json.parseLines(member(cluster, "list", "--json").stdout(), "member list --json");
            assertThat(unchanged).as("nothing changed").extracting((m) -> m.getInt("id") + " " + m.getString("role") +
                " at " + m.getLong("configurationOffset")).containsExactly("1 voter at -1", "2 voter at -1", "3 voter at -1");

            cluster.node(4).start();
            final AdminCliProcess.Result replaced = member(cluster, "replace", Integer.toString(old),
                cluster.memberEntry(4));
            assertThat(replaced.exitCode()).as("%s", replaced).isZero();
            assertThat(replaced.stdout()).as("%s", replaced).contains("step 1/4").contains("step 2/4")
                .contains("step 3/4").contains("step 4/4").contains("replaced node " + old + " by node 4");
            load.awaitAcked(writes.ackedCount() + 200);
        }
        assertThat(writes.failedCount()).as("failed writes, first: %s", writes.firstFailure()).isZero();
        final String expected = cluster.nodeIds().stream().filter((id) -> id != old).map((id) -> id + " voter")
            .collect(Collectors.joining(", "));
        awaitMembersOnEveryNode(cluster, expected);
        writes.assertExactlyOnceOnEveryNode(cluster, writes.issued());
        assertVerifyPasses(cluster);

        final AdminCliProcess.Result status = AdminCliProcess.run(cluster.dir(), CLI_TIMEOUT, "status", "--json",
            "--config", cluster.node(4).configFile().toString());
        assertThat(status.exitCode()).as("%s", status).isZero();
        final List<Json> nodes = Json.parse(status.stdout(), "status --json").getObjects("nodes");
        assertThat(nodes).extracting((node) -> node.getInt("id")).contains(4);
        for (final Json node : nodes)
        {
            if (!node.getBoolean("reachable"))
            {
                assertThat(node.getInt("id")).as("only the killed node is unreachable").isEqualTo(old);
                continue;
            }
            assertThat(node.getObjects("members")).as("node %s's members", node.getInt("id"))
                .extracting((m) -> m.getInt("id")).doesNotContain(old).contains(4);
        }
    }

    /**
     * The leader is SIGKILLed while it makes a change (as soon as its log shows the change record appended: before or
     * just after it commits). Whatever the command answered, the nodes converge on one committed configuration, with or
     * without the learner; the change can then be completed through the new leader; the old leader rejoins and adopts
     * it. Then a removal whose leader is SIGKILLed right after the record committed: the next leader holds it and the
     * killed leader adopts it on its return. No epoch had two leaders; no write failed and none acknowledged is lost.
     */
    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void shouldConvergeOnOneConfigurationWithOneLeaderPerEpochWhenTheLeaderDiesDuringAChange() throws Exception
    {
        final TestCluster cluster = watcher.cluster(4).joining(4).start(1, 2, 3);
        // The shrink below: the removed node says why it stops, at ERROR, when it learns its removal committed.
        cluster.expectErrors((line) -> line.contains("was removed from the cluster"));
        final AckedWrites writes = new AckedWrites("leader-dies", CAPACITY);
        final int leader = cluster.leaderId();
        final List<Integer> survivors = List.of(1, 2, 3).stream().filter((id) -> id != leader).toList();
        try (Load load = new Load(cluster, writes))
        {
            load.awaitAcked(300);
            cluster.node(4).start();
            // Through the client API, not the CLI: the commands are tested above; here only the timing matters. A short
            // deadline: the attempt at the killed leader is never answered.
            final LogshipClient admin = cluster.newClient((config) -> config.requestTimeoutMs(3000).deadlineMs(3000));
            final CompletableFuture<MemberChangeResult> add = CompletableFuture.supplyAsync(
                () -> admin.changeMember(MemberChange.ADD, 4, TestCluster.HOST + ":" + cluster.port(4), false));
            Poll.until("node " + leader + " to append the change record", Duration.ofSeconds(30),
                () -> cluster.node(leader).logContains("appends a membership change") || add.isDone(),
                () -> cluster.node(leader).tail(5));
            cluster.node(leader).kill9();
            final Throwable outcome = add.handle((result, error) -> error).get(30, TimeUnit.SECONDS);
            assertThat(null == outcome || outcome.getCause() instanceof LogshipClientException)
                .as("committed, or failed naming why: %s", outcome).isTrue();
            final int newLeader = cluster.leaderId();
            assertThat(newLeader).isIn(survivors);
            final String agreed = awaitOneConfigurationOnEveryNode(cluster);
            assertThat(agreed).as("with or without the learner, nothing else").isIn(
                "1 voter, 2 voter, 3 voter", "1 voter, 2 voter, 3 voter, 4 learner");

            // Finish the change through the new leader, whichever way the first attempt went: nothing is stuck.
            final LogshipClient operator = cluster.newClient((config) -> config.deadlineMs(20_000));
            if (!agreed.contains("4 learner"))
            {
                operator.changeMember(MemberChange.ADD, 4, TestCluster.HOST + ":" + cluster.port(4), false);
            }
            awaitCaughtUpLearner(cluster, 4);
            operator.changeMember(MemberChange.PROMOTE, 4, null, false);
            cluster.node(leader).start();
            load.awaitAcked(writes.ackedCount() + 200);

            // Then a shrink whose leader is SIGKILLed right after answering OK, so after the record committed: the
            // next leader must hold the committed configuration (it is in every later leader's log), the survivors
            // agree on it, and the killed leader adopts it when it returns.
            awaitMembersOnEveryNode(cluster, "1 voter, 2 voter, 3 voter, 4 voter");
            final int shrinkLeader = cluster.leaderId();
            final int removed = 4 != shrinkLeader ? 4 : survivors.get(0);
            final String remaining = List.of(1, 2, 3, 4).stream().filter((id) -> id != removed)
                .map((id) -> id + " voter").collect(Collectors.joining(", "));
            final long configurationsBefore = configurationsTaken(cluster, removed);
            operator.changeMember(MemberChange.REMOVE, removed, null, false);
            cluster.node(shrinkLeader).kill9();
            // The removed node exits with code 4 if it heard that its removal committed before the leader died; if
            // not, it is in no configuration any more, so no leader ships to it, and it waits, never standing (its own
            // configuration makes it no voter): docs/DESIGN.md#membership, "A removed node".
            Poll.until("removed node " + removed + " to exit or to stand still", Duration.ofSeconds(10),
                () -> !cluster.node(removed).isRunning() || configurationsTaken(cluster, removed) > configurationsBefore,
                () -> cluster.node(removed).tail(5));
            if (cluster.node(removed).isRunning())
            {
                cluster.node(removed).stop();
            }
            else
            {
                assertThat(cluster.node(removed).exitCode()).as("removed node %s's exit code", removed).isEqualTo(4);
            }
            assertThat(cluster.leaderId()).as("the leader after the shrink's leader died")
                .isNotIn(shrinkLeader, removed);
            awaitMembersOnEveryNode(cluster, remaining);
            cluster.node(shrinkLeader).start();
            awaitMembersOnEveryNode(cluster, remaining);
            load.awaitAcked(writes.ackedCount() + 200);
        }
        assertThat(writes.failedCount()).as("failed writes, first: %s", writes.firstFailure()).isZero();
        final Map<Integer, java.util.Set<Integer>> leadersByEpoch = leadersByEpoch(cluster);
        assertThat(leadersByEpoch).as("the nodes that led each epoch").allSatisfy((epoch, nodes) ->
            assertThat(nodes).as("epoch %s", epoch).hasSize(1));
        assertThat(leadersByEpoch.keySet()).as("epochs led").hasSizeGreaterThan(1);
        writes.assertExactlyOnceOnEveryNode(cluster, writes.issued());
        assertVerifyPasses(cluster);
    }

    /** How many configurations node {@code id} has taken up so far (its "uses the cluster configuration" lines). */
    private static long configurationsTaken(final TestCluster cluster, final int id)
    {
        return cluster.node(id).logLines().stream().filter((line) -> line.contains("uses the cluster configuration"))
            .count();
    }

    /**
     * Who led each epoch, from every node's log ("Node N leads epoch E"): an acknowledgement cannot tell, since a new
     * leader answers a retried write with the epoch of the offset it was first written at.
     */
    private static Map<Integer, java.util.Set<Integer>> leadersByEpoch(final TestCluster cluster)
    {
        final java.util.regex.Pattern leads = java.util.regex.Pattern.compile("Node (\\d+) leads epoch (\\d+)");
        final Map<Integer, java.util.Set<Integer>> leaders = new TreeMap<>();
        for (final int id : cluster.nodeIds())
        {
            for (final String line : cluster.node(id).logLines())
            {
                final java.util.regex.Matcher matcher = leads.matcher(line);
                if (matcher.find())
                {
                    leaders.computeIfAbsent(Integer.parseInt(matcher.group(2)), (epoch) -> new java.util.TreeSet<>())
                        .add(Integer.parseInt(matcher.group(1)));
                }
            }
        }
        return leaders;
    }

    /** Waits until every running node reports the same committed configuration; returns it as "1 voter, ...". */
    private static String awaitOneConfigurationOnEveryNode(final TestCluster cluster)
    {
        final Map<Integer, String> seen = new TreeMap<>();
        Poll.until("every running node to agree on one committed configuration", CONVERGE_TIMEOUT, () ->
            {
                describeMembers(cluster, seen);
                return seen.values().stream().distinct().count() == 1 &&
                    !seen.values().iterator().next().endsWith("(not committed)") &&
                    seen.values().iterator().next().contains(" at ");
            },
            seen::toString);
        final String agreed = seen.values().iterator().next();
        return agreed.substring(0, agreed.lastIndexOf(" at "));
    }

    /** {@code logship member ARGS --config <node 1's config>}: the seed members' config, as an operator has it. */
    private static AdminCliProcess.Result member(final TestCluster cluster, final String... args)
    {
        final List<String> command = new ArrayList<>(List.of("member"));
        command.addAll(List.of(args));
        command.addAll(List.of("--config", cluster.node(1).configFile().toString()));
        return AdminCliProcess.run(cluster.dir(), CLI_TIMEOUT, command.toArray(String[]::new));
    }

    /** Waits until the leader reports learner {@code id} within 1,000 records of its log end (the promote bound). */
    private static void awaitCaughtUpLearner(final TestCluster cluster, final int id)
    {
        final String[] last = {"not asked"};
        Poll.until("node " + id + " to catch up as a learner", TestCluster.CATCH_UP_TIMEOUT, () ->
            {
                try
                {
                    final ClusterMembers members = cluster.client().members(cluster.leaderId());
                    last[0] = members.toString();
                    return members.members().stream().anyMatch((m) -> m.id() == id && "learner".equals(m.role()) &&
                        m.heldEndOffset() >= 0 && members.logEndOffset() - m.heldEndOffset() <= 1_000);
                }
                catch (final RuntimeException ex)
                {
                    last[0] = ex.getMessage();
                    return false;
                }
            },
            () -> last[0]);
    }

    /** Waits until every running node reports the same configuration, {@code "1 voter, 2 voter, ..."}, by id. */
    private static void awaitMembersOnEveryNode(final TestCluster cluster, final String expected)
    {
        final Map<Integer, String> seen = new TreeMap<>();
        Poll.until("every running node to have members " + expected, CONVERGE_TIMEOUT, () ->
            {
                describeMembers(cluster, seen);
                return seen.values().stream().distinct().count() == 1 &&
                    seen.values().iterator().next().startsWith(expected + " at ") &&
                    !seen.values().iterator().next().endsWith("(not committed)");
            },
            seen::toString);
    }

    /** Each running node's configuration, {@code "1 voter, 2 learner at 1234"} (or its error), by node id. */
    private static void describeMembers(final TestCluster cluster, final Map<Integer, String> seen)
    {
        seen.clear();
        for (final int id : cluster.runningNodeIds())
        {
            try
            {
                final ClusterMembers members = cluster.client().members(id);
                seen.put(id, members.members().stream().sorted(java.util.Comparator.comparingInt(MemberStatus::id))
                    .map((m) -> m.id() + " " + m.role()).collect(Collectors.joining(", ")) +
                    " at " + members.configurationOffset() + (members.committed() ? "" : " (not committed)"));
            }
            catch (final RuntimeException ex)
            {
                seen.put(id, ex.getMessage());
            }
        }
    }

    /** A removed running node learns of its removal and exits with code 4 and the contract's message. */
    private static void awaitRemovedExit(final TestCluster cluster, final int id)
    {
        Poll.until("removed node " + id + " to exit", CONVERGE_TIMEOUT, () -> !cluster.node(id).isRunning(),
            () -> cluster.node(id).tail(10));
        assertThat(cluster.node(id).exitCode()).as("node %s's exit code; log:%n%s", id, cluster.node(id).tail(20))
            .isEqualTo(4);
        assertThat(cluster.node(id).logContains("node " + id + " was removed from the cluster by the configuration " +
            "at offset")).as("node %s's log:%n%s", id, cluster.node(id).tail(20)).isTrue();
    }

    /**
     * {@code logship verify} over the running nodes, named with {@code --cluster}: the config files still list the seed,
     * and verify checks every node it is given (a removed or killed one would be "no answer").
     */
    private static void assertVerifyPasses(final TestCluster cluster)
    {
        final AdminCliProcess.Result verify = AdminCliProcess.run(cluster.dir(), CLI_TIMEOUT, "verify",
            "--cluster", cluster.runningNodeIds().stream().map(cluster::memberEntry).collect(Collectors.joining(",")),
            "--secret-file", cluster.secretFile().toString());
        assertThat(verify.exitCode()).as("%s", verify).isZero();
    }

    /**
     * QUORUM writes from a background thread, paced (25 every 20 ms at most) so the nodes keep CPU for the changes on
     * two shared cores. {@link #close} stops issuing and waits for every write to complete.
     */
    private static final class Load implements AutoCloseable
    {
        private final AckedWrites writes;
        private final AtomicBoolean stop = new AtomicBoolean();
        private final ExecutorService executor = Executors.newSingleThreadExecutor();
        private final Future<List<CompletableFuture<WriteResult>>> issued;

        Load(final TestCluster cluster, final AckedWrites writes)
        {
            this.writes = writes;
            final LogshipClient client = cluster.newClient((config) -> config.requestTimeoutMs(2000).deadlineMs(60_000));
            issued = executor.submit(() ->
            {
                final List<CompletableFuture<WriteResult>> futures = new ArrayList<>();
                for (int from = 0; from < CAPACITY && !stop.get(); from += WRITES_PER_STEP)
                {
                    futures.addAll(writes.write(client, from, from + WRITES_PER_STEP));
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(STEP_MS)); // pacing the load, not a wait
                }
                return futures;
            });
        }

        void awaitAcked(final int count)
        {
            Poll.until(count + " acknowledged writes", Duration.ofSeconds(60), () -> writes.ackedCount() >= count ||
                issued.isDone(), () -> writes.ackedCount() + " acked, " + writes.failedCount() + " failed of " +
                writes.issued());
        }

        @Override
        public void close() throws Exception
        {
            stop.set(true);
            executor.shutdown();
            AckedWrites.awaitAll(issued.get(60, TimeUnit.SECONDS), 90);
        }
    }
}
