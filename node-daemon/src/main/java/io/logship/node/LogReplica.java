package io.logship.node;

import io.logship.node.election.AdminOutcome;
import io.logship.node.election.ElectionRole;

import com.lmax.disruptor.EventPoller;
import com.lmax.disruptor.RingBuffer;
import io.logship.cluster.Member;
import io.logship.cluster.MemberRole;
import io.logship.cluster.Membership;
import io.logship.log.EpochHistory;
import io.logship.log.SegmentedLog;
import io.logship.node.admin.AdminCommands;
import io.logship.node.admin.ChecksumPublisher;
import io.logship.node.admin.MemberChanges;
import io.logship.node.election.ElectionConfig;
import io.logship.node.admin.StatusPublisher;
import io.logship.node.dedup.Deduplication;
import io.logship.node.egress.PeerPublishers;
import io.logship.node.egress.ResponsePublisher;
import io.logship.node.egress.SendBuffer;
import io.logship.node.election.ElectionAdapter;
import io.logship.node.election.ElectionPublisher;
import io.logship.node.election.ElectionState;
import io.logship.node.election.LocalLogView;
import io.logship.node.election.Outbox;
import io.logship.node.election.AsyncPersistence;
import io.logship.node.fault.FaultInjector;
import io.logship.node.follower.FeedbackPublisher;
import io.logship.node.follower.FollowerReplication;
import io.logship.node.follower.ReplicationAdapter;
import io.logship.node.follower.SnapshotInstaller;
import io.logship.node.ingress.ClientSessions;
import io.logship.node.ingress.RequestTimeouts;
import io.logship.node.leader.CommitTracker;
import io.logship.node.leader.FeedbackAdapter;
import io.logship.node.leader.FollowerProgress;
import io.logship.node.leader.ReplicationPublisher;
import io.logship.node.pipeline.LogFlusher;
import io.logship.node.pipeline.RecentBatches;
import io.logship.node.pipeline.WriteEvent;
import io.logship.node.read.LogReadBuffer;
import io.logship.node.pipeline.Wakeup;
import io.logship.node.read.ReadService;
import io.logship.node.write.AckWaits;
import io.logship.node.write.JournalResultPoller;
import io.logship.node.write.PendingWrites;
import io.logship.node.write.WriteIntake;
import io.logship.node.write.WriteValidator;
import io.logship.transport.codec.AckLevel;
import io.logship.transport.codec.Status;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static java.lang.System.Logger.Level.ERROR;
import static java.lang.System.Logger.Level.INFO;
import static java.lang.System.Logger.Level.WARNING;

/**
 * This node's replica of one replicated log: its state ({@link ReplicatedLog}) and every collaborator that
 * works on that log alone — the election, the leader side (commit tracking, shipping, feedback, write
 * intake, acknowledgement waits, de-duplication) and the follower side (replication, reconciliation,
 * snapshot install). It also carries out what the election decides: the role transitions, as the
 * election's {@link Outbox}. The node's duty thread, transport, sessions and admin stream are shared by
 * every replica, so a node can later host several logs.
 *
 * <pre>
 *  leader:   client ingress ──► ring ──► JournalHandler (append + fsync) ──► JournalResultPoller
 *                                                                             │ offsets
 *            log ──► ReplicationPublisher (live and catch-up are one path) ◄──┘
 *            FeedbackAdapter (acks) ──► CommitTracker (majority, current-epoch rule) ──► AckWaits
 *  follower: ReplicationAdapter ──► FollowerReplication: reconcile (LogReconciler) ──► append ──► ack
 *  both:     reads, tail, status, checksum; ApplyAgent applies up to the commit offset on its own thread
 * </pre>
 *
 * Everything is fenced by epochs: a leader starts a new epoch when elected (persisted before use) and opens
 * it with a NOOP batch; the commit offset only moves once a majority holds that batch; a follower
 * reconciles its log with the leader's epoch history (quarantining and truncating a divergent suffix)
 * before it fetches; anything from a lower epoch is refused with the current epoch.
 *
 * <p>Conductor thread only, except the volatile state in {@link ReplicatedLog}.
 */
final class LogReplica
{
    private final NodeConfig config;
    private final ReplicatedLog partition;
    private final SegmentedLog log;
    private final System.Logger logger;
    private final int nodeId;
    private final int clusterSize;

    final CommitTracker commits;
    final Deduplication dedup;
    final WriteValidator validator;
    final AckWaits ackWaits;
    final JournalResultPoller journal;
    final WriteIntake writes;
    final ReplicationPublisher replication;
    final FeedbackAdapter feedbackAdapter;
    final LogFlusher flusher;
    final FollowerReplication follower;
    final ReplicationAdapter replicationAdapter;
    final ElectionAdapter electionAdapter;
    final ReadService reads;
    final StatusPublisher status;
    /** The configurations in this node's log (docs/DESIGN.md#membership), restored on start, changed by MEMBERS records. */
    final ClusterMembership membership;
    final MemberChanges memberChanges;
    final ChecksumPublisher checksum;
    final AdminCommands adminCommands;
    final ResponsePublisher responses;
    private final ElectionPublisher electionPublisher;
    private final ElectionState election;
    private final AsyncPersistence persistence;
    private final PeerPublishers peers;
    private final FaultInjector faults;
    private final long electionTimeoutNs;
    /** Some follower progress belongs to a removed member, still shipped to until it learns of its removal. */
    private boolean removedFollowersKept;
    /** Why this node stopped: it was removed from the cluster (it exits with code 4); null while a member. */
    private volatile String removal;
    private long nextBootstrapNs;
    /** Elected, but the epoch is not durable yet: its NOOP (and with it any client write) waits. */
    private boolean epochStartPending;
    /** Not before when the epoch may open: its election, or later by the faults file's epoch-open-delay-ms. */
    private long epochOpenNotBeforeNs;

    LogReplica(final NodeConfig config, final ReplicatedLog partition, final AsyncPersistence persistence,
        final RingBuffer<WriteEvent> ring, final EventPoller<WriteEvent> poller, final ApplyAgent applier,
        final ClientSessions sessions, final PeerPublishers peers, final FaultInjector faults,
        final SendBuffer sendBuffer, final LogReadBuffer staging, final RecentBatches recentBatches,
        final MembershipFile membershipFile)
    {
        this.peers = peers;
        this.faults = faults;
        this.electionTimeoutNs = TimeUnit.MILLISECONDS.toNanos(config.electionConfig().electionTimeoutMs());
        this.config = config;
        this.partition = partition;
        this.persistence = persistence;
        this.log = partition.log();
        this.logger = partition.logger();
        this.nodeId = partition.nodeId();
        this.clusterSize = config.members().size();

        final FollowerProgress[] followers = new FollowerProgress[peers.idLimit()];
        for (int id = 1; id < followers.length; id++)
        {
            if (peers.isPeer(id))
            {
                followers[id] = new FollowerProgress(id, peers.replication(id), peers.election(id));
            }
        }
        final RequestTimeouts timeouts = new RequestTimeouts(config.requestTimeoutMs());
        commits = new CommitTracker(partition, followers, clusterSize, config.logConfig().fsyncPolicy());
        dedup = new Deduplication(log, partition.store(), staging, partition.clock());
        validator = new WriteValidator(partition, config);
        responses = new ResponsePublisher(sendBuffer, partition, commits);
        ackWaits = new AckWaits(partition, config, commits, sessions, responses);
        journal = new JournalResultPoller(partition, ring, poller, dedup.window(), commits, ackWaits, sessions, responses);
        writes = new WriteIntake(partition, config, validator, ring, dedup.window(), dedup.check(), ackWaits, sessions,
            responses, timeouts);
        replication = new ReplicationPublisher(partition, config, commits, sendBuffer, staging, recentBatches);
        feedbackAdapter = new FeedbackAdapter(partition, commits, replication, peers, faults, sendBuffer);
        flusher = partition.flusher();
        follower = new FollowerReplication(partition, config, applier, flusher, journal, dedup, peers,
            new FeedbackPublisher(partition, peers, sendBuffer, config.logConfig().fsyncPolicy()),
            new SnapshotInstaller(partition.store(), applier, staging, logger));
        replicationAdapter = new ReplicationAdapter(follower, faults, logger);
        electionAdapter = new ElectionAdapter(partition, faults, feedbackAdapter, follower);
        reads = new ReadService(partition, sessions, sendBuffer, staging, timeouts);
        membership = new ClusterMembership(nodeId, seedMembership(config), membershipFile, log, logger);
        status = new StatusPublisher(partition, commits, follower, validator, sendBuffer, membership.history());
        checksum = new ChecksumPublisher(partition, sendBuffer, staging);
        adminCommands = new AdminCommands(partition, sessions, follower, validator, sendBuffer);
        electionPublisher = new ElectionPublisher(nodeId, peers, sendBuffer);
        election = new ElectionState(config.electionConfig(), persistence,
            new LocalLogView(log), new RoleTransitions(sessions), new SplittableRandom(),
            ReplicatedLog.nowMs(partition.clock().nanoTime()));
        partition.election(election);
        // Rule 5's "voters it hears from": acked within four heartbeats (a live follower acks every one), at most the
        // lease timeout, so a voter killed just before the request already counts as gone.
        memberChanges = new MemberChanges(partition, sessions, commits, journal, membership, sendBuffer,
            config.requestTimeoutMs(), Math.min(config.electionConfig().leaseTimeoutMs(),
            4 * config.electionConfig().heartbeatIntervalMs()));
        journal.membersResults(memberChanges);
        replication.onSnapshotSent(memberChanges::onSnapshotSent);
        follower.membership(membership);
        membership.listener(new ClusterMembership.Listener()
        {
            @Override
            public void onConfiguration(final Membership next, final long offset)
            {
                applyConfiguration(next, offset);
            }

            @Override
            public void onRemoved(final long offset)
            {
                onRemovedFromCluster(offset);
            }
        });
        applyConfiguration(membership.current(), membership.history().currentOffset());
    }

    /**
     * A configuration is in effect (docs/DESIGN.md#membership): publications to every member (set up without
     * blocking), follower progress for each (learners flagged, not counted), the election's voters. A removed
     * member's progress is kept until an election timeout after the removing record committed, so it normally
     * hears of its removal ({@link #dropRemovedFollowers}). Rare: allocates.
     */
    private void applyConfiguration(final Membership next, final long offset)
    {
        final long nowNs = partition.clock().nanoTime();
        for (final Member member : next.members())
        {
            peers.ensurePeer(member.id(), member.host(), member.port());
        }
        final FollowerProgress[] old = commits.followers();
        int limit = Math.max(old.length, peers.idLimit());
        for (final Member member : next.members())
        {
            limit = Math.max(limit, member.id() + 1);
        }
        final FollowerProgress[] fresh = new FollowerProgress[limit];
        for (final Member member : next.members())
        {
            final int id = member.id();
            if (id == nodeId)
            {
                continue;
            }
            FollowerProgress progress = id < old.length ? old[id] : null;
            if (null == progress && peers.isPeer(id))
            {
                progress = new FollowerProgress(id, peers.replication(id), peers.election(id));
                progress.lastHeartbeatNs = 0; // a leader heartbeats it at once
            }
            if (null != progress)
            {
                progress.voter = member.voter();
                progress.removedAtOffset = -1;
                fresh[id] = progress;
            }
        }
        removedFollowersKept = false;
        for (int id = 1; id < old.length; id++)
        {
            final FollowerProgress progress = old[id];
            if (null != progress && null == fresh[id])
            {
                progress.voter = false;
                if (progress.removedAtOffset < 0)
                {
                    progress.removedAtOffset = Math.max(0, offset);
                    progress.removedAtNs = nowNs;
                }
                fresh[id] = progress;
                removedFollowersKept = true;
            }
        }
        commits.reconfigure(fresh, next.isVoter(nodeId));
        election.reconfigure(ReplicatedLog.nowMs(nowNs), electionConfigFor(config, next));
    }

    /** The election's view of {@code membership}: its voters, each with its configured priority. */
    static ElectionConfig electionConfigFor(final NodeConfig config, final Membership membership)
    {
        final Map<Integer, Integer> priorities = new TreeMap<>();
        for (final Member voter : membership.voters())
        {
            priorities.put(voter.id(), config.priority(voter.id()));
        }
        return config.electionConfig().withPriorities(priorities);
    }

    /**
     * Stops shipping to a removed member an election timeout after the record removing it committed: heartbeats
     * carry the commit offset, so by then it has learnt that its removal is committed and exits. (Stopping once it
     * acked the record was too early: it held the record but never heard that it committed.)
     */
    private void dropRemovedFollowers(final long nowNs)
    {
        if (!removedFollowersKept)
        {
            return;
        }
        final FollowerProgress[] followers = commits.followers();
        boolean stillKept = false;
        FollowerProgress[] fresh = null;
        for (int id = 1; id < followers.length; id++)
        {
            final FollowerProgress progress = followers[id];
            if (null == progress || progress.removedAtOffset < 0)
            {
                continue;
            }
            if (partition.commitOffset() <= progress.removedAtOffset)
            {
                progress.removedAtNs = nowNs; // the timeout runs from the commit
                stillKept = true;
            }
            else if (nowNs - progress.removedAtNs > electionTimeoutNs)
            {
                fresh = null == fresh ? followers.clone() : fresh;
                fresh[id] = null;
                progress.closeSnapshot();
                logger.log(INFO, "Node " + nodeId + " stops shipping to node " + progress.nodeId + ", removed by " +
                    "the configuration at offset " + progress.removedAtOffset);
            }
            else
            {
                stillKept = true;
            }
        }
        removedFollowersKept = stillKept;
        if (null != fresh)
        {
            commits.reconfigure(fresh, membership.current().isVoter(nodeId));
        }
    }

    /** Every duty cycle, any role: the commit offset may commit (or remove) a configuration; new peers come up. */
    int membershipWork(final long nowNs)
    {
        int work = 0;
        if (peers.hasPending() && peers.pollAdded() > 0)
        {
            applyConfiguration(membership.current(), membership.history().currentOffset());
            work++;
        }
        membership.onCommit(partition.commitOffset(), log.logEndOffset());
        if (partition.role() == Role.LEADER)
        {
            work += memberChanges.onDutyCycle(nowNs);
            dropRemovedFollowers(nowNs);
        }
        return work;
    }

    /**
     * A committed configuration no longer holds this node: it stops replicating and voting (the conductor does
     * nothing more) and the daemon exits with code 4 and this message.
     */
    private void onRemovedFromCluster(final long offset)
    {
        final String message = "node " + nodeId + " was removed from the cluster by the configuration at offset " +
            offset + " (leader " + partition.leaderId() + ", epoch " + partition.epoch() + "); its data dir is no " +
            "longer part of any cluster";
        logger.log(ERROR, message);
        removal = message;
    }

    /** Why this node was removed from its cluster, or null while it is a member. Any thread. */
    String removal()
    {
        return removal;
    }

    /**
     * The first configuration: every member of {@code logship.cluster.nodes} a voter, but for a joining node
     * ({@code logship.cluster.join=true}) its own entry.
     */
    static Membership seedMembership(final NodeConfig config)
    {
        final List<Member> members = new ArrayList<>();
        for (final NodeConfig.Member member : config.members().values())
        {
            if (config.join() && member.id() == config.nodeId())
            {
                continue; // a joining node learns from the MEMBERS records that it is in (docs/DESIGN.md#membership)
            }
            members.add(new Member(member.id(), member.host(), member.port(), MemberRole.VOTER));
        }
        return new Membership(members);
    }

    /**
     * A node never resumes leadership after a restart: it starts as a follower of the leader it last knew,
     * at its persisted epoch, and an election decides (ELECTION.md, "Restart").
     */
    void onStart(final long nowNs, final Wakeup conductor)
    {
        partition.epoch(election.epoch());
        partition.leaderId(election.leaderId());
        partition.commitOffset(partition.store().appliedOffset());
        partition.role(Role.FOLLOWER);
        follower.awaitLeader();
        final int leaderId = partition.leaderId();
        logger.log(INFO, "Node " + nodeId + " starts as a follower at epoch " + partition.epoch() + (leaderId > 0 ?
            " (last leader: node " + leaderId + ")" : "") + ", log [" + log.logStartOffset() + ", " +
            log.logEndOffset() + "), " + (config.electionConfig().autoFailoverEnabled() ? "automatic failover on" :
            config.electionConfig().autoFailoverDisabledReason()));
        flusher.wakeAfterFlush(conductor); // acks wait on the durable end it moves
        flusher.start();
        follower.start(conductor);
        bootstrapIfNew(nowNs);
    }

    /** The election's clock: a fenced node (its log failed) never stands for election; it still votes. */
    void onElectionTick(final long nowNs)
    {
        if (null != membership.failure() && partition.role() != Role.FENCED)
        {
            partition.fence("Node " + nodeId + " is FENCED: its cluster configuration could not be persisted (" +
                membership.failure() + "); it sends nothing more to its peers. Restart it once the disk is fixed.");
        }
        if (null != persistence.failure() && partition.role() != Role.FENCED)
        {
            // Never retried: the node sends its peers nothing more (the held messages stay held) until restarted.
            partition.fence("Node " + nodeId + " is FENCED: its election state could not be persisted (" +
                persistence.failure() + "); it sends nothing more to its peers. Restart it once the disk is fixed.");
        }
        if (partition.role() != Role.FENCED)
        {
            election.onTick(ReplicatedLog.nowMs(nowNs));
            bootstrapIfNew(nowNs);
        }
    }

    /**
     * A brand-new cluster (epoch 0, empty log) has never had a leader: the node named by
     * {@code logship.cluster.leader} stands at once, and again every election timeout until some leader is
     * known. This is also how a new two-node cluster gets its first leader without an operator.
     */
    private void bootstrapIfNew(final long nowNs)
    {
        if (config.leaderId() != nodeId || !neverLed() || election.role() != ElectionRole.FOLLOWER ||
            election.leaderId() > 0 || nowNs < nextBootstrapNs)
        {
            return;
        }
        nextBootstrapNs = nowNs + TimeUnit.MILLISECONDS.toNanos(2 * config.electionConfig().electionTimeoutMs());
        final AdminOutcome outcome = election.promote(ReplicatedLog.nowMs(nowNs), nodeId, false);
        logger.log(INFO, "Bootstrap of a new cluster: " + outcome.message());
    }

    private boolean neverLed()
    {
        return log.epochHistory().latestEpoch() == EpochHistory.UNDEFINED_EPOCH && log.logEndOffset() == 0;
    }

    /** One duty cycle as the leader, after the replication and feedback streams were polled. */
    int leaderWork(final long nowNs)
    {
        if (partition.role() != Role.LEADER)
        {
            return 0;
        }
        if (log.isFailed())
        {
            partition.fence("Node " + nodeId + " is FENCED: its log failed; it steps down and takes no more " +
                "writes. Restart it once the disk is fixed.");
            return 0;
        }
        openEpochWhenDurable();
        commits.updateCommitOffset();
        int work = feedbackAdapter.answerDeferredEpochEndQuestions();
        work += rebuildDedupWindow();
        work += ackWaits.onDutyCycle(nowNs);
        work += replication.sendToFollowers(nowNs);
        return work;
    }

    /**
     * A new leader's epoch, once durable in node-state, is opened with its NOOP: called before held peer messages
     * are released, so the NOOP is on its way to the log before any follower hears of the epoch.
     */
    void openEpochWhenDurable()
    {
        if (epochStartPending && partition.role() == Role.LEADER && persistence.isDurable() &&
            partition.clock().nanoTime() - epochOpenNotBeforeNs >= 0)
        {
            epochStartPending = false;
            journal.publishEpochStart();
        }
    }

    /** One slice of the de-duplication window's rebuild, while it lasts: client requests wait until it is over. */
    private int rebuildDedupWindow()
    {
        if (!dedup.isRebuilding())
        {
            return 0;
        }
        final int work = dedup.rebuildSlice();
        if (!dedup.isRebuilding())
        {
            logger.log(INFO, "Node " + nodeId + " takes client requests in epoch " + partition.epoch() + ": " +
                dedup.describeRebuild());
        }
        return work;
    }

    /**
     * A follower's duty cycle: one slice of its de-duplication window's catch-up with the log, while one runs
     * (docs/DESIGN.md#dedup-catch-up).
     */
    int catchUpDedupWindow()
    {
        final int work = dedup.catchUpSlice();
        if (work > 0 && !dedup.isCatchingUp())
        {
            logger.log(INFO, "Node " + nodeId + " " + dedup.describeCatchUp());
        }
        return work;
    }

    /** Whether client requests must wait in their stream: a new leader's de-duplication window is not whole yet. */
    boolean holdsClientRequests()
    {
        return partition.role() == Role.LEADER && (dedup.isRebuilding() || epochStartPending);
    }

    /** Writes waiting for quorum or all, or still in the ring, as of now. */
    int pendingWrites()
    {
        return ackWaits.size() + journal.backlog();
    }

    /** Starts leading {@code newEpoch} (already persisted by the election): the NOOP that opens it goes first. */
    private void startLeading(final int newEpoch)
    {
        // Never fsync on the conductor here (a follower fsync can take a second on this disk): the flusher
        // forces what this node appended as a follower, together with the NOOP that opens the epoch.
        follower.onStartLeading();
        partition.epoch(newEpoch);
        partition.leaderId(nodeId);
        partition.role(Role.LEADER);
        validator.writesStopped(false, 0);
        commits.epochStartOffset(-1);
        final long nowNs = partition.clock().nanoTime();
        for (final FollowerProgress progress : commits.followers())
        {
            if (null != progress)
            {
                progress.reset();
                progress.lastAckNs = 0;
                // Heartbeat at once: followers learn of the epoch, and their acks start this leader's lease.
                progress.lastHeartbeatNs = nowNs;
                replication.sendHeartbeat(progress, nowNs);
            }
        }
        partition.leadingEpoch(newEpoch);
        // The window kept while following is whole if it met every record up to the log end; otherwise (a node that
        // has not appended as a follower since it started, or whose log was cut since) its offsets may belong to a
        // suffix cut since this node last led: learn them from the log again, a slice per duty cycle so heartbeats
        // keep going out. Client requests wait in their stream meanwhile (holdsClientRequests): none is taken before
        // the window is whole (docs/DESIGN.md#de-duplication). Before the NOOP is published: the log end it compares
        // must be the followed one, not the NOOP's.
        dedup.startRebuild();
        // The NOOP puts the epoch in the log and opens it to writes: not before the epoch is durable in node-state.
        epochOpenNotBeforeNs = partition.clock().nanoTime() + faults.epochOpenDelayNs();
        epochStartPending = !persistence.isDurable() || faults.epochOpenDelayNs() > 0;
        if (!epochStartPending)
        {
            journal.publishEpochStart();
        }
        logger.log(INFO, "Node " + nodeId + " leads epoch " + newEpoch + " of a " + membership.current().voters().size() +
            "-voter cluster, log [" +
            log.logStartOffset() + ", " + log.logEndOffset() + "), store applied to " + partition.store().appliedOffset() +
            (dedup.isRebuilding() ? "; rebuilding its de-duplication window before it takes client requests" :
                dedup.keptFromFollowing() ? "; " + dedup.describeRebuild() : ""));
    }

    /**
     * The node stops: every write still waiting for its ack level is answered UNAVAILABLE (retryable: the
     * client resends with the same sequence and gets the original offset), then the flusher and the snapshot
     * transfers stop.
     */
    void close(final ClientSessions sessions)
    {
        flusher.close();
        if (partition.role() == Role.LEADER || partition.role() == Role.FENCED)
        {
            ackWaits.drain((c, client, offset, offsetEpoch, timedOut, count) ->
            {
                final ClientSessions.Session session = sessions.get(client, 0);
                if (null != session)
                {
                    responses.sendWriteResponse(session, c, offset - count + 1, Status.UNAVAILABLE, AckLevel.LEADER,
                        "node " + nodeId + " stopped before the write at offset " + offset + " was acknowledged; retry",
                        offsetEpoch, count);
                }
            });
        }
        for (final FollowerProgress progress : commits.followers())
        {
            if (null != progress)
            {
                progress.closeSnapshot();
            }
        }
        follower.close();
        membership.close();
    }

    /** What the election asks of the node; runs on the conductor thread, inside an election call. */
    private final class RoleTransitions implements Outbox
    {
        private final ClientSessions sessions;

        RoleTransitions(final ClientSessions sessions)
        {
            this.sessions = sessions;
        }

        @Override
        public void sendRequestVote(final int to, final int voteEpoch, final int lastLogEpoch, final long logEndOffset,
            final int flags)
        {
            electionPublisher.sendRequestVote(to, voteEpoch, lastLogEpoch, logEndOffset, flags);
        }

        @Override
        public void sendVote(final int to, final int voteEpoch, final int candidateId, final int voterEpoch,
            final boolean granted, final boolean preVote)
        {
            electionPublisher.sendVote(to, voteEpoch, candidateId, voterEpoch, granted, preVote);
        }

        @Override
        public void sendHandover(final int to, final int handoverEpoch)
        {
            if (electionPublisher.sendHandover(to, handoverEpoch))
            {
                logger.log(INFO, "Node " + nodeId + " hands epoch " + handoverEpoch + " over to node " + to +
                    ", which holds its whole log");
            }
        }

        @Override
        public void becomeCandidate(final int newEpoch)
        {
            partition.counters().onElectionStarted();
            partition.epoch(newEpoch);
            partition.leaderId(-1);
            partition.role(Role.CANDIDATE);
            logger.log(INFO, "Node " + nodeId + " stands for election in epoch " + newEpoch + " (log end " +
                log.logEndOffset() + ", last epoch " + log.epochHistory().latestEpoch() + ")");
        }

        @Override
        public void becomeLeader(final int newEpoch)
        {
            startLeading(newEpoch);
        }

        @Override
        public void becomeFollower(final int newEpoch, final int newLeaderId)
        {
            final boolean changed = newEpoch != partition.epoch() || newLeaderId != partition.leaderId() ||
                partition.role() != Role.FOLLOWER;
            partition.epoch(newEpoch);
            partition.leaderId(newLeaderId);
            if (partition.role() != Role.FENCED)
            {
                partition.role(Role.FOLLOWER);
            }
            follower.onNewLeader(newLeaderId);
            if (changed)
            {
                logger.log(INFO, "Node " + nodeId + (newLeaderId > 0 ? " follows node " + newLeaderId :
                    " waits for a leader") + " in epoch " + newEpoch);
            }
        }

        @Override
        public void stepDown(final int oldEpoch, final String reason)
        {
            epochStartPending = false;
            partition.counters().onLeaderDeposed();
            partition.leadingEpoch(-1); // the journal thread appends nothing more of this epoch
            journal.startDraining();
            validator.writesStopped(false, 0);
            partition.role(Role.FOLLOWER);
            final PendingWrites.Completion notLeader = (c, client, offset, offsetEpoch, timedOut, count) ->
            {
                final ClientSessions.Session session = sessions.get(client, 0);
                if (null != session)
                {
                    responses.sendWriteResponse(session, c, -1, Status.NOT_LEADER, null, "node " + nodeId +
                        " stepped down from epoch " + oldEpoch + " (" + reason + ") before the write at offset " +
                        offset + " was acknowledged; retry: the retry is de-duplicated if the write survived",
                        offsetEpoch, count);
                }
            };
            ackWaits.drain(notLeader);
            final long nowNs = partition.clock().nanoTime();
            memberChanges.onStepDown(nowNs);
            // What it last heard from each follower, before the reset forgets it: a lost lease says whether the acks
            // stopped coming, came echoing old heartbeats, or its own messages waited for a node-state write.
            final StringBuilder contact = new StringBuilder();
            for (final FollowerProgress progress : commits.followers())
            {
                if (null != progress)
                {
                    contact.append("; ").append(progress.describeContact(nowNs));
                    progress.reset();
                }
            }
            logger.log(WARNING, "Node " + nodeId + " steps down from epoch " + oldEpoch + ": " + reason + contact +
                (peers.isHolding() ? "; its peer messages wait for a node-state write" : ""));
        }

        @Override
        public void stopWrites(final int currentEpoch, final String reason)
        {
            validator.writesStopped(true, partition.clock().nanoTime());
            logger.log(INFO, "Node " + nodeId + " stops taking writes in epoch " + currentEpoch + ": " + reason);
        }

        @Override
        public void waitForLease(final int currentEpoch, final boolean waiting, final String reason)
        {
            logger.log(waiting ? WARNING : INFO, "Node " + nodeId + (waiting ? " keeps leading epoch " + currentEpoch +
                " but acknowledges nothing until a majority acks again (" + reason + "; this cluster does not fail " +
                "over on its own, so stepping down would leave it without a leader)" : " holds its lease in epoch " +
                currentEpoch + " again: " + reason));
        }

        @Override
        public void resumeWrites(final int currentEpoch, final String reason)
        {
            validator.writesStopped(false, 0);
            logger.log(WARNING, "Node " + nodeId + " takes writes again in epoch " + currentEpoch + ": " + reason);
        }
    }
}
