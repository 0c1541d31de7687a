package io.logship.node.status;

import io.logship.log.SegmentedLog;
import io.logship.node.ReplicatedLog;
import io.logship.node.Role;
import io.logship.node.follower.FollowerFlusher;
import io.logship.node.ingress.ClientSessions;
import io.logship.node.leader.CommitTracker;
import io.logship.node.leader.FollowerProgress;
import io.logship.node.write.AckWaits;
import io.logship.transport.MessageAdapter;

/**
 * Renders the node's Prometheus metrics. Called on the metrics HTTP thread: it reads single fields only
 * (volatile, or plain ones the conductor writes whole), so a value may be stale by a duty cycle, never torn.
 * Metric names and help texts are an interface: dashboards and the system tests parse them.
 */
public final class NodeMetrics
{
    private final ReplicatedLog partition;
    private final CommitTracker commits;
    private final AckWaits ackWaits;
    private final ClientSessions sessions;
    private final FollowerFlusher flusher;
    private final MessageAdapter[] adapters;

    public NodeMetrics(final ReplicatedLog partition, final CommitTracker commits, final AckWaits ackWaits,
        final ClientSessions sessions, final FollowerFlusher flusher, final MessageAdapter... adapters)
    {
        this.partition = partition;
        this.commits = commits;
        this.ackWaits = ackWaits;
        this.sessions = sessions;
        this.flusher = flusher;
        this.adapters = adapters;
    }

    public void render(final StringBuilder text)
    {
        final SegmentedLog log = partition.log();
        final NodeCounters counters = partition.counters();
        final Role role = partition.role();
        MetricsEndpoint.gauge(text, "logship_role", "0 follower, 1 candidate, 2 leader, 3 fenced", role.code());
        MetricsEndpoint.gauge(text, "logship_epoch", "current epoch", partition.epoch());
        MetricsEndpoint.gauge(text, "logship_leader_id", "node id of the leader, -1 unknown", partition.leaderId());
        MetricsEndpoint.gauge(text, "logship_log_start_offset", "first offset in the log", log.logStartOffset());
        MetricsEndpoint.gauge(text, "logship_log_end_offset", "next offset to write", log.logEndOffset());
        MetricsEndpoint.gauge(text, "logship_durable_end_offset", "offsets below are fsynced", log.durableEndOffset());
        MetricsEndpoint.gauge(text, "logship_commit_offset", "offsets below are committed", partition.commitOffset());
        MetricsEndpoint.gauge(text, "logship_applied_offset", "offsets below are applied to the store",
            partition.store().appliedOffset());
        MetricsEndpoint.gauge(text, "logship_log_size_bytes", "bytes in all segments", log.sizeBytes());
        if (role == Role.LEADER)
        {
            text.append("# HELP logship_follower_lag_records records the follower lacks durably\n")
                .append("# TYPE logship_follower_lag_records gauge\n");
            for (final FollowerProgress follower : commits.followers())
            {
                if (null != follower)
                {
                    final long durable = follower.durableEndOffset;
                    text.append("logship_follower_lag_records{follower=\"").append(follower.nodeId).append("\"} ")
                        .append(durable < 0 ? -1 : log.logEndOffset() - durable).append('\n');
                }
            }
            MetricsEndpoint.gauge(text, "logship_pending_quorum_writes", "writes waiting for quorum",
                ackWaits.quorumSize());
            MetricsEndpoint.gauge(text, "logship_pending_all_writes", "writes waiting for all nodes", ackWaits.allSize());
        }
        MetricsEndpoint.gauge(text, "logship_client_sessions", "connected clients", sessions.size());
        MetricsEndpoint.counter(text, "logship_writes_without_session_total",
            "write requests dropped because the client never connected", counters.writesWithoutSession());
        MetricsEndpoint.counter(text, "logship_elections_started_total", "candidacies this node started",
            counters.electionsStarted());
        MetricsEndpoint.counter(text, "logship_fault_dropped_messages_total",
            "messages from peers dropped by the faults file (fault injection)", counters.faultDroppedMessages());
        MetricsEndpoint.counter(text, "logship_follower_slow_fsyncs_total", "follower fsyncs over 100 ms",
            flusher.slowFsyncs());
        MetricsEndpoint.counter(text, "logship_leader_step_downs_total",
            "times this node stopped leading (lease lost, deposed, demoted, handed over)", counters.leaderDepositions());
        MetricsEndpoint.counter(text, "logship_quarantined_records_total",
            "records cut from this node's log and kept in quarantine files", counters.quarantinedRecords());
        MetricsEndpoint.counter(text, "logship_stale_epoch_refusals_total",
            "messages refused because they came from a lower epoch", counters.staleEpochRefusals());
        MetricsEndpoint.counter(text, "logship_invalid_batches_from_leader_total",
            "batches from the leader refused (CRC, continuity)", counters.invalidBatchesFromLeader());
        for (final MessageAdapter adapter : adapters)
        {
            final String stream = adapter.stream().name().toLowerCase();
            text.append("logship_messages_received_total{stream=\"").append(stream).append("\"} ")
                .append(adapter.receivedCount()).append('\n')
                .append("logship_messages_rejected_total{stream=\"").append(stream).append("\"} ")
                .append(adapter.rejectedCount()).append('\n')
                .append("logship_messages_auth_failed_total{stream=\"").append(stream).append("\"} ")
                .append(adapter.authFailedCount()).append('\n')
                .append("logship_messages_malformed_total{stream=\"").append(stream).append("\"} ")
                .append(adapter.malformedCount()).append('\n');
        }
    }
}
