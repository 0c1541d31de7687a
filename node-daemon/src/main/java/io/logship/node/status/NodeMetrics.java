package io.logship.node.status;

import io.aeron.AeronCounters;
import io.aeron.driver.status.SystemCounterDescriptor;
import io.logship.log.SegmentedLog;
import io.logship.node.DroppingLogQueuePolicy;
import io.logship.node.ReplicatedLog;
import io.logship.node.Role;
import io.logship.node.pipeline.LogFlusher;
import io.logship.node.ingress.ClientSessions;
import io.logship.node.leader.CommitTracker;
import io.logship.node.leader.FollowerProgress;
import io.logship.node.write.AckWaits;
import io.logship.transport.MessageAdapter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Info;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.agrona.concurrent.status.CountersReader;

import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * The node's Prometheus metrics, as callback collectors in one {@link PrometheusRegistry}. Every callback
 * runs on the metrics HTTP thread at scrape time and reads single fields only (volatile, or plain 64-bit
 * ones the conductor writes whole), so a value may be stale by a duty cycle, never torn; the duty thread
 * neither blocks nor allocates for metrics. Metric names, labels and meanings are an interface:
 * dashboards ({@code dist/grafana}) and the system tests read them.
 */
public final class NodeMetrics
{
    private static final Role[] ROLES = Role.values();

    private final ReplicatedLog partition;
    private final CommitTracker commits;
    private final AckWaits ackWaits;
    private final ClientSessions sessions;
    private final LogFlusher flusher;
    private final MessageAdapter[] adapters;
    private DutyCycleTimer dutyCycles;

    public NodeMetrics(final ReplicatedLog partition, final CommitTracker commits, final AckWaits ackWaits,
        final ClientSessions sessions, final LogFlusher flusher, final MessageAdapter... adapters)
    {
        this.partition = partition;
        this.commits = commits;
        this.ackWaits = ackWaits;
        this.sessions = sessions;
        this.flusher = flusher;
        this.adapters = adapters;
    }

    /** The conductor's duty-cycle timer: its longest cycle and slow-cycle counters are exported; before {@link #register}. */
    public NodeMetrics dutyCycles(final DutyCycleTimer timer)
    {
        this.dutyCycles = timer;
        return this;
    }

    /**
     * Registers the node's families, the build info, the JVM and process collectors and the media driver's
     * invalid packet counter into {@code registry} (one registry per node: tests run several in a JVM).
     */
    public void register(final PrometheusRegistry registry, final String version, final CountersReader driverCounters)
    {
        final SegmentedLog log = partition.log();
        final NodeCounters counters = partition.counters();

        Info.builder().name("logship_build_info").help("logship release running on this node")
            .labelNames("version").register(registry).setLabelValues(version);
        JvmCollectors.register(registry);

        GaugeWithCallback.builder().name("logship_node_role").help("1 for the role this node has now, 0 for the others")
            .labelNames("role").callback((callback) ->
            {
                final Role role = partition.role();
                for (final Role each : ROLES)
                {
                    callback.call(each == role ? 1 : 0, each.name().toLowerCase(Locale.ROOT));
                }
            }).register(registry);
        gauge(registry, "logship_role", "0 follower, 1 candidate, 2 leader, 3 fenced", () -> partition.role().code());
        gauge(registry, "logship_epoch", "current epoch", partition::epoch);
        gauge(registry, "logship_leader_id", "node id of the leader, -1 unknown", partition::leaderId);
        gauge(registry, "logship_log_start_offset", "first offset in the log", log::logStartOffset);
        gauge(registry, "logship_log_end_offset", "next offset to write", log::logEndOffset);
        gauge(registry, "logship_durable_end_offset", "offsets below are fsynced", log::durableEndOffset);
        gauge(registry, "logship_commit_offset", "offsets below are committed", partition::commitOffset);
        gauge(registry, "logship_applied_offset", "offsets below are applied to the store",
            () -> partition.store().appliedOffset());
        gauge(registry, "logship_log_size_bytes", "bytes in all segments", log::sizeBytes);
        GaugeWithCallback.builder().name("logship_follower_lag_records")
            .help("records the follower lacks durably (-1 not heard from yet); only on the leader")
            .labelNames("follower").callback((callback) ->
            {
                if (partition.role() == Role.LEADER)
                {
                    final long end = log.logEndOffset();
                    for (final FollowerProgress follower : commits.followers())
                    {
                        if (null != follower)
                        {
                            final long durable = follower.durableEndOffset;
                            callback.call(durable < 0 ? -1 : end - durable, Integer.toString(follower.nodeId));
                        }
                    }
                }
            }).register(registry);
        GaugeWithCallback.builder().name("logship_pending_quorum_writes").help("writes waiting for quorum; only on the leader")
            .callback((callback) ->
            {
                if (partition.role() == Role.LEADER)
                {
                    callback.call(ackWaits.quorumSize());
                }
            }).register(registry);
        GaugeWithCallback.builder().name("logship_pending_all_writes").help("writes waiting for all nodes; only on the leader")
            .callback((callback) ->
            {
                if (partition.role() == Role.LEADER)
                {
                    callback.call(ackWaits.allSize());
                }
            }).register(registry);
        gauge(registry, "logship_client_sessions", "connected clients", sessions::size);
        if (null != dutyCycles)
        {
            final DutyCycleTimer timer = dutyCycles;
            GaugeWithCallback.builder().name("logship_duty_cycle_max_seconds")
                .help("longest conductor duty cycle since the node started (heartbeats and votes wait behind it)")
                .callback((callback) -> callback.call(timer.maxCycleNs() / 1e9)).register(registry);
            CounterWithCallback.builder().name("logship_duty_cycles_over_total")
                .help("conductor duty cycles since start that took longer than the threshold (seconds): read before " +
                    "and after a run to count that run's stalls")
                .labelNames("threshold_seconds").callback((callback) ->
                {
                    for (int i = 0; i < DutyCycleTimer.countedThresholds(); i++)
                    {
                        callback.call(timer.cyclesOver(i), Double.toString(DutyCycleTimer.countedThresholdNs(i) / 1e9));
                    }
                }).register(registry);
        }

        counter(registry, "logship_writes_without_session_total",
            "write requests dropped because the client never connected", counters::writesWithoutSession);
        counter(registry, "logship_elections_started_total", "candidacies this node started", counters::electionsStarted);
        counter(registry, "logship_fault_dropped_messages_total",
            "messages from peers dropped by the faults file (fault injection)", counters::faultDroppedMessages);
        counter(registry, "logship_follower_slow_fsyncs_total", "follower fsyncs over 100 ms", flusher::slowFsyncs);
        registry.register(flusher.fsyncLatency());
        registry.register(counters.commitLatency().histogram());
        registry.register(counters.replicationRtt().histogram());
        counter(registry, "logship_log_events_dropped_total",
            "log events dropped because the async logging ring was full (stdout too slow)", DroppingLogQueuePolicy::dropped);
        counter(registry, "logship_leader_step_downs_total",
            "times this node stopped leading (lease lost, deposed, demoted, handed over)", counters::leaderDepositions);
        counter(registry, "logship_quarantined_records_total",
            "records cut from this node's log and kept in quarantine files", counters::quarantinedRecords);
        counter(registry, "logship_stale_epoch_refusals_total",
            "messages refused because they came from a lower epoch", counters::staleEpochRefusals);
        counter(registry, "logship_invalid_batches_from_leader_total",
            "batches from the leader refused (CRC, continuity)", counters::invalidBatchesFromLeader);
        streamCounter(registry, "logship_messages_received_total", "messages polled from the stream",
            MessageAdapter::receivedCount);
        streamCounter(registry, "logship_messages_rejected_total", "messages refused by the stream's adapter",
            MessageAdapter::rejectedCount);
        streamCounter(registry, "logship_messages_auth_failed_total", "messages whose HMAC did not verify",
            MessageAdapter::authFailedCount);
        streamCounter(registry, "logship_messages_malformed_total", "messages that did not decode",
            MessageAdapter::malformedCount);

        final int invalidPacketsCounterId = systemCounterId(driverCounters, SystemCounterDescriptor.INVALID_PACKETS.id());
        CounterWithCallback.builder().name("logship_transport_invalid_packets_total")
            .help("packets the media driver dropped as invalid (Aeron system counter 'Invalid packets')")
            .callback((callback) ->
            {
                if (invalidPacketsCounterId >= 0)
                {
                    callback.call(driverCounters.getCounterValue(invalidPacketsCounterId));
                }
            }).register(registry);
    }

    private static int systemCounterId(final CountersReader counters, final int systemCounterKey)
    {
        final int[] found = {-1};
        counters.forEach((counterId, typeId, keyBuffer, label) ->
        {
            if (typeId == AeronCounters.DRIVER_SYSTEM_COUNTER_TYPE_ID && keyBuffer.getInt(0) == systemCounterKey)
            {
                found[0] = counterId;
            }
        });
        return found[0];
    }

    private static void gauge(final PrometheusRegistry registry, final String name, final String help,
        final LongSupplier value)
    {
        GaugeWithCallback.builder().name(name).help(help)
            .callback((callback) -> callback.call(value.getAsLong())).register(registry);
    }

    private static void counter(final PrometheusRegistry registry, final String name, final String help,
        final LongSupplier value)
    {
        CounterWithCallback.builder().name(name).help(help)
            .callback((callback) -> callback.call(value.getAsLong())).register(registry);
    }

    private interface AdapterCount
    {
        long of(MessageAdapter adapter);
    }

    private void streamCounter(final PrometheusRegistry registry, final String name, final String help,
        final AdapterCount count)
    {
        CounterWithCallback.builder().name(name).help(help).labelNames("stream").callback((callback) ->
        {
            for (final MessageAdapter adapter : adapters)
            {
                callback.call(count.of(adapter), adapter.stream().name().toLowerCase(Locale.ROOT));
            }
        }).register(registry);
    }
}
