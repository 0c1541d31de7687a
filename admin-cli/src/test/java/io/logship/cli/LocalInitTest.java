package io.logship.cli;

import io.logship.node.NodeConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;

import static org.assertj.core.api.Assertions.assertThat;

class LocalInitTest
{
    @TempDir
    Path dir;

    @Test
    void shouldWriteConfigsThatNodesAccept() throws Exception
    {
        final CliRun run = CliRun.run("local", "init", "--nodes", "3", "--dir", dir.toString(), "--base-port", "17001");

        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("logshipd --config " + dir.resolve("node1.conf"));
        for (int i = 1; i <= 3; i++)
        {
            final NodeConfig config = NodeConfig.load(dir.resolve("node" + i + ".conf"));
            assertThat(config.nodeId()).isEqualTo(i);
            assertThat(config.self().port()).isEqualTo(17000 + i);
            assertThat(config.self().host()).isEqualTo("127.0.0.1");
            assertThat(config.members()).hasSize(3);
            assertThat(config.dataDirectory()).isEqualTo(dir.resolve("data/node" + i));
            assertThat(config.secretFile()).isEqualTo(dir.resolve("secret"));
            assertThat(config.transportContext().mtuLength()).as("loopback datagrams up to 32 KiB")
                .isEqualTo(LocalCluster.LOOPBACK_MTU_LENGTH);
        }
        final Path secret = dir.resolve("secret");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(secret))).isEqualTo("rw-------");
        assertThat(Base64.getDecoder().decode(Files.readString(secret, StandardCharsets.US_ASCII).strip())).hasSize(32);
    }

    @Test
    void shouldUseDefaultBasePort() throws Exception
    {
        assertThat(CliRun.run("local", "init", "--nodes", "2", "--dir", dir.toString()).exitCode()).isZero();

        assertThat(NodeConfig.load(dir.resolve("node2.conf")).self().port()).isEqualTo(7002);
    }

    @Test
    void shouldRefuseToOverwriteUnlessForced() throws Exception
    {
        assertThat(CliRun.run("local", "init", "--nodes", "3", "--dir", dir.toString()).exitCode()).isZero();
        final String secret = Files.readString(dir.resolve("secret"));

        final CliRun again = CliRun.run("local", "init", "--nodes", "3", "--dir", dir.toString());
        assertThat(again.exitCode()).isEqualTo(AdminCli.EXIT_FAILED);
        assertThat(again.err()).contains("refusing to overwrite").contains("--force");
        assertThat(Files.readString(dir.resolve("secret"))).isEqualTo(secret);

        final CliRun forced = CliRun.run("local", "init", "--nodes", "3", "--dir", dir.toString(), "--force");
        assertThat(forced.exitCode()).as(forced.err()).isZero();
        assertThat(Files.readString(dir.resolve("secret"))).isNotEqualTo(secret);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("secret"))))
            .isEqualTo("rw-------");
    }
}
