package io.logship.system;

import io.logship.client.LogshipClient;
import io.logship.system.harness.AckedWrites;
import io.logship.system.harness.AdminCliProcess;
import io.logship.system.harness.Json;
import io.logship.system.harness.SystemTestWatcher;
import io.logship.system.harness.TestCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code logship member list} against real {@code logshipd} processes (docs/DESIGN.md#membership): the member set
 * the nodes have in effect, as the seed {@code logship.cluster.nodes} gives it, with the leader's view of each
 * member's progress, {@code status} showing the set each node has in effect, and a member that is down shown as
 * unreachable rather than dropped.
 */
class MembershipSystemTest
{
    private static final Duration CLI_TIMEOUT = Duration.ofSeconds(60);

    @RegisterExtension
    final SystemTestWatcher watcher = new SystemTestWatcher();

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldListEveryMemberWithItsRoleAddressAndProgressAndShowTheSetInStatus()
    {
        final TestCluster cluster = watcher.cluster(3).start();
        final LogshipClient client = cluster.client();
        final AckedWrites writes = new AckedWrites("member", 100);
        AckedWrites.awaitAll(writes.write(client, 0, 100), 60);
        assertThat(writes.failedCount()).as("failed writes, first: %s", writes.firstFailure()).isZero();
        final long caughtUpEnd = cluster.awaitCaughtUp().logEndOffset();
        final int leader = cluster.leaderId();
        final String config = cluster.node(1).configFile().toString();

        final AdminCliProcess.Result listed = AdminCliProcess.run(cluster.dir(), CLI_TIMEOUT, "member", "list", "--json",
            "--config", config);
        assertThat(listed.exitCode()).as("%s", listed).isZero();
        final List<Json> members = Json.parseLines(listed.stdout(), "member list --json");
        assertThat(members).extracting((member) -> member.getInt("id")).containsExactly(1, 2, 3);
        for (final Json member : members)
        {
            final int id = member.getInt("id");
            assertThat(member.getString("address")).as("%s", member).isEqualTo(TestCluster.HOST + ":" + cluster.port(id));
            assertThat(member.getString("role")).as("%s", member).isEqualTo("voter");
            assertThat(member.getString("state")).as("%s", member).isEqualTo(id == leader ? "leader" : "follower");
            assertThat(member.getInt("reportedBy")).as("asks the leader, which knows the progress").isEqualTo(leader);
            assertThat(member.getLong("configurationOffset")).as("the seed").isEqualTo(-1);
            assertThat(member.getBoolean("committed")).isTrue();
            assertThat(member.getLong("heldEndOffset")).as("%s", member).isGreaterThanOrEqualTo(caughtUpEnd);
        }

        final AdminCliProcess.Result table = AdminCliProcess.run(cluster.dir(), CLI_TIMEOUT, "member", "list",
            "--config", config);
        assertThat(table.exitCode()).as("%s", table).isZero();
        assertThat(table.stdout()).as("%s", table).contains("seeded from logship.cluster.nodes")
            .containsPattern("(?m)^ID\\s+ADDRESS\\s+ROLE\\s+STATE").containsPattern("(?m)^" + leader + "\\s.*voter\\s+leader");

        final AdminCliProcess.Result status = AdminCliProcess.run(cluster.dir(), CLI_TIMEOUT, "status", "--json",
            "--config", config);
        assertThat(status.exitCode()).as("%s", status).isZero();
        final List<Json> nodes = Json.parse(status.stdout(), "status --json").getObjects("nodes");
        assertThat(nodes).hasSize(3);
        for (final Json node : nodes)
        {
            assertThat(node.getObjects("members")).as("node %s's member set", node.getInt("id"))
                .extracting((member) -> member.getInt("id") + "@" + member.getString("address") + " " +
                    member.getString("role"))
                .containsExactly(cluster.nodeIds().stream()
                    .map((id) -> id + "@" + TestCluster.HOST + ":" + cluster.port(id) + " voter").toArray(String[]::new));
        }
        final AdminCliProcess.Result statusTable = AdminCliProcess.run(cluster.dir(), CLI_TIMEOUT, "status",
            "--config", config);
        assertThat(statusTable.stdout()).as("every node agrees: one line").containsOnlyOnce("members: 1@");

        final int down = cluster.nodeIds().stream().filter((id) -> id != leader).findFirst().orElseThrow();
        cluster.node(down).kill9();
        final AdminCliProcess.Result withOneDown = AdminCliProcess.run(cluster.dir(), CLI_TIMEOUT, "member", "list",
            "--json", "--config", config);
        assertThat(withOneDown.exitCode()).as("%s", withOneDown).isZero();
        final List<Json> stillThree = Json.parseLines(withOneDown.stdout(), "member list --json");
        assertThat(stillThree).as("a member that is down is still a member").hasSize(3);
        assertThat(stillThree.stream().filter((member) -> member.getInt("id") == down).findFirst().orElseThrow()
            .getString("state")).isEqualTo("unreachable");
    }
}
