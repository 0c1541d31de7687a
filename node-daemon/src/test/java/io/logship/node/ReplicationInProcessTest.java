package io.logship.node;

import io.logship.format.BatchBuilder;
import io.logship.format.BatchDescriptor;
import io.logship.log.EpochHistory;
import io.logship.log.FsyncPolicy;
import io.logship.log.LogConfig;
import io.logship.log.SegmentedLog;
import io.logship.node.follower.LogReconciler;
import io.logship.node.follower.SegmentedLogView;
import io.logship.node.leader.CommitTracker;
import io.logship.node.leader.FollowerProgress;
import io.logship.node.status.NodeCounters;
import org.agrona.concurrent.CachedNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The node's own replication code, in one process, on real logs in temporary directories and a fake clock:
 * the leader's {@link CommitTracker} and the follower's {@link LogReconciler} round after round, with the
 * leader's answers taken from its real epoch history (what {@code FeedbackAdapter} sends back).
 */
class ReplicationInProcessTest
{
    private static final System.Logger LOGGER = System.getLogger(ReplicationInProcessTest.class.getName());

    @TempDir
    Path dir;

    private final BatchBuilder builder = new BatchBuilder(64 * 1024);
    private final CachedNanoClock clock = new CachedNanoClock();

    private SegmentedLog open(final String name)
    {
        return SegmentedLog.open(new LogConfig().directory(dir.resolve(name)).segmentBytes(64 * 1024)
            .indexIntervalBytes(1024));
    }

    /** Appends one batch of {@code records} records in {@code epoch}, as the leader of that epoch would. */
    private void append(final SegmentedLog log, final int epoch, final int records, final String tag)
    {
        append(log, epoch, records, tag, true);
    }

    /** As the leader's journal appends: {@code force} false leaves the fsync to the flusher thread. */
    private void append(final SegmentedLog log, final int epoch, final int records, final String tag, final boolean force)
    {
        builder.reset(epoch, 1_000);
        for (int i = 0; i < records; i++)
        {
            builder.put(("k" + i).getBytes(StandardCharsets.UTF_8),
                (tag + "-" + epoch + "-" + i).getBytes(StandardCharsets.UTF_8));
        }
        final int length = builder.build();
        log.appendAsLeader(builder.buffer(), 0, length, force);
    }

    private static byte[] bytes(final SegmentedLog log)
    {
        final ByteBuffer buffer = ByteBuffer.allocate(1024 * 1024);
        final int length = log.read(log.logStartOffset(), buffer.capacity(), buffer);
        final byte[] copy = new byte[length];
        buffer.flip();
        buffer.get(copy, 0, length);
        return copy;
    }

    @Test
    void shouldCutAFollowersDivergentSuffixRoundByRoundUntilItsLogIsAPrefixOfTheLeaders()
    {
        try (SegmentedLog leader = open("leader"); SegmentedLog follower = open("follower"))
        {
            // Both had epoch 1; the follower then led epoch 3 alone (never heard of by the others), while
            // the leader wrote epochs 2 and 4.
            append(leader, 1, 3, "a");
            append(follower, 1, 3, "a");
            append(follower, 3, 4, "lost");
            append(leader, 2, 2, "b");
            append(leader, 4, 2, "c");
            final long appliedOnFollower = 3;

            int rounds = 0;
            boolean reconciled = false;
            while (!reconciled)
            {
                rounds++;
                final int asked = follower.epochHistory().latestEpoch();
                final EpochHistory.EpochEnd answer = leader.epochHistory().endOffsetFor(asked, leader.logEndOffset());
                final long cut = LogReconciler.cutOffset(new SegmentedLogView(follower), appliedOnFollower,
                    answer.epoch(), answer.endOffset(), leader.epochHistory().latestEpoch());
                if (cut < follower.logEndOffset())
                {
                    follower.truncateTo(cut);
                }
                reconciled = LogReconciler.isReconciled(answer.epoch(), asked, follower.epochHistory().latestEpoch());
            }
            assertThat(follower.logEndOffset()).isEqualTo(3);
            assertThat(rounds).isEqualTo(2);

            // Fetch: the follower appends what the leader ships from its log end, checked batch by batch.
            final ByteBuffer shipped = ByteBuffer.allocateDirect(1024 * 1024);
            final int length = leader.read(follower.logEndOffset(), shipped.capacity(), shipped);
            final UnsafeBuffer batches = new UnsafeBuffer(shipped);
            for (int position = 0; position < length; position += BatchDescriptor.length(batches, position))
            {
                follower.appendAsFollower(batches, position, BatchDescriptor.length(batches, position));
            }
            assertThat(bytes(follower)).isEqualTo(bytes(leader));
            assertThat(follower.epochHistory().latestEpoch()).isEqualTo(4);
        }
    }

    @Test
    void shouldCommitOnlyWhatAMajorityHoldsAndNothingBeforeTheEpochsNoopIsHeldByAMajority()
    {
        try (SegmentedLog log = open("leader"))
        {
            append(log, 1, 5, "old");
            append(log, 2, 1, "noop");
            append(log, 2, 4, "new");
            log.flush();
            final ReplicatedLog partition = new ReplicatedLog(1, log, null, clock, LOGGER, new NodeCounters());
            final FollowerProgress[] followers = new FollowerProgress[4];
            followers[2] = new FollowerProgress(2, null, null);
            followers[3] = new FollowerProgress(3, null, null);
            final CommitTracker commits = new CommitTracker(partition, followers, 3, FsyncPolicy.ALWAYS);

            commits.epochStartOffset(5);
            followers[2].durableEndOffset = 5; // the old epoch's records only
            commits.updateCommitOffset();
            assertThat(partition.commitOffset()).isZero();

            followers[2].durableEndOffset = 8;
            commits.updateCommitOffset();
            assertThat(partition.commitOffset()).isEqualTo(8);
            assertThat(commits.lowestHeldOffset()).isEqualTo(-1);
            assertThat(commits.nodesHolding(7)).containsExactly(1, 2);

            followers[2].durableEndOffset = 6; // a lower report never moves the commit offset back
            commits.updateCommitOffset();
            assertThat(partition.commitOffset()).isEqualTo(8);

            followers[3].durableEndOffset = 10;
            commits.updateCommitOffset();
            assertThat(partition.commitOffset()).isEqualTo(10);
            assertThat(commits.lowestHeldOffset()).isEqualTo(6);
        }
    }

    @Test
    void shouldCommitUnderFsyncAlwaysOnlyWhatAMajorityHasFsyncedNotWhatItHasWritten()
    {
        try (SegmentedLog log = open("leader"))
        {
            append(log, 1, 1, "noop");
            append(log, 1, 4, "new", false); // the journal appended; the flusher has not forced it yet
            final ReplicatedLog partition = new ReplicatedLog(1, log, null, clock, LOGGER, new NodeCounters());
            final FollowerProgress[] followers = new FollowerProgress[4];
            followers[2] = new FollowerProgress(2, null, null);
            followers[3] = new FollowerProgress(3, null, null);
            final CommitTracker commits = new CommitTracker(partition, followers, 3, FsyncPolicy.ALWAYS);
            commits.epochStartOffset(0);
            followers[2].durableEndOffset = 1;
            followers[2].writtenEndOffset = 5;
            followers[3].durableEndOffset = 1;
            followers[3].writtenEndOffset = 5;

            commits.updateCommitOffset();
            assertThat(partition.commitOffset()).as("written everywhere, fsynced nowhere past the NOOP").isEqualTo(1);
            assertThat(commits.leaderHeldEndOffset()).isEqualTo(1);
            assertThat(commits.nodesWritten(4)).isEqualTo(3);
            assertThat(commits.nodesDurable(4)).isZero();

            followers[3].durableEndOffset = 5;
            commits.updateCommitOffset();
            assertThat(partition.commitOffset()).as("one of three fsynced").isEqualTo(1);

            log.flush();
            commits.updateCommitOffset();
            assertThat(partition.commitOffset()).as("leader and node 3 fsynced: a majority").isEqualTo(5);
            assertThat(commits.nodesDurable(4)).isEqualTo(2);
            assertThat(commits.lowestHeldOffset()).as("node 2 has not fsynced").isEqualTo(1);
        }
    }

    @Test
    void shouldCommitUnderFsyncIntervalWhatAMajorityHasWrittenBeforeAnyFsync()
    {
        try (SegmentedLog log = open("leader"))
        {
            append(log, 1, 1, "noop");
            append(log, 1, 4, "new", false);
            final ReplicatedLog partition = new ReplicatedLog(1, log, null, clock, LOGGER, new NodeCounters());
            final FollowerProgress[] followers = new FollowerProgress[4];
            followers[2] = new FollowerProgress(2, null, null);
            followers[3] = new FollowerProgress(3, null, null);
            final CommitTracker commits = new CommitTracker(partition, followers, 3, FsyncPolicy.INTERVAL);
            commits.epochStartOffset(0);
            followers[2].durableEndOffset = 1;
            followers[2].writtenEndOffset = 5;
            followers[2].holdsWritten = true;
            followers[3].durableEndOffset = 1;
            followers[3].writtenEndOffset = 1;
            followers[3].holdsWritten = true;

            commits.updateCommitOffset();
            assertThat(partition.commitOffset()).as("leader and node 2 wrote it (Kafka's acks=all model)").isEqualTo(5);
            assertThat(commits.leaderHeldEndOffset()).isEqualTo(5);
            assertThat(commits.nodesWritten(4)).isEqualTo(2);
            assertThat(commits.nodesDurable(4)).isZero();
            assertThat(commits.nodesHolding(4)).containsExactly(1, 2);
        }
    }
    @Test
    void shouldCountOnlyVotersTowardsTheCommitAndAckLevelAllWhileLearnersAckAsFollowers()
    {
        try (SegmentedLog log = open("leader"))
        {
            append(log, 1, 1, "noop");
            append(log, 1, 9, "new");
            final ReplicatedLog partition = new ReplicatedLog(1, log, null, clock, LOGGER, new NodeCounters());
            // Voters 1 (the leader) and 2 and 3; learners 4 and 5 (docs/DESIGN.md#membership).
            final FollowerProgress[] followers = new FollowerProgress[6];
            for (int id = 2; id <= 5; id++)
            {
                followers[id] = new FollowerProgress(id, null, null);
                followers[id].voter = id <= 3;
            }
            final CommitTracker commits = new CommitTracker(partition, new FollowerProgress[4], 3, FsyncPolicy.ALWAYS);
            commits.reconfigure(followers, true);
            commits.epochStartOffset(0);
            followers[4].durableEndOffset = 10;
            followers[5].durableEndOffset = 10;
            followers[2].durableEndOffset = 1;
            followers[3].durableEndOffset = 1;

            commits.updateCommitOffset();
            assertThat(partition.commitOffset()).as("three of five nodes hold offset 9, but only one of three voters")
                .isEqualTo(1);
            assertThat(commits.nodesDurable(9)).as("the receipt counts every node that holds it").isEqualTo(3);

            followers[3].durableEndOffset = 10;
            commits.updateCommitOffset();
            assertThat(partition.commitOffset()).as("leader and voter 3: a majority of the voters").isEqualTo(10);
            assertThat(commits.lowestHeldOffset()).as("ALL waits for voter 2, not for learners").isEqualTo(1);

            followers[2].durableEndOffset = 10;
            followers[4].durableEndOffset = -1;
            assertThat(commits.lowestHeldOffset()).as("a silent learner holds up no ALL write").isEqualTo(10);
        }
    }
}
