package io.logship.node.status;

import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class LatencyHistogramTest
{
    @Test
    void shouldExportEachObservationInTheFirstBucketWhoseBoundIsNotBelowIt()
    {
        final LatencyHistogram histogram = new LatencyHistogram("test_fsync_seconds", "test");
        histogram.record(TimeUnit.MICROSECONDS.toNanos(100)); // exactly on the first bound: le="0.0001"
        histogram.record(TimeUnit.MICROSECONDS.toNanos(101));
        histogram.record(TimeUnit.MILLISECONDS.toNanos(150));
        histogram.record(TimeUnit.SECONDS.toNanos(10)); // beyond the last bound: +Inf only

        final HistogramSnapshot.HistogramDataPointSnapshot point =
            ((HistogramSnapshot)histogram.collect()).getDataPoints().get(0);
        final ClassicHistogramBuckets buckets = point.getClassicBuckets();
        assertThat(buckets.getUpperBound(0)).isEqualTo(0.0001);
        assertThat(buckets.getCount(0)).isEqualTo(1);
        assertThat(buckets.getUpperBound(1)).isEqualTo(0.00025);
        assertThat(buckets.getCount(1)).isEqualTo(1);
        assertThat(buckets.getUpperBound(10)).isEqualTo(0.25);
        assertThat(buckets.getCount(10)).isEqualTo(1);
        assertThat(buckets.getUpperBound(buckets.size() - 1)).isEqualTo(Double.POSITIVE_INFINITY);
        assertThat(buckets.getCount(buckets.size() - 1)).isEqualTo(1);
        assertThat(point.getCount()).isEqualTo(4);
        assertThat(point.getSum()).isCloseTo(10.150201, within(1e-9));
    }

    @Test
    void shouldRecordWithoutAllocating()
    {
        final LatencyHistogram histogram = new LatencyHistogram("test_fsync_seconds", "test");
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        for (int i = 0; i < 100_000; i++)
        {
            histogram.record(i * 1000L); // warm up: let the JIT compile record()
        }
        final long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < 100_000; i++)
        {
            histogram.record(i * 1000L);
        }
        final long allocated = threads.getCurrentThreadAllocatedBytes() - before;

        assertThat(allocated).as("bytes allocated by 100,000 record() calls").isLessThan(1024);
    }
}
