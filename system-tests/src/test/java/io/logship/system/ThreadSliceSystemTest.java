package io.logship.system;

import io.logship.os.ThreadSlice;
import io.logship.system.harness.NodeProcess;
import io.logship.system.harness.SystemTestWatcher;
import io.logship.system.harness.TestCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

/**
 * docs/DESIGN.md#thread-slice on real nodes with the default, dedicated threading: the threads a write waits on (the
 * conductor, journal and fsync threads, Aeron's client conductor and the media driver's thread) ask Linux for 100 µs
 * scheduler slices at start; the store's apply thread keeps the kernel's default; {@code logship.node.latency.slice.us=0}
 * leaves every thread alone. The shared-threading layout is checked in {@link SharedThreadingSystemTest}.
 */
class ThreadSliceSystemTest
{
    private static final long SLICE_NS = 100_000;

    @RegisterExtension
    final SystemTestWatcher watcher = new SystemTestWatcher();

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void shouldGiveTheWritePathThreadsShortSlicesAndLeaveTheOthersAlone()
    {
        assumeThat(ThreadSlice.kernelHasCustomSlices()).as("custom scheduler slices need Linux 6.12+").isTrue();
        final TestCluster cluster = watcher.cluster(3).with(3, "logship.node.latency.slice.us", 0).start();

        for (final int id : new int[] {1, 2})
        {
            final NodeProcess node = cluster.node(id);
            final Map<String, Long> slices = node.schedulerSlices();
            // The kernel keeps the first 15 characters of a thread's name; Aeron names the driver's after its directory.
            final String path = node.aeronDir().toString();
            final String driver = path.substring(0, Math.min(15, path.length()));
            assertThat(slices).as("node %s's threads and their scheduler slices (ns)", id)
                .containsEntry("conductor-" + id, SLICE_NS).containsEntry("journal-" + id, SLICE_NS)
                .containsEntry("log-fsync-" + id, SLICE_NS).containsEntry("aeron-client", SLICE_NS)
                .containsEntry(driver, SLICE_NS);
            assertThat(slices.get("apply")).as("node %s's apply thread keeps the default: %s", id, slices)
                .isGreaterThan(SLICE_NS);
            assertThat(node.logContains("threads) run with 100 µs scheduler slices"))
                .as("node %s's start line", id).isTrue();
        }
        final Map<String, Long> off = cluster.node(3).schedulerSlices();
        assertThat(off.get("conductor-3")).as("node 3 (slice 0): %s", off).isGreaterThan(SLICE_NS)
            .isEqualTo(off.get("apply"));
        assertThat(off.get("journal-3")).as("node 3 (slice 0): %s", off).isEqualTo(off.get("apply"));
    }
}
