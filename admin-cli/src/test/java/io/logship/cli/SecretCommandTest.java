package io.logship.cli;

import io.logship.transport.auth.ClusterSecret;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;

import static org.assertj.core.api.Assertions.assertThat;

class SecretCommandTest
{
    @TempDir
    Path dir;

    @Test
    void shouldWriteASecretOnlyItsOwnerCanReadThatNodesAccept() throws Exception
    {
        final Path secret = dir.resolve("etc/logship/secret");

        final CliRun run = CliRun.run("secret", "generate", secret.toString());

        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains(secret.toString()).contains("0600");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(secret))).isEqualTo("rw-------");
        assertThat(Base64.getDecoder().decode(Files.readString(secret, StandardCharsets.US_ASCII).strip())).hasSize(32);
        assertThat(ClusterSecret.load(secret).length()).isGreaterThanOrEqualTo(ClusterSecret.MIN_LENGTH);
    }

    @Test
    void shouldRefuseToOverwriteUnlessForced() throws Exception
    {
        final Path secret = dir.resolve("secret");
        assertThat(CliRun.run("secret", "generate", secret.toString()).exitCode()).isZero();
        final String first = Files.readString(secret);

        final CliRun again = CliRun.run("secret", "generate", secret.toString());
        assertThat(again.exitCode()).isEqualTo(AdminCli.EXIT_FAILED);
        assertThat(again.err()).contains("refusing to overwrite").contains(secret.toString()).contains("--force");
        assertThat(Files.readString(secret)).isEqualTo(first);

        final CliRun forced = CliRun.run("secret", "generate", "--force", secret.toString());
        assertThat(forced.exitCode()).as(forced.err()).isZero();
        assertThat(Files.readString(secret)).isNotEqualTo(first);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(secret))).isEqualTo("rw-------");
    }

    @Test
    void shouldRejectADirectoryAsUsage()
    {
        final CliRun run = CliRun.run("secret", "generate", dir.toString());

        assertThat(run.exitCode()).isEqualTo(AdminCli.EXIT_USAGE);
        assertThat(run.err()).contains("is a directory");
    }

    @Test
    void shouldPrintTheVersion()
    {
        final CliRun run = CliRun.run("--version");

        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).startsWith("logship ");
    }
}
