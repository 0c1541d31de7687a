package io.logship.system;

import io.logship.system.harness.Shell;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The benchmark sitting script (perf/bench-sitting.sh) as whoever runs it, or wraps it, reads it: its exit code says
 * whether a step failed. Only the parts that run nothing are exercised here; the benchmarks themselves run alone on a
 * quiet machine (perf/README.md), never in the build.
 */
class PerfScriptsSystemTest
{
    @TempDir
    Path out;

    /** Failed before the fix: the exit trap's test of an empty Kafka copy was its last status, so every sitting that
     * ran no Kafka exited 1. */
    @Test
    void shouldExitZeroFromASittingInWhichNoStepFailed()
    {
        final Path root = Path.of("").toAbsolutePath().getParent();
        final Shell.Result sitting = Shell.run(Duration.ofSeconds(120),
            Map.of("OUT", out.toString(), "LOGSHIP", "0", "KAFKA", "0", "BUILD", "0"),
            List.of("bash", root.resolve("perf/bench-sitting.sh").toString()));

        assertThat(sitting.exitCode()).as("%s", sitting).isZero();
        assertThat(out.resolve("table.md")).isRegularFile();
        assertThat(out.resolve("machine.txt")).isRegularFile();
    }
}
