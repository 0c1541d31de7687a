package io.logship.node;

import io.logship.cluster.Member;
import io.logship.cluster.MemberRole;
import io.logship.cluster.Membership;
import io.logship.cluster.MembershipCodec;
import io.logship.format.BatchBuilder;
import io.logship.format.BatchDescriptor;
import io.logship.format.RecordType;
import io.logship.log.LogConfig;
import io.logship.log.SegmentedLog;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A node's configuration history (docs/DESIGN.md#membership): effective on append, reverted by a cut, persisted and
 * restored across a restart cut at the recovered log end, and the removed node's detection.
 */
class ClusterMembershipTest
{
    private static final System.Logger LOGGER = System.getLogger(ClusterMembershipTest.class.getName());
    private static final Membership THREE = new Membership(List.of(voter(1), voter(2), voter(3)));
    private static final Membership FOUR_LEARNER = THREE.withLearner(4, "127.0.0.1", 7004);

    @TempDir
    Path dir;

    private final BatchBuilder builder = new BatchBuilder(64 * 1024);
    private final List<String> events = new ArrayList<>();

    private static Member voter(final int id)
    {
        return new Member(id, "127.0.0.1", 7000 + id, MemberRole.VOTER);
    }

    private SegmentedLog open()
    {
        return SegmentedLog.open(new LogConfig().directory(dir.resolve("log")).segmentBytes(64 * 1024)
            .indexIntervalBytes(1024));
    }

    private ClusterMembership membership(final int nodeId, final Membership seed, final SegmentedLog log)
    {
        final ClusterMembership membership = new ClusterMembership(nodeId, seed,
            new MembershipFile(dir.resolve("membership")), log, LOGGER);
        membership.listener(new ClusterMembership.Listener()
        {
            @Override
            public void onConfiguration(final Membership next, final long offset)
            {
                events.add("config " + offset + " " + next);
            }

            @Override
            public void onRemoved(final long offset)
            {
                events.add("removed " + offset);
            }
        });
        return membership;
    }

    /** Appends {@code records} PUTs as a follower would: the batch bytes, then the node's hook. */
    private void appendPuts(final SegmentedLog log, final ClusterMembership membership, final int records)
    {
        builder.reset(1, 1_000);
        for (int i = 0; i < records; i++)
        {
            builder.put(("k" + i).getBytes(StandardCharsets.UTF_8), ("v" + i).getBytes(StandardCharsets.UTF_8));
        }
        appendBuilt(log, membership);
    }

    /** Appends a MEMBERS batch carrying {@code next}, as the leader's journal writes it. */
    private long appendMembers(final SegmentedLog log, final ClusterMembership membership, final Membership next)
    {
        final byte[] value = MembershipCodec.encode(next);
        builder.reset(1, 1_000).flags(BatchDescriptor.FLAG_MEMBERSHIP);
        builder.append(RecordType.MEMBERS, false, 0, 0, null, 0, 0, new UnsafeBuffer(value), 0, value.length);
        return appendBuilt(log, membership);
    }

    private long appendBuilt(final SegmentedLog log, final ClusterMembership membership)
    {
        final int length = builder.build();
        final long base = log.appendAsLeader(builder.buffer(), 0, length, true);
        BatchDescriptor.baseOffset(builder.buffer(), 0, base);
        if (null != membership)
        {
            membership.onFollowerAppend(builder.buffer(), 0, length);
        }
        return base;
    }

    @Test
    void shouldUseAConfigurationFromItsAppendAndRevertItWhenACutRemovesTheRecord()
    {
        try (SegmentedLog log = open())
        {
            final ClusterMembership membership = membership(1, THREE, log);
            appendPuts(log, membership, 5);
            final long at = appendMembers(log, membership, FOUR_LEARNER);
            assertThat(at).isEqualTo(5);
            assertThat(membership.current()).as("effective on append, not committed yet").isEqualTo(FOUR_LEARNER);
            assertThat(membership.history().currentCommitted()).isFalse();

            log.truncateTo(at);
            membership.onTruncated(at);
            assertThat(membership.current()).as("rule 3: the cut reverts").isEqualTo(THREE);
            assertThat(events).containsExactly("config 5 " + FOUR_LEARNER, "config -1 " + THREE);
        }
    }

    @Test
    void shouldRestoreThePersistedHistoryCutAtTheRecoveredLogEndAndReplayTheLogsTail()
    {
        final Membership removeThree = new Membership(List.of(voter(1), voter(2), new Member(4, "127.0.0.1", 7004,
            MemberRole.LEARNER)));
        try (SegmentedLog log = open())
        {
            final ClusterMembership membership = membership(1, THREE, log);
            appendPuts(log, membership, 3);
            appendMembers(log, membership, FOUR_LEARNER); // offset 3
            appendPuts(log, membership, 3);
            appendMembers(log, membership, removeThree); // offset 7
            membership.close(); // flushes the queued history to disk
            assertThat(Files.exists(dir.resolve("membership"))).isTrue();
            // A crash lost the tail from offset 7: the recovered log ends there.
            log.truncateTo(7);
        }
        events.clear();
        try (SegmentedLog log = open())
        {
            // The seed says {1, 2, 3}; what this node learned wins, cut at the recovered end.
            final ClusterMembership restored = membership(1, THREE, log);
            assertThat(restored.current()).isEqualTo(FOUR_LEARNER);
            assertThat(restored.history().currentOffset()).isEqualTo(3);
        }
    }

    @Test
    void shouldFindAMembersRecordTheHistoryFileMissedInTheLogOnRestart()
    {
        try (SegmentedLog log = open())
        {
            final ClusterMembership membership = membership(2, THREE, log);
            appendPuts(log, membership, 2);
            membership.close();
            // Appended (and fsynced) but the node died before its history file was rewritten.
            appendMembers(log, null, FOUR_LEARNER);
        }
        try (SegmentedLog log = open())
        {
            final ClusterMembership restored = membership(2, THREE, log);
            assertThat(restored.current()).isEqualTo(FOUR_LEARNER);
            assertThat(restored.history().currentOffset()).isEqualTo(2);
        }
    }

    @Test
    void shouldRefuseACorruptHistoryFileNamingIt() throws Exception
    {
        Files.write(dir.resolve("membership"), new byte[] { 1, 2, 3 });
        try (SegmentedLog log = open())
        {
            assertThatThrownBy(() -> membership(1, THREE, log)).hasMessageContaining(dir.resolve("membership")
                .toString()).hasMessageContaining("corrupt");
        }
    }

    @Test
    void shouldReportItsRemovalOnlyOnceTheRemovingConfigurationIsCommittedAndItHadBeenAMember()
    {
        final Membership withoutThree = new Membership(List.of(voter(1), voter(2)));
        try (SegmentedLog log = open())
        {
            final ClusterMembership membership = membership(3, THREE, log);
            appendPuts(log, membership, 2);
            final long at = appendMembers(log, membership, withoutThree);
            membership.onCommit(at, log.logEndOffset());
            assertThat(membership.removed()).as("appended, not committed: a cut could still revert it").isFalse();
            membership.onCommit(at + 1, log.logEndOffset());
            assertThat(membership.removed()).isTrue();
            assertThat(events).contains("removed " + at);
        }
    }

    @Test
    void shouldNotTakeAJoiningNodeForARemovedOneBeforeItIsAdded()
    {
        // Node 4 joins: its seed lacks itself, and the log it replicates holds configurations without it.
        final Membership withoutTwo = new Membership(List.of(voter(1), voter(3)));
        try (SegmentedLog log = open())
        {
            final ClusterMembership membership = membership(4, THREE, log);
            appendPuts(log, membership, 2);
            final long at = appendMembers(log, membership, withoutTwo);
            membership.onCommit(at + 1, log.logEndOffset());
            assertThat(membership.removed()).isFalse();
            appendMembers(log, membership, withoutTwo.withLearner(4, "127.0.0.1", 7004));
            assertThat(membership.current().member(4)).isNotNull();
        }
    }
}
