package io.logship.client;

import io.aeron.logbuffer.Header;
import io.logship.transport.BoundedPublisher;
import io.logship.transport.Decoders;
import io.logship.transport.MessageAdapter;
import io.logship.transport.PublishResult;
import io.logship.transport.TransportNode;
import io.logship.transport.TransportStream;
import io.logship.transport.codec.*;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;
import org.agrona.concurrent.NanoClock;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * The client's one thread: owns every publication and the response subscription, the node sessions, the
 * table of requests awaiting an answer (by correlation id), their timers and their retries. API threads
 * hand it {@link ClientRequest}s through a bounded queue; it completes their futures. Futures therefore
 * complete on this thread: callbacks must not block.
 *
 * <p>Each attempt gets a fresh correlation id, so a late answer to an abandoned attempt is ignored; a
 * write keeps its sequence across every attempt, so the leader applies it once and answers a retry with
 * the original offset. Retry policy (README.md "Behaviour"): NOT_LEADER with a leader goes there at once;
 * NOT_LEADER without one, BUSY, UNAVAILABLE and FENCED back off (10 ms doubling to 1 s, +/-20%); an
 * attempt unanswered after {@code requestTimeoutMs} drops that node's session (it may have restarted) and
 * moves on to the next node; every request fails by its deadline at the latest.
 *
 * <p>Not thread-safe: only {@link #enqueue} and {@link #leaderId()} may be called from other threads.
 */
final class ClientConductor implements Agent
{
    private static final int COMMAND_LIMIT = 64;
    private static final int FRAGMENT_LIMIT = 64;
    private static final long SCAN_INTERVAL_NS = TimeUnit.MILLISECONDS.toNanos(1);

    private final ClientConfig config;
    private final long clientId;
    private final String responseChannel;
    private final int responseStreamId;
    private final ManyToOneConcurrentArrayQueue<ClientRequest> commandQueue;
    private final Semaphore inFlightPermits;
    private final NanoClock clock;
    private final ErrorHandler errorHandler;
    private final MessageAdapter egress;
    private final NodeSessions sessions;
    private final InFlightRequests requests;
    private final RetryPolicy retryPolicy;
    private final ArrayList<ClientRequest> active = new ArrayList<>();
    private final long requestTimeoutNs;
    private final long deadlineNs;

    private final Decoders decoders = new Decoders();
    private final IngressPublisher publisher;
    /** Writes drained in this duty cycle, not sent yet: they go out together (client-side batching). */
    private final ArrayList<ClientRequest> openBatch = new ArrayList<>();
    /** Writes of batches being retried one by one; they join {@code active} after the scan. */
    private final ArrayList<ClientRequest> unbatched = new ArrayList<>();
    private int openBatchBytes;

    private long nextCorrelationId = 1;
    private long nextSequence = 1;
    private long lastScanNs;

    /**
     * Creates the response adapter on the client's own endpoint and, per node, the ingress publisher
     * (and the admin publisher when a cluster secret is configured). Runs on the caller's thread before
     * the conductor thread starts.
     */
    ClientConductor(
        final ClientConfig config,
        final TransportNode transport,
        final ManyToOneConcurrentArrayQueue<ClientRequest> commandQueue,
        final Semaphore inFlightPermits)
    {
        this.config = config;
        this.clientId = config.clientId();
        this.responseChannel = transport.context().localChannel();
        this.responseStreamId = TransportStream.CLIENT_EGRESS.streamId();
        this.commandQueue = commandQueue;
        this.inFlightPermits = inFlightPermits;
        this.clock = transport.context().nanoClock();
        this.errorHandler = config.errorHandler();
        this.requestTimeoutNs = TimeUnit.MILLISECONDS.toNanos(config.requestTimeoutMs());
        this.deadlineNs = TimeUnit.MILLISECONDS.toNanos(config.deadlineMs());
        this.publisher = new IngressPublisher(clientId, responseChannel, responseStreamId);

        MessageAdapter adapter = null;
        try
        {
            adapter = transport.addAdapter(
                responseChannel, responseStreamId, TransportStream.CLIENT_EGRESS, "client-egress", this::onMessage);
            this.sessions = new NodeSessions(config, transport);
        }
        catch (final RuntimeException ex)
        {
            CloseHelper.quietClose(adapter);
            throw ex;
        }
        this.egress = adapter;
        this.requests = new InFlightRequests(inFlightPermits, sessions);
        this.retryPolicy = new RetryPolicy(config, sessions, requests);
    }

    /** The leader as last learned, -1 if unknown. Any thread. */
    int leaderId()
    {
        return sessions.leaderId();
    }

    @Override
    public void onStart()
    {
        final long nowNs = clock.nanoTime();
        sessions.connectAll(nowNs);
        lastScanNs = nowNs - SCAN_INTERVAL_NS;
    }

    @Override
    public int doWork()
    {
        int workCount = commandQueue.drain(this::onRequest, COMMAND_LIMIT);
        sealBatch();
        workCount += egress.poll(FRAGMENT_LIMIT);

        final long nowNs = clock.nanoTime();
        if (nowNs - lastScanNs >= SCAN_INTERVAL_NS)
        {
            lastScanNs = nowNs;
            workCount += sessions.maintain(nowNs, publisher);
            workCount += scanRequests(nowNs);
            if (!unbatched.isEmpty())
            {
                active.addAll(unbatched);
                unbatched.clear();
            }
        }
        return workCount;
    }

    @Override
    public void onClose()
    {
        final LogshipClientException closed = new LogshipClientException(
            "client closed before the request completed", ResponseStatus.CLOSED, -1, sessions.leaderId(), null);
        for (final ClientRequest request : active)
        {
            if (request.state != ClientRequest.DONE)
            {
                finish(request).fail(closed);
                if (null != request.children)
                {
                    request.children.forEach((child) -> child.fail(closed));
                }
            }
        }
        for (final ClientRequest request : openBatch)
        {
            finish(request).fail(closed);
        }
        openBatch.clear();
        active.clear();
        requests.clear();
        failQueued(commandQueue, inFlightPermits, closed);
        CloseHelper.quietClose(egress);
        sessions.close();
    }

    /** Fails whatever is still queued; also used by the closing thread after the conductor stopped. */
    static void failQueued(
        final ManyToOneConcurrentArrayQueue<ClientRequest> queue,
        final Semaphore permits,
        final LogshipClientException error)
    {
        ClientRequest request;
        while (null != (request = queue.poll()))
        {
            request.state = ClientRequest.DONE;
            permits.release();
            request.fail(error);
        }
    }

    @Override
    public String roleName()
    {
        return "logship-client-" + Long.toHexString(clientId);
    }

    boolean enqueue(final ClientRequest request)
    {
        return commandQueue.offer(request);
    }

    private void onRequest(final ClientRequest request)
    {
        final long nowNs = clock.nanoTime();
        request.deadlineNs = nowNs + deadlineNs;
        if (request.kind == ClientRequest.Kind.WRITE)
        {
            request.sequence = nextSequence++;
            if (config.maxBatchRecords() > 1)
            {
                final int bytes = request.key.length + request.value.length + 16;
                if (!openBatch.isEmpty() && (openBatch.get(0).ackLevel != request.ackLevel ||
                    openBatch.size() == config.maxBatchRecords() || openBatchBytes + bytes > config.maxBatchBytes()))
                {
                    sealBatch();
                }
                openBatch.add(request);
                openBatchBytes += bytes;
                return;
            }
        }
        active.add(request);
        trySend(request, nowNs);
    }

    /**
     * Sends what this duty cycle drained: one write alone as a WriteRequest, several as one
     * WriteBatchRequest (consecutive sequences, one reply with the first offset). No linger: a batch is
     * whatever queued up while the previous cycle worked, so batching costs no latency and grows with load.
     */
    private void sealBatch()
    {
        if (openBatch.isEmpty())
        {
            return;
        }
        final long nowNs = clock.nanoTime();
        final ClientRequest request;
        if (openBatch.size() == 1)
        {
            request = openBatch.get(0);
        }
        else
        {
            final ClientRequest first = openBatch.get(0);
            request = new ClientRequest(ClientRequest.Kind.WRITE_BATCH, ClientRequest.Routing.LEADER, -1,
                new java.util.concurrent.CompletableFuture<>());
            request.children = new ArrayList<>(openBatch);
            request.sequence = first.sequence;
            request.ackLevel = first.ackLevel;
            request.deadlineNs = first.deadlineNs;
        }
        openBatch.clear();
        openBatchBytes = 0;
        active.add(request);
        trySend(request, nowNs);
    }

    // ------------------------------------------------------------------------------------------------
    // Sessions

    // ------------------------------------------------------------------------------------------------
    // Sending

    private int scanRequests(final long nowNs)
    {
        int workCount = 0;
        int write = 0;
        final ArrayList<ClientRequest> active = this.active;
        for (int read = 0, size = active.size(); read < size; read++)
        {
            final ClientRequest request = active.get(read);
            if (request.state != ClientRequest.DONE)
            {
                if (nowNs - request.deadlineNs >= 0)
                {
                    retryPolicy.onDeadline(request);
                    workCount++;
                }
                else if (request.state == ClientRequest.SENT && nowNs - request.attemptDeadlineNs >= 0)
                {
                    retryPolicy.onAttemptTimeout(request, nowNs);
                    workCount++;
                }
                else if (request.state == ClientRequest.WAITING)
                {
                    workCount += trySend(request, nowNs) ? 1 : 0;
                }
            }
            if (request.state != ClientRequest.DONE)
            {
                active.set(write++, request);
            }
        }
        for (int i = active.size() - 1; i >= write; i--)
        {
            active.remove(i);
        }
        return workCount;
    }

    /** Sends the request's next attempt if it is due and its node is connected; true if sent. */
    private boolean trySend(final ClientRequest request, final long nowNs)
    {
        if (request.state != ClientRequest.WAITING || nowNs - request.nextAttemptNs < 0)
        {
            return false;
        }
        if (request.kind == ClientRequest.Kind.WRITE_BATCH && request.attempts > 0)
        {
            // A batch is retried as its single writes: after a leader change part of it may be in the log
            // and part not, and only per-sequence retries let the leader answer each with its own offset.
            for (final ClientRequest child : request.children)
            {
                child.state = ClientRequest.WAITING;
                child.nextAttemptNs = request.nextAttemptNs;
                child.attempts = request.attempts;
                child.redirects = request.redirects;
                child.rotation = request.rotation;
                unbatched.add(child);
            }
            request.state = ClientRequest.DONE; // its writes keep their permits and go on alone
            return false;
        }
        final int target = retryPolicy.chooseTarget(request);
        final NodeSession session = sessions.get(target);
        if (null == session)
        {
            fail(request, ResponseStatus.INVALID, target, "node " + target + " is not in the client's node list " +
                sessions.nodeIds(), null);
            return false;
        }

        if (NodeSession.CONNECTED != session.state)
        {
            retryPolicy.onSessionNotReady(request, session, nowNs);
            return false;
        }

        final long correlationId = nextCorrelationId++;
        final BoundedPublisher publication = request.kind.isAdmin() ? session.admin : session.ingress;
        if (null == publication)
        {
            fail(request, ResponseStatus.NOT_CONFIGURED, target, "admin calls need the cluster secret " +
                "(ClientConfig.clusterSecretFile)", null);
            return false;
        }
        final int nodeTimeoutMs = retryPolicy.nodeTimeoutMs(request, nowNs);
        final PublishResult result = publisher.send(publication, request, correlationId, nodeTimeoutMs);
        switch (result)
        {
            case SENT:
                request.state = ClientRequest.SENT;
                request.correlationId = correlationId;
                request.targetNodeId = target;
                request.attemptDeadlineNs = nowNs + requestTimeoutNs;
                request.attempts++;
                request.waitNodeId = -1;
                requests.awaitAnswer(correlationId, request);
                return true;

            case BACK_PRESSURED:
            case ADMIN_ACTION:
                retryPolicy.onBackPressured(request, session, nowNs);
                return false;

            case NOT_CONNECTED:
                retryPolicy.onNoSubscriber(request, session, nowNs);
                return false;

            case TOO_LARGE:
                fail(request, ResponseStatus.INVALID, target, "request of " + publisher.lastMessageLength() +
                    " bytes exceeds the largest message the client's publication takes (" +
                    publication.publication().maxMessageLength() + " bytes; raise ClientConfig.termLength)", null);
                return false;

            default:
                fail(request, ResponseStatus.ERROR, target, "publication to " + session.describe() + " is " + result +
                    ": the client must be restarted", null);
                return false;
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

    // ------------------------------------------------------------------------------------------------
    // Timers

    // ------------------------------------------------------------------------------------------------
    // Responses

    private void onMessage(
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
                case ChecksumResponseDecoder.TEMPLATE_ID:
                    onChecksumResponse(decoders.checksumResponse(buffer, offset, length));
                    break;
                case AdminResponseDecoder.TEMPLATE_ID:
                    onAdminResponse(decoders.adminResponse(buffer, offset, length));
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

    private void onWriteResponse(final WriteResponseDecoder decoder)
    {
        final ClientRequest request = requests.claim(decoder.correlationId(), ClientRequest.Kind.WRITE);
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
        final String message = decoder.message();
        final long nowNs = clock.nanoTime();

        switch (status)
        {
            case OK:
                sessions.learnLeader(target, epoch);
                if (null != request.children)
                {
                    finish(request);
                    final AckLevel level = null == reached ? request.ackLevel : reached;
                    for (int i = 0; i < request.children.size(); i++)
                    {
                        request.children.get(i).complete(new WriteResult(writeOffset + i, epoch, level, target));
                    }
                }
                else
                {
                    complete(request, new WriteResult(writeOffset, epoch, null == reached ? request.ackLevel : reached,
                        target));
                }
                break;

            case NOT_LEADER:
            case UNAVAILABLE:
            case FENCED:
            case BUSY:
                onRetryable(request, status, target, answeredLeader, epoch, message, nowNs);
                break;

            case TIMEOUT:
                if (retryPolicy.retryTimedOutWrite(request, describeNode(target) + " answered TIMEOUT (reached " +
                    (null == reached ? "unknown" : reached) + ")" + (message.isEmpty() ? "" : ": " + message), nowNs))
                {
                    break;
                }
                fail(request, ResponseStatus.TIMEOUT, target, "ack level " + request.ackLevel +
                    " not reached within " + config.requestTimeoutMs() * 9 / 10 + " ms (reached " +
                    (null == reached ? "unknown" : reached) + "); the write may still become committed: not retried" +
                    (message.isEmpty() ? "" : "; node says: " + message), reached);
                break;

            default:
                fail(request, ResponseStatus.fromWire(status), target, message, reached);
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
                complete(request, new ReadResult(true, value, appliedOffset, valueOffset, target));
                break;
            }
            case NOT_FOUND:
                complete(request, new ReadResult(false, null, appliedOffset, -1, target));
                break;
            case NOT_LEADER:
            case UNAVAILABLE:
            case FENCED:
            case BUSY:
                onRetryable(request, status, target, answeredLeader, -1, "", clock.nanoTime());
                break;
            case TIMEOUT:
                fail(request, ResponseStatus.TIMEOUT, target, "applied offset " + appliedOffset +
                    " did not reach min offset " + request.consistency.minOffset() + " in time", null);
                break;
            default:
                fail(request, ResponseStatus.fromWire(status), target, "read refused", null);
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
            complete(request, new RawTail(target, decoder.nextOffset(), decoder.logStartOffset(),
                decoder.commitOffset(), batches));
        }
        else if (status == Status.BUSY || status == Status.UNAVAILABLE || status == Status.FENCED)
        {
            onRetryable(request, status, target, -1, -1, "", clock.nanoTime());
        }
        else
        {
            fail(request, ResponseStatus.fromWire(status), target, "tail from offset " + request.fromOffset +
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
        complete(request, status);
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
            complete(request, result);
        }
        else
        {
            fail(request, ResponseStatus.fromWire(status), nodeId, "checksum of [" + request.fromOffset + ", " +
                request.toOffset + ") refused" + (message.isEmpty() ? "" : ": " + message), null);
        }
    }

    private void onAdminResponse(final AdminResponseDecoder decoder)
    {
        final ClientRequest request = requests.claimAdmin(decoder.correlationId());
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
            complete(request, new AdminResult(nodeId, epoch, leader, message));
        }
        else
        {
            fail(request, ResponseStatus.fromWire(status), nodeId, message.isEmpty() ? "refused" : message, null);
        }
    }

    // ------------------------------------------------------------------------------------------------
    // Completion

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
            trySend(request, nowNs);
        }
    }

    private ClientRequest finish(final ClientRequest request)
    {
        return requests.finish(request);
    }

    private void complete(final ClientRequest request, final Object result)
    {
        requests.complete(request, result);
    }

    private void fail(
        final ClientRequest request,
        final ResponseStatus status,
        final int nodeId,
        final String detail,
        final AckLevel ackLevelReached)
    {
        requests.fail(request, status, nodeId, detail, ackLevelReached);
    }

    private String describeNode(final int nodeId)
    {
        return sessions.describeNode(nodeId);
    }

    long lateResponses()
    {
        return requests.lateResponses();
    }

    /** A tail answer, decoded into records by the caller's thread. */
    record RawTail(int nodeId, long nextOffset, long logStartOffset, long commitOffset, byte[] batches)
    {
    }
}
