package io.logship.node.status;

import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.registry.PrometheusScrapeRequest;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;

import java.util.Set;
import java.util.function.Predicate;

/**
 * The JVM and process collectors of Prometheus' client library ({@code jvm_*}, {@code process_*}), less the two
 * that stop the JVM: {@code jvm_threads_deadlocked} and {@code jvm_threads_deadlocked_monitor} search for deadlocks
 * with {@code ThreadMXBean.findDeadlockedThreads}, a VM operation run at a global safepoint. Every Java thread of the
 * node, the duty thread included, then waits until the last one reaches a safepoint poll, and on a busy host the last
 * one is the apply thread at nice 10, off its core for up to tens of milliseconds: heartbeats, acks and writes waited
 * that long at every scrape (docs/DESIGN.md#safepoints). logship's threads hand work over
 * through lock-free queues and wake-ups, not monitors they hold while waiting on each other, so the answer those two
 * gauges give is not worth a pause per scrape; a {@code jstack} finds a deadlock when one is suspected.
 *
 * <p>The library's collectors are kept in a registry of their own and scraped through this one, name filter
 * included, so a left-out gauge's callback never runs.
 */
final class JvmCollectors implements MultiCollector
{
    /** The gauges left out, by their Prometheus names. */
    static final Set<String> STOPPING_THE_JVM = Set.of("jvm_threads_deadlocked", "jvm_threads_deadlocked_monitor");

    private static final Predicate<String> KEPT = (name) -> !STOPPING_THE_JVM.contains(name);

    private final PrometheusRegistry jvm = new PrometheusRegistry();

    private JvmCollectors()
    {
        JvmMetrics.builder().register(jvm);
    }

    /** Registers the JVM and process collectors, less the ones above, into {@code registry}. */
    static void register(final PrometheusRegistry registry)
    {
        registry.register(new JvmCollectors());
    }

    @Override
    public MetricSnapshots collect()
    {
        return jvm.scrape(KEPT);
    }

    @Override
    public MetricSnapshots collect(final PrometheusScrapeRequest scrapeRequest)
    {
        return jvm.scrape(KEPT, scrapeRequest);
    }

    @Override
    public MetricSnapshots collect(final Predicate<String> includedNames)
    {
        return jvm.scrape(KEPT.and(includedNames));
    }

    @Override
    public MetricSnapshots collect(final Predicate<String> includedNames, final PrometheusScrapeRequest scrapeRequest)
    {
        return jvm.scrape(KEPT.and(includedNames), scrapeRequest);
    }
}
