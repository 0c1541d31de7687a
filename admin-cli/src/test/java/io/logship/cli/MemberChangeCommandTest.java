package io.logship.cli;

import io.logship.client.MemberChangeResult;
import io.logship.client.NodeStatus;
import io.logship.cli.json.JsonOutput;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code logship member add|promote|remove|replace}: arguments checked before anything is sent (exit 2, one line naming
 * the value and the form expected), the {@code --json} object, and exit 1 with one line when no leader answers. The
 * leader's rules are tested against real nodes in system-tests (MemberChangeSystemTest).
 */
class MemberChangeCommandTest
{
    @TempDir
    Path dir;

    @Test
    void shouldRequireASubcommandNamingThemAll()
    {
        final CliRun run = CliRun.run("member");

        assertThat(run.exitCode()).isEqualTo(AdminCli.EXIT_USAGE);
        assertThat(run.err()).contains("list, add, promote, remove or replace");
    }

    @Test
    void shouldRejectAnAddWithoutIdOrPortNamingTheEntryAndTheFormExpected()
    {
        final CliRun noId = CliRun.run("member", "add", "127.0.0.1:7004", "--cluster", "1@127.0.0.1:7001");
        assertThat(noId.exitCode()).isEqualTo(AdminCli.EXIT_USAGE);
        assertThat(noId.err()).contains("'127.0.0.1:7004'").contains("id@host:port");
        assertThat(noId.err().strip().lines()).hasSize(1);

        final CliRun noPort = CliRun.run("member", "add", "4@127.0.0.1", "--cluster", "1@127.0.0.1:7001");
        assertThat(noPort.exitCode()).isEqualTo(AdminCli.EXIT_USAGE);
        assertThat(noPort.err()).contains("'4@127.0.0.1'");

        final CliRun two = CliRun.run("member", "add", "4@127.0.0.1:7004,5@127.0.0.1:7005",
            "--cluster", "1@127.0.0.1:7001");
        assertThat(two.exitCode()).isEqualTo(AdminCli.EXIT_USAGE);
        assertThat(two.err()).contains("expected one ID@HOST:PORT");

        final CliRun missing = CliRun.run("member", "add", "--cluster", "1@127.0.0.1:7001");
        assertThat(missing.exitCode()).isEqualTo(AdminCli.EXIT_USAGE);
        assertThat(missing.err()).contains("ID@HOST:PORT");
    }

    @Test
    void shouldOfferNoVoterOptionBecauseANewMemberJoinsAsALearner()
    {
        final CliRun run = CliRun.run("member", "add", "4@127.0.0.1:7004", "--voter", "--cluster", "1@127.0.0.1:7001");

        assertThat(run.exitCode()).isEqualTo(AdminCli.EXIT_USAGE);
        assertThat(run.err()).contains("--voter");
        assertThat(CliRun.run("member", "add", "--help").out()).contains("as a learner").doesNotContain("--voter");
    }

    @Test
    void shouldRejectBadIdsForPromoteRemoveAndReplace()
    {
        final CliRun word = CliRun.run("member", "promote", "four", "--cluster", "1@127.0.0.1:7001");
        assertThat(word.exitCode()).isEqualTo(AdminCli.EXIT_USAGE);
        assertThat(word.err()).contains("'four'");

        final CliRun zero = CliRun.run("member", "remove", "0", "--cluster", "1@127.0.0.1:7001");
        assertThat(zero.exitCode()).isEqualTo(AdminCli.EXIT_USAGE);
        assertThat(zero.err()).contains("ID=0 is invalid: expected a node id >= 1");

        final CliRun sameId = CliRun.run("member", "replace", "3", "3@127.0.0.1:7013", "--cluster", "1@127.0.0.1:7001");
        assertThat(sameId.exitCode()).isEqualTo(AdminCli.EXIT_USAGE);
        assertThat(sameId.err()).contains("has the id of OLD 3").contains("new id");

        final CliRun noNew = CliRun.run("member", "replace", "3", "--cluster", "1@127.0.0.1:7001");
        assertThat(noNew.exitCode()).isEqualTo(AdminCli.EXIT_USAGE);
        assertThat(noNew.err()).contains("NEW@HOST:PORT");
    }

    @Test
    void shouldRequireTheSecretBeforeSendingAChange()
    {
        final CliRun run = CliRun.run("member", "remove", "3", "--cluster", "1@127.0.0.1:7001");

        assertThat(run.exitCode()).isEqualTo(AdminCli.EXIT_USAGE);
        assertThat(run.err()).contains("member remove is an admin call").contains("--secret-file");
    }

    @Test
    void shouldFailWithExitOneAndOneLineWhenNoNodeAnswers() throws Exception
    {
        final Path secret = dir.resolve("cluster.secret");
        Files.writeString(secret, "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
        final int port;
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0)))
        {
            port = socket.getLocalPort(); // nothing listens there once closed
        }

        final CliRun run = CliRun.run("member", "promote", "4", "--json", "--cluster", "1@127.0.0.1:" + port,
            "--secret-file", secret.toString(), "--timeout-ms", "600");

        assertThat(run.exitCode()).as("%s", run).isEqualTo(AdminCli.EXIT_FAILED);
        assertThat(run.err().strip().lines()).as("%s", run).hasSize(1);
        assertThat(run.err()).as("%s", run).startsWith("logship member promote: member promote 4 failed");
        assertThat(run.out()).as("%s", run).startsWith("{\"status\":\"").contains("\"configurationOffset\":-1");
    }

    @Test
    void shouldPrintTheContractsFieldsFirstInJson()
    {
        final String json = JsonOutput.write(MemberChangeCommand.toJson("member add",
            new MemberChangeResult(1, 3, 1, 4711, "")));

        assertThat(json).isEqualTo("{\"status\":\"OK\",\"configurationOffset\":4711,\"message\":\"\"," +
            "\"operation\":\"member add\",\"leaderId\":1,\"epoch\":3}");
        assertThat(MemberChangeCommand.committed(new MemberChangeResult(1, 3, 1, 4711, "")))
            .isEqualTo("leader 1 (epoch 3): configuration at offset 4711 committed");
        assertThat(MemberChangeCommand.committed(new MemberChangeResult(1, 3, 1, 4711, "committed at offset 4711")))
            .as("the leader's own words when it gives them").isEqualTo("leader 1 (epoch 3): committed at offset 4711");
    }

    @Test
    void shouldTellAMemberMissingFromTheGivenNodeListFromOneThatDidNotAnswer()
    {
        final List<StatusCommand.NodeReport> reports = List.of(
            new StatusCommand.NodeReport(new ClusterOptions.Node(1, "127.0.0.1", 7001), new NodeStatus(1, 2, 1,
                "LEADER", 0, 10, 10, 10, 10, List.of(), true, 0, 10, 0, 0, 0, ""), null),
            new StatusCommand.NodeReport(new ClusterOptions.Node(2, "127.0.0.1", 7002), null, "no reply within 2000 ms"));

        assertThat(MemberCommand.ListCommand.stateOf(1, reports)).isEqualTo("leader");
        assertThat(MemberCommand.ListCommand.stateOf(2, reports)).isEqualTo("unreachable");
        assertThat(MemberCommand.ListCommand.stateOf(4, reports)).as("added at run time, not in --config")
            .isEqualTo("unlisted");
    }

    @Test
    void shouldDescribeGrowShrinkAndReplaceInTheHelp()
    {
        final CliRun member = CliRun.run("member", "--help");
        assertThat(member.out()).contains("logship.cluster.join=true").contains("add").contains("promote")
            .contains("remove").contains("replace");
        final CliRun replace = CliRun.run("member", "replace", "--help");
        assertThat(replace.out()).contains("add NEW as a learner").contains("Run again after a failure");
    }
}
