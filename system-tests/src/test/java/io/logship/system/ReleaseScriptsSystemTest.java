package io.logship.system;

import io.logship.system.harness.Release;
import io.logship.system.harness.Shell;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The release tarball's bin/ scripts as an operator meets them: they run from wherever the release is unpacked (also
 * through a symlink), report the release's version, use JAVA_HOME, and take their heap from LOGSHIP_JAVA_OPTS or
 * the documented default. Nothing here builds: the scripts must not call Maven.
 */
class ReleaseScriptsSystemTest
{
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final Pattern MAX_HEAP = Pattern.compile("MaxHeapSize\\s+=\\s+(\\d+)");

    @TempDir
    Path dir;

    @Test
    void shouldHoldBinLibConfAndSystemdAndScriptsThatNeverBuild() throws Exception
    {
        final Path home = Release.unpack(dir.resolve("logship"));

        assertThat(home.resolve("bin/logship")).isExecutable();
        assertThat(home.resolve("bin/logshipd")).isExecutable();
        assertThat(home.resolve("conf/node.conf.example")).isRegularFile();
        assertThat(home.resolve("systemd/logshipd.service")).isRegularFile();
        assertThat(home.resolve("systemd/logship.sysusers.conf")).isRegularFile();
        assertThat(home.resolve("systemd/logshipd.default")).isRegularFile();
        try (var jars = Files.list(home.resolve("lib")))
        {
            assertThat(jars.map((p) -> p.getFileName().toString()).toList())
                .anyMatch((n) -> n.startsWith("node-daemon-")).anyMatch((n) -> n.startsWith("admin-cli-"))
                .anyMatch((n) -> n.startsWith("agrona-")).anyMatch((n) -> n.startsWith("picocli-"));
        }
        for (final String script : List.of("logship", "logshipd"))
        {
            assertThat(Files.readString(home.resolve("bin").resolve(script))).doesNotContain("mvn")
                .contains("--add-exports java.base/jdk.internal.misc=ALL-UNNAMED");
        }
    }

    @Test
    void shouldPrintTheReleaseVersionAlsoThroughASymlink() throws Exception
    {
        final Path home = Release.unpack(dir.resolve("logship"));
        final String version = Release.tarball().getFileName().toString()
            .replaceFirst("^logship-", "").replaceFirst("\\.tar\\.gz$", "");
        final Path links = Files.createDirectories(dir.resolve("usr-local-bin"));
        Files.createSymbolicLink(links.resolve("logship"), home.resolve("bin/logship"));

        final Shell.Result daemon = Shell.run(TIMEOUT, home.resolve("bin/logshipd").toString(), "--version");
        final Shell.Result cli = Shell.run(TIMEOUT, links.resolve("logship").toString(), "--version");

        assertThat(daemon.exitCode()).as("%s", daemon).isZero();
        assertThat(daemon.stdout().strip()).isEqualTo("logshipd " + version);
        assertThat(cli.exitCode()).as("%s", cli).isZero();
        assertThat(cli.stdout().strip()).isEqualTo("logship " + version);
    }

    @Test
    void shouldRunTheJavaOfJavaHomeAndSayWhenThereIsNone() throws Exception
    {
        final Path home = Release.unpack(dir.resolve("logship"));

        final Shell.Result good = Shell.run(TIMEOUT, Map.of("JAVA_HOME", System.getProperty("java.home")),
            List.of(home.resolve("bin/logshipd").toString(), "--version"));
        final Shell.Result bad = Shell.run(TIMEOUT, Map.of("JAVA_HOME", dir.resolve("no-jdk").toString()),
            List.of(home.resolve("bin/logshipd").toString(), "--version"));

        assertThat(good.exitCode()).as("%s", good).isZero();
        assertThat(bad.exitCode()).isEqualTo(2);
        assertThat(bad.stderr()).contains("JAVA_HOME");
    }

    @Test
    void shouldTakeTheHeapFromLogshipJavaOptsElseTheDocumentedDefault() throws Exception
    {
        final Path home = Release.unpack(dir.resolve("logship"));

        assertThat(maxHeap(home, "logshipd", "")).isEqualTo(1024L << 20);
        assertThat(maxHeap(home, "logship", "")).isEqualTo(512L << 20);
        assertThat(maxHeap(home, "logshipd", "-Xms64m -Xmx300m")).isEqualTo(300L << 20);
    }

    /**
     * docs/DESIGN.md#garbage-collector: the node runs ZGC unless LOGSHIP_JAVA_OPTS is set, which replaces the default
     * whole (there, the JVM's own default collector), so an operator's own collector choice never conflicts with it.
     */
    @Test
    void shouldRunTheNodeOnZgcByDefaultAndOnTheOperatorsChoiceOtherwise() throws Exception
    {
        final Path home = Release.unpack(dir.resolve("logship"));

        assertThat(flags(home, "logshipd", "")).contains("bool UseZGC  = true");
        assertThat(flags(home, "logshipd", "-Xmx300m -XX:+UseSerialGC")).contains("bool UseSerialGC  = true")
            .contains("bool UseZGC  = false");
    }

    /**
     * docs/DESIGN.md#safepoints: no safepoint on a timer, with the default options and with the operator's, unless
     * those name an interval themselves.
     */
    @Test
    void shouldRunTheNodeWithoutTimedSafepointsUnlessTheOperatorNamesAnInterval() throws Exception
    {
        final Path home = Release.unpack(dir.resolve("logship"));

        assertThat(flags(home, "logshipd", "")).contains("intx GuaranteedSafepointInterval  = 0  ");
        assertThat(flags(home, "logshipd", "-Xmx300m")).contains("intx GuaranteedSafepointInterval  = 0  ");
        assertThat(flags(home, "logshipd", "-Xmx300m -XX:GuaranteedSafepointInterval=1000"))
            .contains("intx GuaranteedSafepointInterval  = 1000  ");
    }

    private static long maxHeap(final Path home, final String script, final String javaOpts)
    {
        final Matcher m = MAX_HEAP.matcher(flags(home, script, javaOpts));
        assertThat(m.find()).as("MaxHeapSize in the output of %s", script).isTrue();
        return Long.parseLong(m.group(1));
    }

    /** The JVM flags the script's JVM ran with ({@code -XX:+PrintFlagsFinal}), spaces squeezed to two. */
    private static String flags(final Path home, final String script, final String javaOpts)
    {
        // JAVA_TOOL_OPTIONS reaches the JVM without touching the script's own options.
        final Shell.Result run = Shell.run(TIMEOUT, Map.of("LOGSHIP_JAVA_OPTS", javaOpts,
            "JAVA_TOOL_OPTIONS", "-XX:+PrintFlagsFinal"), List.of(home.resolve("bin").resolve(script).toString(),
            "--version"));
        assertThat(run.exitCode()).as("%s", run).isZero();
        return run.stdout().replaceAll(" {2,}", "  ");
    }
}
