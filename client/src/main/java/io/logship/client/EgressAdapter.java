package io.logship.client;

import io.aeron.logbuffer.Header;
import io.logship.transport.Decoders;
import io.logship.transport.MessageAdapter;
import io.logship.transport.MessageListener;
import io.logship.transport.TransportNode;
import io.logship.transport.TransportStream;
import io.logship.transport.codec.AdminResponseDecoder;
import io.logship.transport.codec.BooleanType;
import io.logship.transport.codec.ChecksumResponseDecoder;
import io.logship.transport.codec.ConnectResponseDecoder;
import io.logship.transport.codec.ReadResponseDecoder;
import io.logship.transport.codec.Status;
import io.logship.transport.codec.MemberChangeResponseDecoder;
import io.logship.transport.codec.MemberListResponseDecoder;
import io.logship.transport.codec.NewLeaderDecoder;
import io.logship.transport.codec.StatusResponseDecoder;
import io.logship.transport.codec.TailResponseDecoder;
import io.logship.transport.codec.WriteResponseDecoder;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.NanoClock;

import java.util.ArrayList;
import java.util.List;

/**
 * The client's response subscription (CLIENT_EGRESS on the client's own endpoint): decodes each answer,
 * claims the request whose current attempt it answers (by correlation id; answers to abandoned attempts
 * are counted and dropped), and completes it, fails it, or hands it to the {@link RetryPolicy}. A
 * ConnectResponse goes to {@link NodeSessions}. Every answer that names a leader updates the learned
 * leader, and a NewLeader announcement moves the leader-bound requests there at once.
 *
 * <p>Owned by the conductor thread, which calls {@link #poll}; not thread-safe.
 */
final class EgressAdapter implements MessageListener, AutoCloseable
{
    /** Sends a request's next attempt now: the conductor's send path, used to follow a redirect at once. */
    @FunctionalInterface
    interface AttemptSender
    {
        boolean trySend(ClientRequest request, long nowNs);
    }

    /** Moves the leader-bound requests to a leader that announced itself (the conductor owns the active list). */
    @FunctionalInterface
    interface LeaderFollower
    {
        void followNewLeader(int leaderId, int epoch, long nowNs);
    }

    private final NanoClock clock;
    private final ErrorHandler errorHandler;
    private final NodeSessions sessions;
    private final InFlightRequests requests;
    private final RetryPolicy retryPolicy;
    private final AttemptSender sender;
    private final LeaderFollower leaderFollower;
    /** The newest epoch whose NewLeader moved the requests. */
    private int followedEpoch = -1;
    private final Decoders decoders = new Decoders();
    private final MessageAdapter subscription;

    EgressAdapter(
        final ClientConfig config,
        final TransportNode transport,
        final NodeSessions sessions,
        final InFlightRequests requests,
        final RetryPolicy retryPolicy,
        final AttemptSender sender,
        final LeaderFollower leaderFollower)
    {
        this.clock = transport.context().nanoClock();
        this.errorHandler = config.errorHandler();
        this.sessions = sessions;
        this.requests = requests;
        this.retryPolicy = retryPolicy;
        this.sender = sender;
        this.leaderFollower = leaderFollower;
        this.subscription = transport.addAdapter(transport.context().localChannel(),
            TransportStream.CLIENT_EGRESS.streamId(), TransportStream.CLIENT_EGRESS, "client-egress", this);
    }

    /** This endpoint's channel with the port its driver bound (the one to name in Connect). */
    String responseChannel(final TransportNode transport, final long timeoutMs)
    {
        return transport.resolvedChannel(subscription, timeoutMs);
    }

    /** Handles up to {@code fragmentLimit} answers; returns how many. */
    int poll(final int fragmentLimit)
    {
        return subscription.poll(fragmentLimit);
    }

    @Override
    public void close()
    {
        CloseHelper.quietClose(subscription);
    }

    @Override
    public void onMessage(
        final int templateId, final DirectBuffer buffer, final int offset, final int length, final Header header)
    {
        try
        {
            switch (templateId)
            {
                case ConnectResponseDecoder.TEMPLATE_ID:
                {
                    final ConnectResponseDecoder decoder = decoders.connectResponse(buffer, offset, length);
                    sessions.onConnectResponse(
                        decoder.clientId(), decoder.nodeId(), decoder.status(), decoder.leaderId(), decoder.epoch());
                    break;
                }
                case NewLeaderDecoder.TEMPLATE_ID:
                {
                    final NewLeaderDecoder decoder = decoders.newLeader(buffer, offset, length);
                    onNewLeader(decoder.leaderId(), decoder.epoch());
                    break;
                }
                case WriteResponseDecoder.TEMPLATE_ID:
                    onWriteResponse(decoders.writeResponse(buffer, offset, length));
                    break;
                case ReadResponseDecoder.TEMPLATE_ID:
                    onReadResponse(decoders.readResponse(buffer, offset, length));
                    break;
                case TailResponseDecoder.TEMPLATE_ID:
                    onTailResponse(decoders.tailResponse(buffer, offset, length));
                    break;
                case StatusResponseDecoder.TEMPLATE_ID:
                    onStatusResponse(decoders.statusResponse(buffer, offset, length));
                    break;
                case MemberListResponseDecoder.TEMPLATE_ID:
                    onMemberListResponse(decoders.memberListResponse(buffer, offset, length));
                    break;
                case MemberChangeResponseDecoder.TEMPLATE_ID:
                    onMemberChangeResponse(decoders.memberChangeResponse(buffer, offset, length));
                    break;
                case ChecksumResponseDecoder.TEMPLATE_ID:
                    onChecksumResponse(decoders.checksumResponse(buffer, offset, length));
                    break;
                case AdminResponseDecoder.TEMPLATE_ID:
                    onAdminResponse(decoders.adminResponse(buffer, offset, length));
                    break;
                case io.logship.transport.codec.SnapshotSaveResponseDecoder.TEMPLATE_ID:
                    onSnapshotSaveResponse(decoders.snapshotSaveResponse(buffer, offset, length));
                    break;
                default:
                    break;
            }
        }
        catch (final RuntimeException ex)
        {
            errorHandler.onError(new LogshipClientException("client could not handle a response of type " +
                templateId + ": " + ex, ResponseStatus.CORRUPT_RESPONSE, -1, ex));
        }
    }

    /**
     * A node announced that it leads {@code epoch} and takes writes (docs/DESIGN.md#new-leader). Requests move at
     * most once per epoch, and only to the leader the client then knows: a late announcement of an older leadership
     * changes nothing.
     */
    private void onNewLeader(final int leaderId, final int epoch)
    {
        sessions.learnLeader(leaderId, epoch);
        if (epoch > followedEpoch && sessions.leaderId() == leaderId && epoch >= sessions.leaderEpoch())
        {
            followedEpoch = epoch;
            leaderFollower.followNewLeader(leaderId, epoch, clock.nanoTime());
        }
    }

    private void onWriteResponse(final WriteResponseDecoder decoder)
    {
        final ClientRequest request =
            requests.claim(decoder.correlationId(), ClientRequest.Kind.WRITE, ClientRequest.Kind.WRITE_BATCH);
        if (null == request)
        {
            return;
        }
        final int target = request.targetNodeId;
        final long writeOffset = decoder.writeOffset();
        final int epoch = decoder.epoch();
        final int answeredLeader = decoder.leaderId();
        final Status status = decoder.status();
        final AckLevel reached = fromWire(decoder.ackLevelReached());
        final int nodesWritten = decoder.nodesWritten();
        final int nodesFsynced = decoder.nodesDurable();
        final String message = decoder.message();
        final long nowNs = clock.nanoTime();

        switch (status)
        {
            case OK:
            {
                sessions.learnLeader(target, epoch);
                final AckLevel level = null == reached ? request.ackLevel : reached;
                if (null != request.children)
                {
                    requests.finish(request);
                    for (int i = 0; i < request.children.size(); i++)
                    {
                        request.children.get(i).complete(
                            new WriteResult(writeOffset + i, epoch, level, target, nodesWritten, nodesFsynced));
                    }
                }
                else
                {
                    requests.complete(request, new WriteResult(writeOffset, epoch, level, target, nodesWritten,
                        nodesFsynced));
                }
                break;
            }

            case NOT_LEADER:
            case UNAVAILABLE:
            case FENCED:
            case BUSY:
                onRetryable(request, status, target, answeredLeader, epoch, message, nowNs);
                break;

            case TIMEOUT:
            {
                final String reason = sessions.describeNode(target) + " answered TIMEOUT (reached " +
                    (null == reached ? "unknown" : reached) + ")" + (message.isEmpty() ? "" : ": " + message);
                if (retryPolicy.retryTimedOutWrite(request, reason, nowNs))
                {
                    break;
                }
                requests.fail(request, ResponseStatus.TIMEOUT, target, "ack level " + request.ackLevel +
                    " not reached within " + request.nodeTimeoutMs + " ms (reached " +
                    (null == reached ? "unknown" : reached) + "); the write may still become committed: not retried" +
                    (message.isEmpty() ? "" : "; node says: " + message), reached);
                break;
            }

            default:
                requests.fail(request, ResponseStatus.fromWire(status), target, message, reached);
                break;
        }
    }

    private void onReadResponse(final ReadResponseDecoder decoder)
    {
        final ClientRequest request = requests.claim(decoder.correlationId(), ClientRequest.Kind.READ);
        if (null == request)
        {
            return;
        }
        final int target = request.targetNodeId;
        final long appliedOffset = decoder.appliedOffset();
        final long valueOffset = decoder.valueOffset();
        final int answeredLeader = decoder.leaderId();
        final Status status = decoder.status();
        switch (status)
        {
            case OK:
            {
                final byte[] value = new byte[decoder.valueLength()];
                decoder.getValue(value, 0, value.length);
                if (request.consistency.kind() == ReadConsistency.Kind.LEADER)
                {
                    sessions.learnLeader(target, -1);
                }
                requests.complete(request, new ReadResult(true, value, appliedOffset, valueOffset, target));
                break;
            }
            case NOT_FOUND:
                requests.complete(request, new ReadResult(false, null, appliedOffset, -1, target));
                break;
            case NOT_LEADER:
            case UNAVAILABLE:
            case FENCED:
            case BUSY:
                onRetryable(request, status, target, answeredLeader, -1, "", clock.nanoTime());
                break;
            case TIMEOUT:
                requests.fail(request, ResponseStatus.TIMEOUT, target, "applied offset " + appliedOffset +
                    " did not reach min offset " + request.consistency.minOffset() + " in time", null);
                break;
            default:
                requests.fail(request, ResponseStatus.fromWire(status), target, "read refused", null);
                break;
        }
    }

    private void onTailResponse(final TailResponseDecoder decoder)
    {
        final ClientRequest request = requests.claim(decoder.correlationId(), ClientRequest.Kind.TAIL);
        if (null == request)
        {
            return;
        }
        final int target = request.targetNodeId;
        final Status status = decoder.status();
        if (status == Status.OK)
        {
            final byte[] batches = new byte[decoder.batchesLength()];
            decoder.getBatches(batches, 0, batches.length);
            requests.complete(request, new RawTail(target, decoder.nextOffset(), decoder.logStartOffset(),
                decoder.commitOffset(), batches));
        }
        else if (status == Status.BUSY || status == Status.UNAVAILABLE || status == Status.FENCED)
        {
            onRetryable(request, status, target, -1, -1, "", clock.nanoTime());
        }
        else
        {
            requests.fail(request, ResponseStatus.fromWire(status), target, "tail from offset " + request.fromOffset +
                " refused (log start offset " + decoder.logStartOffset() + ", commit offset " +
                decoder.commitOffset() + ")", null);
        }
    }

    private void onStatusResponse(final StatusResponseDecoder decoder)
    {
        final ClientRequest request = requests.claim(decoder.correlationId(), ClientRequest.Kind.STATUS);
        if (null == request)
        {
            return;
        }
        final int epoch = decoder.epoch();
        final int leader = decoder.leaderId();
        final NodeStatus status;
        final List<FollowerStatus> followers = new ArrayList<>();
        final int nodeId = decoder.nodeId();
        final String role = decoder.role().name();
        final long logStart = decoder.logStartOffset();
        final long logEnd = decoder.logEndOffset();
        final long durableEnd = decoder.durableEndOffset();
        final long commit = decoder.commitOffset();
        final long applied = decoder.appliedOffset();
        final boolean autoFailover = decoder.autoFailover() == BooleanType.TRUE;
        final long elections = decoder.elections();
        final long leaderLogEnd = decoder.leaderLogEndOffset();
        final long resyncRecords = decoder.resyncRecordsPerSecond();
        final long resyncBytes = decoder.resyncBytesPerSecond();
        final long quarantined = decoder.quarantinedRecords();
        for (final StatusResponseDecoder.FollowersDecoder follower : decoder.followers())
        {
            followers.add(new FollowerStatus(follower.nodeId(), follower.durableEndOffset(), follower.appliedOffset(),
                follower.lastAckAgeMs()));
        }
        final String note = decoder.note();
        status = new NodeStatus(nodeId, epoch, leader, role, logStart, logEnd, durableEnd, commit, applied,
            List.copyOf(followers), autoFailover, elections, leaderLogEnd, resyncRecords, resyncBytes, quarantined,
            note);
        sessions.learnLeader(leader, epoch);
        requests.complete(request, status);
    }

    private void onMemberListResponse(final MemberListResponseDecoder decoder)
    {
        final ClientRequest request = requests.claim(decoder.correlationId(), ClientRequest.Kind.MEMBER_LIST);
        if (null == request)
        {
            return;
        }
        final int nodeId = decoder.nodeId();
        final int epoch = decoder.epoch();
        final int leader = decoder.leaderId();
        final long configurationOffset = decoder.configurationOffset();
        final boolean committed = decoder.committed() == BooleanType.TRUE;
        final long logEnd = decoder.logEndOffset();
        final List<MemberStatus> members = new ArrayList<>();
        for (final MemberListResponseDecoder.MembersDecoder member : decoder.members())
        {
            final int id = member.memberId();
            final String role = member.role() == io.logship.transport.codec.MemberRole.VOTER ? "voter" : "learner";
            final long heldEnd = member.heldEndOffset();
            final long lastAckAgeMs = member.lastAckAgeMs();
            members.add(new MemberStatus(id, member.address(), role, heldEnd, lastAckAgeMs));
        }
        sessions.learnLeader(leader, epoch);
        requests.complete(request, new ClusterMembers(nodeId, epoch, leader, configurationOffset, committed, logEnd,
            List.copyOf(members)));
    }

    private void onMemberChangeResponse(final MemberChangeResponseDecoder decoder)
    {
        final ClientRequest request = requests.claim(decoder.correlationId(), ClientRequest.Kind.MEMBER_CHANGE);
        if (null == request)
        {
            return;
        }
        final int target = request.targetNodeId;
        final int nodeId = decoder.nodeId();
        final int epoch = decoder.epoch();
        final int leader = decoder.leaderId();
        final Status status = decoder.status();
        final long configurationOffset = decoder.configurationOffset();
        final String message = decoder.message();
        switch (status)
        {
            case OK:
                sessions.learnLeader(leader, epoch);
                requests.complete(request, new MemberChangeResult(nodeId, epoch, leader, configurationOffset, message));
                break;

            case NOT_LEADER:
            case UNAVAILABLE:
            case FENCED:
            case BUSY:
                // Refused before anything was appended: safe to send again, at the leader it names.
                onRetryable(request, status, target, leader, epoch, message, clock.nanoTime());
                break;

            case TIMEOUT:
                requests.fail(request, ResponseStatus.TIMEOUT, nodeId, "the change record was not committed in " +
                    "time; it may still commit: check `logship member list` before trying again" +
                    (message.isEmpty() ? "" : "; node says: " + message), null);
                break;

            default:
                requests.fail(request, ResponseStatus.fromWire(status), nodeId, message.isEmpty() ? "refused" : message,
                    null);
                break;
        }
    }

    private void onChecksumResponse(final ChecksumResponseDecoder decoder)
    {
        final ClientRequest request = requests.claim(decoder.correlationId(), ClientRequest.Kind.CHECKSUM);
        if (null == request)
        {
            return;
        }
        final int nodeId = decoder.nodeId();
        final Status status = decoder.status();
        final ChecksumResult result = new ChecksumResult(nodeId, decoder.fromOffset(), decoder.toOffset(),
            decoder.batchCount(), decoder.byteCount(), decoder.crc32c());
        final String message = decoder.message();
        if (status == Status.OK)
        {
            requests.complete(request, result);
        }
        else
        {
            requests.fail(request, ResponseStatus.fromWire(status), nodeId, "checksum of [" + request.fromOffset +
                ", " + request.toOffset + ") refused" + (message.isEmpty() ? "" : ": " + message), null);
        }
    }

    private void onAdminResponse(final AdminResponseDecoder decoder)
    {
        final ClientRequest request =
            requests.claim(decoder.correlationId(), ClientRequest.Kind.PROMOTE, ClientRequest.Kind.DEMOTE);
        if (null == request)
        {
            return;
        }
        final int nodeId = decoder.nodeId();
        final int epoch = decoder.epoch();
        final int leader = decoder.leaderId();
        final Status status = decoder.status();
        final String message = decoder.message();
        if (status == Status.OK)
        {
            sessions.learnLeader(leader, epoch);
            requests.complete(request, new AdminResult(nodeId, epoch, leader, message));
        }
        else
        {
            requests.fail(
                request, ResponseStatus.fromWire(status), nodeId, message.isEmpty() ? "refused" : message, null);
        }
    }

    private void onSnapshotSaveResponse(final io.logship.transport.codec.SnapshotSaveResponseDecoder decoder)
    {
        final ClientRequest request = requests.claim(decoder.correlationId(), ClientRequest.Kind.SNAPSHOT_SAVE);
        if (null == request)
        {
            return;
        }
        final int nodeId = decoder.nodeId();
        final Status status = decoder.status();
        final long exportId = decoder.exportId();
        final int epoch = decoder.epoch();
        final long snapshotOffset = decoder.snapshotOffset();
        final long totalLength = decoder.totalLength();
        final long position = decoder.chunkPosition();
        final byte[] data = new byte[decoder.dataLength()];
        decoder.getData(data, 0, data.length);
        final String message = decoder.message();
        if (status == Status.OK)
        {
            requests.complete(request, new SnapshotChunk(nodeId, exportId, epoch, snapshotOffset, totalLength, position,
                data));
        }
        else
        {
            requests.fail(request, ResponseStatus.fromWire(status), nodeId, message.isEmpty() ? "refused" : message,
                null);
        }
    }

    /** NOT_LEADER, BUSY, UNAVAILABLE or FENCED: follow the redirect, back off, or move on. */
    private void onRetryable(
        final ClientRequest request,
        final Status status,
        final int target,
        final int answeredLeader,
        final int epoch,
        final String message,
        final long nowNs)
    {
        if (retryPolicy.onRetryable(request, status, target, answeredLeader, epoch, message, nowNs))
        {
            sender.trySend(request, nowNs);
        }
    }

    private static AckLevel fromWire(final io.logship.transport.codec.AckLevel ackLevel)
    {
        switch (ackLevel)
        {
            case LEADER: return AckLevel.LEADER;
            case QUORUM: return AckLevel.QUORUM;
            case ALL: return AckLevel.ALL;
            default: return null;
        }
    }

    /** A tail answer, decoded into records by the caller's thread. */
    record RawTail(int nodeId, long nextOffset, long logStartOffset, long commitOffset, byte[] batches)
    {
    }
}
