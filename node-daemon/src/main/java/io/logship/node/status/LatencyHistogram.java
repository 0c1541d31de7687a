package io.logship.node.status;

import io.prometheus.metrics.model.registry.Collector;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A latency histogram with fixed buckets (100 µs to 2.5 s) that one thread records into and the metrics
 * HTTP thread exports as a Prometheus classic histogram. {@link #record(long)} is for a hot thread: no
 * allocation, no lock, no CAS loop (a single writer publishes each bucket with an ordered store); a scrape
 * may see a bucket and the sum one observation apart, never a torn value. Prometheus' own {@code Histogram}
 * is not used on the hot path because its {@code observe} goes through exemplar sampling and, for native
 * buckets, map updates we did not want to audit for allocation.
 */
public final class LatencyHistogram implements Collector
{
    /** Upper bounds in seconds; the last bucket (+Inf) is implicit in {@link #counts}. */
    private static final double[] BOUNDS_SECONDS =
        {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};
    private static final long[] BOUNDS_NS = new long[BOUNDS_SECONDS.length];

    static
    {
        for (int i = 0; i < BOUNDS_SECONDS.length; i++)
        {
            BOUNDS_NS[i] = Math.round(BOUNDS_SECONDS[i] * 1e9);
        }
    }

    private final String name;
    private final String help;
    private final AtomicLongArray counts = new AtomicLongArray(BOUNDS_SECONDS.length + 1);
    private final AtomicLong sumNs = new AtomicLong();

    /** {@code name} ends in {@code _seconds}; the exposition adds {@code _bucket}, {@code _count} and {@code _sum}. */
    public LatencyHistogram(final String name, final String help)
    {
        this.name = name;
        this.help = help;
    }

    /** One observation, in nanoseconds. Single writer thread only. */
    public void record(final long latencyNs)
    {
        int bucket = 0;
        while (bucket < BOUNDS_NS.length && latencyNs > BOUNDS_NS[bucket])
        {
            bucket++;
        }
        counts.lazySet(bucket, counts.get(bucket) + 1);
        sumNs.lazySet(sumNs.get() + Math.max(0, latencyNs));
    }

    @Override
    public String getPrometheusName()
    {
        return name;
    }

    @Override
    public MetricSnapshot collect()
    {
        final double[] bounds = new double[BOUNDS_SECONDS.length + 1];
        System.arraycopy(BOUNDS_SECONDS, 0, bounds, 0, BOUNDS_SECONDS.length);
        bounds[BOUNDS_SECONDS.length] = Double.POSITIVE_INFINITY;
        final long[] snapshot = new long[bounds.length];
        for (int i = 0; i < snapshot.length; i++)
        {
            snapshot[i] = counts.get(i);
        }
        return HistogramSnapshot.builder().name(name).help(help)
            .dataPoint(HistogramSnapshot.HistogramDataPointSnapshot.builder()
                .classicHistogramBuckets(ClassicHistogramBuckets.of(bounds, snapshot))
                .sum(sumNs.get() / 1e9)
                .build())
            .build();
    }
}
