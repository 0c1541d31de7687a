package io.logship.node;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SnapshotScheduleTest
{
    private static final long INTERVAL = 1_000_000;

    /**
     * The nodes of a 3-node cluster apply the same offsets; with a snapshot taking less than a third of the interval,
     * no two of them snapshot over the same offsets, so a majority is always free of it. Counting records since
     * start (the old rule) put all three at the same offsets.
     */
    @Test
    void shouldNeverHaveTwoNodesOfAThreeNodeClusterSnapshottingOverTheSameOffsets()
    {
        final Set<Integer> members = Set.of(1, 2, 3);
        final List<SnapshotSchedule> nodes = List.of(SnapshotSchedule.forMember(INTERVAL, 1, members),
            SnapshotSchedule.forMember(INTERVAL, 2, members), SnapshotSchedule.forMember(INTERVAL, 3, members));
        final long window = INTERVAL / 3 - 1; // offsets applied while one snapshot is being written
        for (long offset = 0; offset < 10 * INTERVAL; offset += 997)
        {
            int snapshotting = 0;
            for (final SnapshotSchedule node : nodes)
            {
                final long lastBoundary = node.nextAfter(offset) - INTERVAL;
                if (lastBoundary >= 0 && offset - lastBoundary <= window)
                {
                    snapshotting++;
                }
            }
            assertThat(snapshotting).as("nodes snapshotting at offset %d", offset).isLessThanOrEqualTo(1);
        }
        assertThat(nodes).extracting(SnapshotSchedule::phase).containsExactly(0L, 333_333L, 666_666L);
    }

    @Test
    void shouldSpaceOneNodesSnapshotsByTheIntervalFromWhereverItsStoreStands()
    {
        final SnapshotSchedule node = SnapshotSchedule.forMember(INTERVAL, 20, List.of(10, 20, 30, 40));
        assertThat(node.phase()).isEqualTo(250_000);
        assertThat(node.nextAfter(0)).isEqualTo(250_000);
        assertThat(node.nextAfter(249_999)).isEqualTo(250_000);
        assertThat(node.nextAfter(250_000)).as("a snapshot just taken at the boundary").isEqualTo(1_250_000);
        assertThat(node.nextAfter(3_100_000)).as("a store that restarted, or installed a snapshot, there")
            .isEqualTo(3_250_000);
    }

    @Test
    void shouldGiveANodeOutsideTheConfiguredMembersAPhaseAndAOneNodeClusterPhaseZero()
    {
        assertThat(SnapshotSchedule.forMember(INTERVAL, 5, Set.of(1, 2, 3)).phase()).isEqualTo(666_666);
        assertThat(SnapshotSchedule.forMember(INTERVAL, 1, Set.of(1)).phase()).isZero();
        assertThat(SnapshotSchedule.forMember(1, 3, Set.of(1, 2, 3)).nextAfter(7)).isEqualTo(8);
        assertThat(SnapshotSchedule.forMember(Long.MAX_VALUE, 2, Set.of(1, 2)).nextAfter(Long.MAX_VALUE - 1))
            .isEqualTo(Long.MAX_VALUE);
        assertThatThrownBy(() -> new SnapshotSchedule(10, 10)).isInstanceOf(IllegalArgumentException.class);
    }
}
