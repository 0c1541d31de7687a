package io.logship.node.status;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A Prometheus scrape of a node must not stop its JVM: every thread, the duty thread included, waits at a global
 * safepoint until the slowest thread reaches it, and on a busy host that was the apply thread at nice 10 for up to
 * tens of milliseconds (perf/README.md, "Safepoints held by the apply thread").
 */
class JvmCollectorsTest
{
    private static final int SCRAPES = 5;

    @TempDir
    Path dir;

    @Test
    void shouldScrapeTheJvmWithoutAGlobalSafepoint() throws Exception
    {
        final PrometheusRegistry registry = new PrometheusRegistry();
        JvmCollectors.register(registry);

        final List<MetricSnapshots> scrapes = new ArrayList<>();
        final Path file = dir.resolve("scrapes.jfr");
        try (Recording recording = new Recording())
        {
            // A VM operation that runs at a safepoint is one every Java thread of the process stops for.
            recording.enable("jdk.ExecuteVMOperation").withThreshold(Duration.ZERO);
            recording.start();
            for (int i = 0; i < SCRAPES; i++)
            {
                scrapes.add(registry.scrape());
            }
            recording.stop();
            recording.dump(file);
        }

        final List<String> deadlockSearches = new ArrayList<>();
        for (final RecordedEvent event : RecordingFile.readAllEvents(file))
        {
            final String operation = event.getString("operation");
            if (operation.contains("Deadlock"))
            {
                deadlockSearches.add(operation + (event.getBoolean("safepoint") ? " at a safepoint" : ""));
            }
        }
        assertThat(deadlockSearches).as("VM operations the scrapes ran").isEmpty();

        // What the JVM collectors are for is still there: threads, heap, GC, process.
        assertThat(names(scrapes.get(SCRAPES - 1)))
            .contains("jvm_threads_current", "jvm_threads_state", "jvm_memory_used_bytes", "process_cpu_seconds")
            .doesNotContain("jvm_threads_deadlocked", "jvm_threads_deadlocked_monitor");
    }

    @Test
    void shouldLeaveOutWhatAScrapeFiltersOut()
    {
        final PrometheusRegistry registry = new PrometheusRegistry();
        JvmCollectors.register(registry);

        assertThat(names(registry.scrape("jvm_threads_current"::equals))).containsExactly("jvm_threads_current");
    }

    private static List<String> names(final MetricSnapshots snapshots)
    {
        final List<String> names = new ArrayList<>();
        for (final MetricSnapshot snapshot : snapshots)
        {
            names.add(snapshot.getMetadata().getPrometheusName());
        }
        return names;
    }
}
