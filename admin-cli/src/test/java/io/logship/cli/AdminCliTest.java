package io.logship.cli;

import io.logship.transport.TransportConfiguration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AdminCliTest
{
    @Test
    void shouldRejectUnknownAckLevelNamingTheValue()
    {
        final CliRun run = CliRun.run("put", "k", "v", "--ack", "bogus", "--cluster", "1@127.0.0.1:1");

        assertThat(run.exitCode()).isEqualTo(AdminCli.EXIT_USAGE);
        assertThat(run.err()).contains("'bogus'").contains("leader, quorum or all");
        assertThat(run.err().strip().lines()).hasSize(1);
    }

    @Test
    void shouldAcceptAckLevelsInAnyCase()
    {
        final Converters.AckLevelConverter converter = new Converters.AckLevelConverter();

        assertThat(converter.convert("ALL")).isEqualTo(io.logship.client.AckLevel.ALL);
        assertThat(converter.convert("leader")).isEqualTo(io.logship.client.AckLevel.LEADER);
    }

    @Test
    void shouldRefuseForcedPromotionWithoutAcceptLossBeforeConnecting()
    {
        // No cluster option at all: the refusal must come first, locally.
        final CliRun run = CliRun.run("promote", "2", "--force");

        assertThat(run.exitCode()).isEqualTo(AdminCli.EXIT_USAGE);
        assertThat(run.err()).contains("--accept-loss").contains("may lose acknowledged writes");
        assertThat(run.err().strip().lines()).hasSize(1);
    }

    @Test
    void shouldRequireMinOffsetForMinOffsetConsistency()
    {
        final GetCommand get = new GetCommand();
        get.consistency = Converters.Consistency.MIN_OFFSET;

        assertThatThrownBy(() -> get.readConsistency(true)).isInstanceOf(CliException.class)
            .hasMessageContaining("--min-offset");
    }

    @Test
    void shouldDefaultGetConsistencyBySelection()
    {
        final GetCommand get = new GetCommand();
        assertThat(get.readConsistency(true).toString()).isEqualTo("ANY");
        assertThat(get.readConsistency(false).toString()).isEqualTo("LEADER");
        get.minOffset = 7L;
        assertThat(get.readConsistency(false).toString()).isEqualTo("MIN_OFFSET(7)");
    }

    @Test
    void shouldRejectCommandWithoutCluster()
    {
        final CliRun run = CliRun.run("status");

        assertThat(run.exitCode()).isEqualTo(AdminCli.EXIT_USAGE);
        assertThat(run.err()).contains("--config").contains("--cluster");
    }

    /** The CLI's client sends datagrams as large as the nodes of the config it is given (a local cluster: 32 KiB). */
    @Test
    void shouldGiveItsClientTheMtuOfTheNodeConfig(@TempDir final Path dir) throws IOException
    {
        final ClusterOptions options = new ClusterOptions();
        options.config = config(dir, TransportConfiguration.MTU_LENGTH_PROP + "=32768\n");
        assertThat(options.resolve(1_000).mtuLength()).isEqualTo(32768);

        options.config = config(dir, "");
        assertThat(options.resolve(1_000).mtuLength()).as("none named: the client's default").isZero();
    }

    @Test
    void shouldRejectAConfigWhoseMtuAeronCannotSendNamingIt(@TempDir final Path dir) throws IOException
    {
        final CliRun run = CliRun.run("status", "--config",
            config(dir, TransportConfiguration.MTU_LENGTH_PROP + "=1000\n").toString());

        assertThat(run.exitCode()).isEqualTo(AdminCli.EXIT_USAGE);
        assertThat(run.err()).contains(TransportConfiguration.MTU_LENGTH_PROP + "=1000").contains("multiple of 32");
    }

    private static Path config(final Path dir, final String extra) throws IOException
    {
        final Path file = Files.createTempFile(dir, "node", ".conf");
        Files.writeString(file, "logship.cluster.nodes=1@127.0.0.1:7001,2@127.0.0.1:7002,3@127.0.0.1:7003\n" + extra);
        return file;
    }

    @Test
    void shouldRejectConfigAndClusterTogether()
    {
        final CliRun run = CliRun.run("status", "--config", "x.conf", "--cluster", "1@127.0.0.1:7001");

        assertThat(run.exitCode()).isEqualTo(AdminCli.EXIT_USAGE);
        assertThat(run.err()).contains("exclusive");
    }

    @Test
    void shouldParseClusterEntriesWithAndWithoutIds()
    {
        final List<ClusterOptions.Node> nodes = ClusterOptions.parse("1@127.0.0.1:7001, 10.0.0.2:7002", "--cluster");

        assertThat(nodes).containsExactly(
            new ClusterOptions.Node(1, "127.0.0.1", 7001), new ClusterOptions.Node(null, "10.0.0.2", 7002));
    }

    @Test
    void shouldRejectBadClusterEntryNamingIt()
    {
        assertThatThrownBy(() -> ClusterOptions.parse("127.0.0.1", "--cluster"))
            .isInstanceOf(CliException.class).hasMessageContaining("'127.0.0.1'");
        assertThatThrownBy(() -> ClusterOptions.parse("x@127.0.0.1:7001", "--cluster"))
            .isInstanceOf(CliException.class).hasMessageContaining("'x@127.0.0.1:7001'");
        assertThatThrownBy(() -> ClusterOptions.parse("1@h:7001,1@h:7002", "--cluster"))
            .isInstanceOf(CliException.class).hasMessageContaining("twice");
    }

    @Test
    void shouldRequireSecretForAdminCallsWithCluster()
    {
        final CliRun run = CliRun.run("verify", "--cluster", "1@127.0.0.1:7001");

        assertThat(run.exitCode()).isEqualTo(AdminCli.EXIT_USAGE);
        assertThat(run.err()).contains("--secret-file");
    }

    @Test
    void shouldRejectInvalidLoadSettingsNamingTheOption()
    {
        final CliRun run = CliRun.run("load", "--records", "0", "--cluster", "1@127.0.0.1:7001");

        assertThat(run.exitCode()).isEqualTo(AdminCli.EXIT_USAGE);
        assertThat(run.err()).contains("--records=0");
    }

    @Test
    void shouldRejectNegativeWarmupRecordsBeforeConnecting()
    {
        final CliRun run = CliRun.run("load", "--warmup-records", "-5", "--cluster", "1@127.0.0.1:7001");

        assertThat(run.exitCode()).isEqualTo(AdminCli.EXIT_USAGE);
        assertThat(run.err()).contains("--warmup-records=-5");
    }

    @Test
    void shouldExitFailedWithOneLineWhenACommandDiesOfAnError()
    {
        // What a jar replaced under a running CLI throws; picocli passes Errors through its exception handlers.
        @CommandLine.Command(name = "boom")
        final class Boom implements Runnable
        {
            @Override
            public void run()
            {
                throw new NoClassDefFoundError("io/logship/client/Gone");
            }
        }
        final StringWriter err = new StringWriter();
        final CommandLine commandLine = AdminCli.newCommandLine().addSubcommand("boom", new Boom());
        commandLine.setErr(new PrintWriter(err, true));

        assertThat(AdminCli.execute(commandLine, "boom")).isEqualTo(AdminCli.EXIT_FAILED);
        assertThat(err.toString()).isEqualTo("logship: java.lang.NoClassDefFoundError: io/logship/client/Gone" +
            System.lineSeparator());
    }

    @Test
    void shouldRenderNonUtf8AsBase64()
    {
        assertThat(Bytes.render("héllo".getBytes(java.nio.charset.StandardCharsets.UTF_8)))
            .containsExactly("héllo", "utf-8");
        assertThat(Bytes.render(new byte[]{ (byte)0xff, 0x00 })).containsExactly("/wA=", "base64");
    }
}
