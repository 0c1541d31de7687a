package io.logship.node.admin;

import com.lmax.disruptor.EventPoller;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.Sequence;
import com.lmax.disruptor.SleepingWaitStrategy;
import io.logship.cluster.Member;
import io.logship.cluster.MemberRole;
import io.logship.cluster.Membership;
import io.logship.format.BatchDescriptor;
import io.logship.log.FsyncPolicy;
import io.logship.log.LogConfig;
import io.logship.log.SegmentedLog;
import io.logship.node.ClusterMembership;
import io.logship.node.MembershipFile;
import io.logship.node.ReplicatedLog;
import io.logship.node.Role;
import io.logship.node.election.ElectionState;
import io.logship.node.election.LocalLogView;
import io.logship.node.election.LoneLeader;
import io.logship.node.ingress.ClientSessions;
import io.logship.node.leader.CommitTracker;
import io.logship.node.leader.FollowerProgress;
import io.logship.node.pipeline.JournalHandler;
import io.logship.node.pipeline.WriteEvent;
import io.logship.node.status.NodeCounters;
import io.logship.node.write.JournalResultPoller;
import io.logship.transport.codec.MemberChange;
import io.logship.transport.codec.MemberChangeRequestDecoder;
import io.logship.transport.codec.MemberChangeRequestEncoder;
import io.logship.transport.codec.MessageHeaderEncoder;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.CachedNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The leader's side of {@code logship member add|promote|remove} on a real log and the real journal: a change is
 * appended as one MEMBERS batch flagged FLAG_MEMBERSHIP and takes effect on append (rule 2), a second change is
 * refused while one is in flight (rule 4), and a follower reading the shipped batch arrives at the same
 * configuration.
 */
class MemberChangesTest
{
    private static final System.Logger LOGGER = System.getLogger(MemberChangesTest.class.getName());
    private static final Membership ALONE = new Membership(List.of(new Member(1, "127.0.0.1", 7001, MemberRole.VOTER)));

    @TempDir
    Path dir;

    private final CachedNanoClock clock = new CachedNanoClock();
    private final List<Membership> applied = new ArrayList<>();
    private final Sequence journalSequence = new Sequence();
    private SegmentedLog log;
    private ReplicatedLog partition;
    private RingBuffer<WriteEvent> ring;
    private JournalHandler journalHandler;
    private JournalResultPoller journal;
    private CommitTracker commits;
    private ClusterMembership membership;
    private MemberChanges changes;

    @BeforeEach
    void leaderOfOne()
    {
        log = SegmentedLog.open(new LogConfig().directory(dir.resolve("log")).segmentBytes(64 * 1024)
            .indexIntervalBytes(1024));
        partition = new ReplicatedLog(1, log, null, clock, LOGGER, new NodeCounters());
        final ElectionState election = LoneLeader.elected(new LocalLogView(log)); // a one-voter cluster: it leads at once
        partition.election(election);
        partition.epoch(election.epoch());
        partition.leaderId(1);
        partition.role(Role.LEADER);
        partition.leadingEpoch(election.epoch());

        ring = RingBuffer.createSingleProducer(WriteEvent::new, 16, new SleepingWaitStrategy());
        final EventPoller<WriteEvent> poller = ring.newPoller(journalSequence);
        ring.addGatingSequences(poller.getSequence());
        journalHandler = new JournalHandler(log, 64 * 1024, partition::leadingEpoch, 16, LOGGER,
            System::currentTimeMillis, () -> { });
        commits = new CommitTracker(partition, new FollowerProgress[4], 1, FsyncPolicy.ALWAYS);
        journal = new JournalResultPoller(partition, ring, poller, null, commits, null, null, null);
        membership = new ClusterMembership(1, ALONE, new MembershipFile(dir.resolve("membership")), log, LOGGER);
        membership.listener(new ClusterMembership.Listener()
        {
            @Override
            public void onConfiguration(final Membership next, final long offset)
            {
                applied.add(next);
            }

            @Override
            public void onRemoved(final long offset)
            {
            }
        });
        changes = new MemberChanges(partition, new ClientSessions(null, 4), commits, journal, membership, null,
            5_000, 300);
        journal.membersResults(changes);

        // The epoch opens with its NOOP at offset 0, committed: only then may a change be made (rule 4).
        journal.publishEpochStart();
        runJournal();
        assertThat(commits.epochStartOffset()).isZero();
        commit(1);
    }

    @AfterEach
    void close()
    {
        log.close(); // the membership file's writer thread was never started: nothing else to stop
    }

    @Test
    void shouldAppendAChangeAsOneMembershipBatchEffectiveOnAppendAndRefuseASecondWhileItIsInFlight()
    {
        changes.onRequest(request(MemberChange.ADD, 2, "127.0.0.1:7002"), clock.nanoTime());
        assertThat(changes.inFlight()).isTrue();
        final long published = ring.getCursor();

        changes.onRequest(request(MemberChange.ADD, 3, "127.0.0.1:7003"), clock.nanoTime());
        assertThat(ring.getCursor()).as("refused: nothing more in the ring").isEqualTo(published);

        runJournal();
        assertThat(log.logEndOffset()).isEqualTo(2);
        assertThat(membership.current().learners()).extracting(Member::id).containsExactly(2);
        assertThat(membership.history().currentOffset()).isEqualTo(1);
        assertThat(membership.history().currentCommitted()).isFalse();
        assertThat(applied).hasSize(1);

        changes.onRequest(request(MemberChange.ADD, 3, "127.0.0.1:7003"), clock.nanoTime());
        assertThat(ring.getCursor()).as("appended but not committed: still refused").isEqualTo(published);

        commit(2);
        changes.onDutyCycle(clock.nanoTime());
        assertThat(changes.inFlight()).isFalse();
        changes.onRequest(request(MemberChange.ADD, 3, "127.0.0.1:7003"), clock.nanoTime());
        assertThat(ring.getCursor()).as("the previous change committed: the next one goes").isGreaterThan(published);
    }

    @Test
    void shouldRefusePromotingALearnerThatIsNotCaughtUpAndRemovingTheLeader()
    {
        changes.onRequest(request(MemberChange.ADD, 2, "127.0.0.1:7002"), clock.nanoTime());
        runJournal();
        commit(2);
        changes.onDutyCycle(clock.nanoTime());
        final long before = ring.getCursor();

        changes.onRequest(request(MemberChange.PROMOTE, 2, ""), clock.nanoTime());
        changes.onRequest(request(MemberChange.REMOVE, 1, ""), clock.nanoTime());
        changes.onRequest(request(MemberChange.PROMOTE, 9, ""), clock.nanoTime());
        assertThat(ring.getCursor()).isEqualTo(before);
        assertThat(changes.inFlight()).isFalse();
        assertThat(membership.current().learners()).extracting(Member::id).containsExactly(2);
    }

    @Test
    void shouldShipABatchAFollowerReadsAsTheSameConfiguration()
    {
        changes.onRequest(request(MemberChange.ADD, 2, "127.0.0.1:7002"), clock.nanoTime());
        runJournal();

        final ExpandableArrayBuffer shipped = new ExpandableArrayBuffer(64 * 1024);
        final int length = log.read(1, 64 * 1024, shipped, 0);
        assertThat(BatchDescriptor.flags(shipped, 0) & BatchDescriptor.FLAG_MEMBERSHIP).isNotZero();
        assertThat(BatchDescriptor.recordCount(shipped, 0)).isOne();

        try (SegmentedLog followerLog = SegmentedLog.open(new LogConfig().directory(dir.resolve("follower"))
            .segmentBytes(64 * 1024).indexIntervalBytes(1024)))
        {
            final ClusterMembership follower = new ClusterMembership(2, ALONE,
                new MembershipFile(dir.resolve("follower-membership")), followerLog, LOGGER);
            final List<Membership> seen = new ArrayList<>();
            follower.listener(new ClusterMembership.Listener()
            {
                @Override
                public void onConfiguration(final Membership next, final long offset)
                {
                    seen.add(next);
                }

                @Override
                public void onRemoved(final long offset)
                {
                }
            });
            follower.onFollowerAppend(shipped, 0, length);
            assertThat(follower.current()).isEqualTo(membership.current());
            assertThat(follower.history().currentOffset()).isEqualTo(1);
            assertThat(seen).containsExactly(membership.current());
        }
    }

    @Test
    void shouldStateTheConfigurationAgainWhenASnapshotSentToAFollowerLiesAboveItsRecord()
    {
        changes.onRequest(request(MemberChange.ADD, 2, "127.0.0.1:7002"), clock.nanoTime());
        runJournal();
        commit(2);
        changes.onDutyCycle(clock.nanoTime());
        final Membership added = membership.current();

        changes.onSnapshotSent(1); // the snapshot's offset is not above the record at 1: the follower fetches it
        assertThat(changes.onDutyCycle(clock.nanoTime())).isZero();
        assertThat(ring.getCursor()).isEqualTo(1);

        changes.onSnapshotSent(2); // above it: a follower installing it would never see the record
        assertThat(changes.onDutyCycle(clock.nanoTime())).isOne();
        runJournal();
        assertThat(membership.history().currentOffset()).isEqualTo(2);
        assertThat(membership.current()).isEqualTo(added);
        commit(3);
        assertThat(changes.onDutyCycle(clock.nanoTime())).as("stated once").isZero();
        assertThat(ring.getCursor()).isEqualTo(2);
    }

    private void commit(final long offset)
    {
        partition.commitOffset(offset);
        membership.onCommit(offset, log.logEndOffset());
    }

    /** The journal thread's work for everything published so far, then the conductor's collection of the results. */
    private void runJournal()
    {
        final long cursor = ring.getCursor();
        for (long sequence = journalSequence.get() + 1; sequence <= cursor; sequence++)
        {
            journalHandler.onEvent(ring.get(sequence), sequence, sequence == cursor);
        }
        journalSequence.set(cursor);
        while (journal.poll() > 0)
        {
            // collects every result
        }
    }

    private static MemberChangeRequestDecoder request(final MemberChange change, final int memberId,
        final String address)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[256]);
        final MemberChangeRequestEncoder encoder = new MemberChangeRequestEncoder();
        encoder.wrapAndApplyHeader(buffer, 0, new MessageHeaderEncoder()).correlationId(7).clientId(42)
            .change(change).memberId(memberId).role(io.logship.transport.codec.MemberRole.LEARNER).address(address);
        return new MemberChangeRequestDecoder().wrap(buffer, MessageHeaderEncoder.ENCODED_LENGTH,
            MemberChangeRequestEncoder.BLOCK_LENGTH, MemberChangeRequestEncoder.SCHEMA_VERSION);
    }
}
