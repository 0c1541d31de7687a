package io.logship.node.status;

import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** What each of the node's latency sources feeds its histogram: {@link CommitLatency}, {@link ReplicationRtt}, {@link ApplyLag}. */
class LatencySourcesTest
{
    private static final long MS = 1_000_000;

    @Test
    void shouldTimeEachWriteFromItsAppendToTheCommitOffsetPassingItsLastRecord()
    {
        final CommitLatency latency = new CommitLatency();
        latency.onAppended(9, 0);        // records 0..9
        latency.onAppended(19, 2 * MS);  // records 10..19

        latency.onCommitOffset(10, 5 * MS); // offsets below 10 committed: only the first write
        assertThat(point(latency.histogram()).getCount()).isEqualTo(1);
        latency.onCommitOffset(19, 6 * MS); // record 19 not yet committed
        assertThat(point(latency.histogram()).getCount()).isEqualTo(1);
        latency.onCommitOffset(20, 8 * MS);

        assertThat(point(latency.histogram()).getCount()).isEqualTo(2);
        assertThat(point(latency.histogram()).getSum()).isCloseTo(0.005 + 0.006, within(1e-9));
    }

    @Test
    void shouldForgetWritesInFlightOnClearAndSkipWritesBeyondItsCapacity()
    {
        final CommitLatency latency = new CommitLatency();
        latency.onAppended(0, 0);
        latency.clear(); // stepped down: offset 0 may be another epoch's write later
        latency.onCommitOffset(1, MS);
        assertThat(point(latency.histogram()).getCount()).isZero();

        for (int i = 0; i < CommitLatency.CAPACITY + 10; i++)
        {
            latency.onAppended(i, 0);
        }
        latency.onCommitOffset(Long.MAX_VALUE, MS);
        assertThat(point(latency.histogram()).getCount()).isEqualTo(CommitLatency.CAPACITY);
    }

    @Test
    void shouldTimeOnlyTheFirstAckEchoingEachHeartbeatPerFollower()
    {
        final ReplicationRtt rtt = new ReplicationRtt();
        rtt.onAck(2, -1, 5 * MS);        // no heartbeat seen yet
        rtt.onAck(2, 10 * MS, 11 * MS);  // the heartbeat's own ack: 1 ms
        rtt.onAck(2, 10 * MS, 30 * MS);  // a batch's ack echoing the same heartbeat: not a round trip
        rtt.onAck(3, 10 * MS, 12 * MS);  // another follower: 2 ms

        assertThat(point(rtt.histogram()).getCount()).isEqualTo(2);
        assertThat(point(rtt.histogram()).getSum()).isCloseTo(0.003, within(1e-9));
    }

    @Test
    void shouldTimeFromSeeingACommitToHavingAppliedUpToIt()
    {
        final ApplyLag lag = new ApplyLag();
        lag.onCommitSeen(10, 10, 0);      // nothing to apply
        lag.onApplied(10, MS);
        assertThat(point(lag.histogram()).getCount()).isZero();

        lag.onCommitSeen(20, 10, 2 * MS);
        lag.onApplied(15, 3 * MS);        // part applied: keeps waiting for 20
        lag.onCommitSeen(30, 15, 4 * MS); // a newer commit does not move the one being timed
        lag.onApplied(20, 7 * MS);

        assertThat(point(lag.histogram()).getCount()).isEqualTo(1);
        assertThat(point(lag.histogram()).getSum()).isCloseTo(0.005, within(1e-9));
    }

    private static HistogramSnapshot.HistogramDataPointSnapshot point(final LatencyHistogram histogram)
    {
        return ((HistogramSnapshot)histogram.collect()).getDataPoints().get(0);
    }
}
