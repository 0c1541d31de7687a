package io.logship.node;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code logshipd --check-config} and {@code --version} as systemd runs them: a separate JVM, its exit code and
 * its one line on stderr. Exit 2 (not 1) for every configuration error is what keeps systemd from restart-looping.
 */
class NodeDaemonCheckConfigTest
{
    @TempDir
    Path dir;

    @Test
    void shouldAcceptAGoodConfig() throws Exception
    {
        final Path config = writeConfig(secret("rw-------"), dir.resolve("data"));

        final Run run = logshipd("--check-config", "--config", config.toString());

        assertThat(run.exitCode).as(run.err).isZero();
        assertThat(run.out).contains("is valid").contains("node 1");
    }

    @Test
    void shouldExit2NamingTheSecretFileWhenItIsReadableByOthers() throws Exception
    {
        final Path secret = secret("rw-r--r--");
        final Path config = writeConfig(secret, dir.resolve("data"));

        final Run run = logshipd("--check-config", "--config", config.toString());

        assertThat(run.exitCode).isEqualTo(2);
        assertThat(run.err.strip().lines()).hasSize(1);
        assertThat(run.err).contains(NodeConfig.SECRET_FILE_PROP).contains(secret.toString()).contains("chmod 600");
    }

    @Test
    void shouldExit2WhenTheSecretFileIsMissingAlsoWhenStartingTheNode() throws Exception
    {
        final Path missing = dir.resolve("no-such-secret");
        final Path config = writeConfig(missing, dir.resolve("data"));

        final Run run = logshipd("--config", config.toString());

        assertThat(run.exitCode).isEqualTo(2);
        assertThat(run.err.strip().lines()).hasSize(1);
        assertThat(run.err).contains(NodeConfig.SECRET_FILE_PROP).contains(missing.toString())
            .contains("logship secret generate");
    }

    @Test
    void shouldExit2WhenTheNodesOwnAddressIsNotOnThisHost() throws Exception
    {
        final Path config = dir.resolve("node.conf");
        Files.writeString(config, "logship.node.id=1\nlogship.cluster.nodes=1@192.0.2.1:7001,2@127.0.0.1:7002\n" +
            "logship.cluster.secret.file=" + secret("rw-------") + "\nlogship.node.data.dir=" + dir.resolve("d") + "\n",
            StandardCharsets.UTF_8);

        final Run run = logshipd("--check-config", "--config", config.toString());

        assertThat(run.exitCode).isEqualTo(2);
        assertThat(run.err).contains(NodeConfig.CLUSTER_NODES_PROP).contains("192.0.2.1")
            .contains("not an address of this host");
    }

    @Test
    void shouldExit2WhenTheDataDirIsAFile() throws Exception
    {
        final Path file = Files.writeString(dir.resolve("not-a-dir"), "x");
        final Path config = writeConfig(secret("rw-------"), file);

        final Run run = logshipd("--check-config", "--config", config.toString());

        assertThat(run.exitCode).isEqualTo(2);
        assertThat(run.err).contains(NodeConfig.DATA_DIR_PROP).contains("is not a directory");
    }

    @Test
    void shouldExit2ForAnUnknownKeyAndABadCommandLine() throws Exception
    {
        final Path config = writeConfig(secret("rw-------"), dir.resolve("data"));
        Files.writeString(config, "logship.node.idd=1\n", StandardOpenOption.APPEND);

        assertThat(logshipd("--check-config", "--config", config.toString()).exitCode).isEqualTo(2);
        final Run usage = logshipd("--check-config");
        assertThat(usage.exitCode).isEqualTo(2);
        assertThat(usage.err).contains("usage: logshipd");
    }

    @Test
    void shouldExit2NamingTheThreadingKeyForABadValue() throws Exception
    {
        final Path config = writeConfig(secret("rw-------"), dir.resolve("data"));
        Files.writeString(config, NodeConfig.THREADING_PROP + "=few\n", StandardOpenOption.APPEND);

        final Run run = logshipd("--check-config", "--config", config.toString());

        assertThat(run.exitCode).isEqualTo(2);
        assertThat(run.err.strip().lines()).hasSize(1);
        assertThat(run.err).contains("logship.node.threading=few is invalid: expected one of shared, dedicated");
    }

    @Test
    void shouldPrintTheVersion() throws Exception
    {
        final Run run = logshipd("--version");

        assertThat(run.exitCode).isZero();
        assertThat(run.out).startsWith("logshipd ");
    }

    private Path secret(final String mode) throws IOException
    {
        final Path secret = dir.resolve("secret-" + mode.replace('-', '_'));
        Files.writeString(secret, "0123456789abcdef0123456789abcdef\n", StandardCharsets.US_ASCII);
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString(mode));
        return secret;
    }

    private Path writeConfig(final Path secret, final Path dataDir) throws IOException
    {
        final Path config = dir.resolve("node.conf");
        Files.writeString(config, "logship.node.id=1\nlogship.cluster.nodes=1@127.0.0.1:7001,2@127.0.0.1:7002\n" +
            "logship.cluster.secret.file=" + secret + "\nlogship.node.data.dir=" + dataDir + "\n",
            StandardCharsets.UTF_8);
        return config;
    }

    private record Run(int exitCode, String out, String err)
    {
    }

    private Run logshipd(final String... args) throws Exception
    {
        final List<String> command = new ArrayList<>(List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED", "-Xmx64m",
            "-cp", System.getProperty("java.class.path"), NodeDaemon.class.getName()));
        command.addAll(List.of(args));
        final Path out = Files.createTempFile(dir, "out", ".txt");
        final Path err = Files.createTempFile(dir, "err", ".txt");
        final Process process = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile())
            .start();
        if (!process.waitFor(60, TimeUnit.SECONDS))
        {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            throw new AssertionError("logshipd " + String.join(" ", args) + " did not exit within 60 s");
        }
        return new Run(process.exitValue(), Files.readString(out), Files.readString(err));
    }

}
