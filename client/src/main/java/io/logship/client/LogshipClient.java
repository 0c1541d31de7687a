package io.logship.client;

import io.logship.LogshipException;
import io.logship.format.BatchDescriptor;
import io.logship.format.RecordCursor;
import io.logship.format.RecordDescriptor;
import io.logship.format.RecordType;
import io.logship.transport.ConductorIdleStrategy;
import io.logship.transport.TransportConfiguration;
import io.logship.transport.TransportContext;
import io.logship.transport.TransportNode;
import org.agrona.CloseHelper;
import io.aeron.driver.ThreadingMode;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;
import org.agrona.concurrent.SystemNanoClock;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The logship Java client. {@link #connect(ClientConfig)} starts an embedded media driver in the client's
 * own directory, subscribes on the client's UDP endpoint, and starts one conductor thread that sends
 * {@code Connect} to every node and then carries every request (see {@link ClientConductor}).
 *
 * <p>Writes, reads and their futures: many may be in flight at once (pipelining); replies are matched by
 * correlation id. Each write carries this client's id and a sequence (1, 2, 3, ... in call order); every
 * retry of it reuses the sequence, so the leader applies it once. Futures complete on the conductor
 * thread, exceptionally with a {@link LogshipClientException} naming status, node and message; callbacks
 * must not block. Key and value arrays must not be changed until the future completes (they are not
 * copied).
 *
 * <p><b>maxInFlight</b>: a call that would exceed it blocks the calling thread until a request completes,
 * at most {@code deadlineMs}; then its future fails with {@link ResponseStatus#OVERLOADED}. Called from the
 * conductor thread (inside a callback) it never blocks: it fails at once instead.
 *
 * <p>Thread-safe.
 */
public final class LogshipClient implements AutoCloseable
{
    /** Slack on top of the deadline for blocking calls, so the conductor's own deadline error wins. */
    private static final long BLOCKING_SLACK_MS = 5_000;
    /** How long a lost transport waits for the duty thread to leave it (one duty cycle is microseconds). */
    private static final long TRANSPORT_RELEASE_WAIT_MS = 1_000;

    private final ClientConfig config;
    private final TransportNode transport;
    private final ClientConductor conductor;
    private final AgentRunner runner;
    private final ManyToOneConcurrentArrayQueue<ClientRequest> queue;
    private final Semaphore permits;
    private volatile boolean closed;
    /** Non-null once the transport was lost ({@link #onTransportLost}): every request fails with it. */
    private volatile LogshipClientException lost;
    private volatile Thread conductorThread;

    private LogshipClient(final ClientConfig config)
    {
        this.config = config;
        final TransportContext ctx = new TransportContext()
            .nodeId(-1)
            .endpointHost(config.responseHost())
            .endpointPort(config.responsePort())
            .aeronDirectoryName(config.aeronDir())
            .embeddedDriver(true)
            .idleStrategy(config.idleStrategy())
            .threadingMode(config.sharedThreading() ? ThreadingMode.INVOKER : TransportConfiguration.threadingMode())
            .invokedByOwner(config.sharedThreading()) // ClientConductor.doWork calls TransportNode.invoke()
            .termLength(config.termLength())
            .mtuLength(config.mtuLength())
            .clusterSecretFile(config.clusterSecretFile())
            .errorHandler(config.errorHandler());
        this.transport = TransportNode.launch(ctx);
        try
        {
            // Every queued request holds a permit, so the queue never fills; it is a power of two above that.
            this.permits = new Semaphore(config.maxInFlight());
            this.queue = new ManyToOneConcurrentArrayQueue<>(config.maxInFlight() + 1);
            this.conductor = new ClientConductor(config, transport, queue, permits);
            transport.onLost(this::onTransportLost);
            final IdleStrategy idle = config.sharedThreading() ?
                new ConductorIdleStrategy(SystemNanoClock.INSTANCE) : transport.newIdleStrategy();
            this.runner = new AgentRunner(idle, config.errorHandler(), null, conductor);
            AgentRunner.startOnThread(runner, (runnable) ->
            {
                final Thread thread = new Thread(runnable);
                thread.setDaemon(true);
                conductorThread = thread;
                return thread;
            });
        }
        catch (final RuntimeException ex)
        {
            CloseHelper.quietClose(transport);
            throw ex;
        }
    }

    /**
     * Validates the config (concluding it if needed), starts the client and begins connecting to every
     * node. Returns without waiting for any node: requests wait for their node's session within their
     * deadline.
     */
    public static LogshipClient connect(final ClientConfig config)
    {
        if (!config.isConcluded())
        {
            config.conclude();
        }
        return new LogshipClient(config);
    }

    public CompletableFuture<WriteResult> put(final byte[] key, final byte[] value)
    {
        return put(key, value, config.defaultAckLevel());
    }

    public CompletableFuture<WriteResult> put(final byte[] key, final byte[] value, final AckLevel ackLevel)
    {
        return write(RecordType.PUT, key, value, ackLevel);
    }

    public CompletableFuture<WriteResult> delete(final byte[] key)
    {
        return delete(key, config.defaultAckLevel());
    }

    public CompletableFuture<WriteResult> delete(final byte[] key, final AckLevel ackLevel)
    {
        return write(RecordType.DELETE, key, new byte[0], ackLevel);
    }

    /** LEADER consistency goes to the leader; ANY and MIN_OFFSET to a follower if one is known, else any node. */
    public CompletableFuture<ReadResult> get(final byte[] key, final ReadConsistency consistency)
    {
        return read(ClientRequest.Routing.PREFER_FOLLOWER, -1, key, consistency);
    }

    /** A read at one node; with LEADER consistency a non-leader answers NOT_LEADER (a failed future). */
    public CompletableFuture<ReadResult> get(final int nodeId, final byte[] key, final ReadConsistency consistency)
    {
        return read(ClientRequest.Routing.FIXED, nodeId, key, consistency);
    }

    /**
     * Committed records from {@code fromOffset}, at most about {@code maxBytes} of batches (the node
     * always returns at least one whole batch). Blocking. Records below {@code fromOffset} in the first
     * batch are skipped; every batch's CRC32C is checked. NOOP records (a leader opening its epoch) are
     * included, so offsets are dense.
     *
     * @param nodeId a node, or -1 for the leader.
     * @throws LogshipClientException on failure, or with {@link ResponseStatus#CORRUPT_RESPONSE} if a batch
     *                                fails its checks.
     */
    public TailBatch tail(final int nodeId, final long fromOffset, final int maxBytes)
    {
        if (fromOffset < 0)
        {
            throw invalid("tail", "fromOffset=" + fromOffset + " is invalid: expected an offset >= 0");
        }
        if (maxBytes <= 0)
        {
            throw invalid("tail", "maxBytes=" + maxBytes + " is invalid: expected a positive number of bytes");
        }
        final CompletableFuture<EgressAdapter.RawTail> future = new CompletableFuture<>();
        final ClientRequest request = nodeId < 0 ?
            new ClientRequest(ClientRequest.Kind.TAIL, ClientRequest.Routing.LEADER, -1, future) :
            new ClientRequest(ClientRequest.Kind.TAIL, ClientRequest.Routing.FIXED, nodeId, future);
        request.fromOffset = fromOffset;
        request.maxBytes = maxBytes;
        submit(request);
        return decodeTail(await(future), fromOffset);
    }

    /** One node's status. Blocking; needs the cluster secret. */
    public NodeStatus status(final int nodeId)
    {
        final CompletableFuture<NodeStatus> future = new CompletableFuture<>();
        submit(admin(ClientRequest.Kind.STATUS, nodeId, future));
        return await(future);
    }

    /** The cluster configuration node {@code nodeId} has in effect (docs/DESIGN.md#membership). Blocking; needs the secret. */
    public ClusterMembers members(final int nodeId)
    {
        final CompletableFuture<ClusterMembers> future = new CompletableFuture<>();
        submit(admin(ClientRequest.Kind.MEMBER_LIST, nodeId, future));
        return await(future);
    }

    /** CRC32C of one node's committed batches covering {@code [fromOffset, toOffset)}. Blocking; needs the secret. */
    public ChecksumResult checksum(final int nodeId, final long fromOffset, final long toOffset)
    {
        if (fromOffset < 0 || toOffset < fromOffset)
        {
            throw invalid("checksum", "range [" + fromOffset + ", " + toOffset +
                ") is invalid: expected 0 <= fromOffset <= toOffset");
        }
        final CompletableFuture<ChecksumResult> future = new CompletableFuture<>();
        final ClientRequest request = admin(ClientRequest.Kind.CHECKSUM, nodeId, future);
        request.fromOffset = fromOffset;
        request.toOffset = toOffset;
        submit(request);
        return await(future);
    }

    /**
     * Asks {@code nodeId} to become leader ({@code force}: unclean, skipping the up-to-date check). Blocking;
     * needs the secret. Not retried after a timeout (the outcome is then unknown: check status).
     */
    public AdminResult promote(final int nodeId, final boolean force)
    {
        return promote(nodeId, force, nodeId);
    }

    /**
     * Asks {@code viaNodeId} to make {@code nodeId} leader: sent to the current leader, a graceful switchover
     * (writes pause until {@code nodeId} holds the whole log, then it is handed over); sent to {@code nodeId}
     * itself, a candidacy ({@code force}: unclean, at once). Blocking; needs the secret; not retried.
     */
    public AdminResult promote(final int nodeId, final boolean force, final int viaNodeId)
    {
        final CompletableFuture<AdminResult> future = new CompletableFuture<>();
        final ClientRequest request = admin(ClientRequest.Kind.PROMOTE, viaNodeId, future);
        request.force = force;
        request.promoteNodeId = nodeId;
        submit(request);
        return await(future);
    }

    /**
     * Asks the leader for one membership change (docs/DESIGN.md#membership): the request goes to the leader as known
     * (NOT_LEADER redirects and UNAVAILABLE back-offs are followed until the deadline), which appends one MEMBERS
     * record and answers once that record is committed. Blocking; needs the secret; not retried after an unanswered
     * attempt or a TIMEOUT (the change may still commit: {@link #members} shows).
     *
     * @param change   ADD, PROMOTE or REMOVE.
     * @param memberId the member's node id.
     * @param address  ADD only: {@code host:port} of the new member's replication endpoint (as in
     *                 {@code logship.cluster.nodes}); null otherwise.
     * @param voter    ADD only: add as a voter (the leader refuses unless the node is caught up) instead of a learner.
     * @throws LogshipClientException with {@link ResponseStatus#INVALID} when the leader refuses the change by a rule;
     *                                its message names the rule and what to do.
     */
    public MemberChangeResult changeMember(
        final MemberChange change, final int memberId, final String address, final boolean voter)
    {
        if (null == change)
        {
            throw invalid("member change", "change is null");
        }
        if (memberId <= 0)
        {
            throw invalid("member change", "memberId=" + memberId + " is invalid: expected a node id >= 1");
        }
        if (change == MemberChange.ADD && (null == address || address.isBlank()))
        {
            throw invalid("member add", "address is missing: expected host:port of node " + memberId +
                "'s replication endpoint");
        }
        if (null == config.clusterSecretFile())
        {
            throw new LogshipClientException("member change failed: " + ResponseStatus.NOT_CONFIGURED +
                ": admin calls are authenticated with the cluster secret and none is configured " +
                "(set ClientConfig.clusterSecretFile)", ResponseStatus.NOT_CONFIGURED, -1, leaderId(), null);
        }
        final CompletableFuture<MemberChangeResult> future = new CompletableFuture<>();
        final ClientRequest request =
            new ClientRequest(ClientRequest.Kind.MEMBER_CHANGE, ClientRequest.Routing.LEADER, -1, future);
        request.memberChange = change;
        request.memberId = memberId;
        request.memberAddress = change == MemberChange.ADD ? address : "";
        request.memberVoter = change == MemberChange.ADD && voter;
        submit(request);
        return await(future);
    }

    /**
     * One step of {@code logship snapshot save} at {@code nodeId}: the first call with a new {@code exportId} makes
     * the node take a fresh snapshot of its store; calls answer {@link SnapshotChunk#isPending()} until it is taken,
     * then up to {@code maxBytes} of the file from {@code position}. Asking for a position again is safe. Blocking;
     * needs the secret. End with {@link #releaseSnapshot}.
     */
    public SnapshotChunk snapshotChunk(final int nodeId, final long exportId, final long position, final int maxBytes)
    {
        if (position < 0 || maxBytes <= 0)
        {
            throw invalid("snapshot save", "position " + position + " and maxBytes " + maxBytes +
                " are invalid: expected position >= 0 and maxBytes > 0");
        }
        final CompletableFuture<SnapshotChunk> future = new CompletableFuture<>();
        final ClientRequest request = admin(ClientRequest.Kind.SNAPSHOT_SAVE, nodeId, future);
        request.exportId = exportId;
        request.fromOffset = position;
        request.maxBytes = maxBytes;
        submit(request);
        return await(future);
    }

    /** Tells {@code nodeId} that the export is over (done or given up), so it closes the snapshot file at once. */
    public void releaseSnapshot(final int nodeId, final long exportId)
    {
        final CompletableFuture<SnapshotChunk> future = new CompletableFuture<>();
        final ClientRequest request = admin(ClientRequest.Kind.SNAPSHOT_SAVE, nodeId, future);
        request.exportId = exportId;
        request.maxBytes = 1;
        request.release = true;
        submit(request);
        await(future);
    }

    /** Asks {@code nodeId} to step down. Blocking; needs the secret. Not retried after a timeout. */
    public AdminResult demote(final int nodeId)
    {
        final CompletableFuture<AdminResult> future = new CompletableFuture<>();
        submit(admin(ClientRequest.Kind.DEMOTE, nodeId, future));
        return await(future);
    }

    /** The leader as last learned from any answer, -1 if unknown. */
    public int leaderId()
    {
        return conductor.leaderId();
    }

    public long clientId()
    {
        return config.clientId();
    }

    public ClientConfig config()
    {
        return config;
    }

    /**
     * Stops the conductor, fails every pending future with {@link ResponseStatus#CLOSED}, closes the
     * driver and removes its directory. Idempotent.
     */
    @Override
    public synchronized void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        try
        {
            CloseHelper.close(runner);
        }
        finally
        {
            ClientConductor.failQueued(queue, permits, closedError());
            transport.close();
        }
    }

    private CompletableFuture<WriteResult> write(
        final RecordType type, final byte[] key, final byte[] value, final AckLevel ackLevel)
    {
        final CompletableFuture<WriteResult> future = new CompletableFuture<>();
        final String operation = type == RecordType.PUT ? "put" : "delete";
        final String invalid = null == ackLevel ? "ackLevel is null" : checkKeyValue(key, value);
        if (null != invalid)
        {
            future.completeExceptionally(invalid(operation, invalid));
            return future;
        }
        final ClientRequest request = new ClientRequest(
            ClientRequest.Kind.WRITE, ClientRequest.Routing.LEADER, -1, future);
        request.recordType = type;
        request.key = key;
        request.value = value;
        request.ackLevel = ackLevel;
        submit(request);
        return future;
    }

    private CompletableFuture<ReadResult> read(
        final ClientRequest.Routing routing, final int nodeId, final byte[] key, final ReadConsistency consistency)
    {
        final CompletableFuture<ReadResult> future = new CompletableFuture<>();
        final String invalid = null == consistency ? "consistency is null" :
            routing == ClientRequest.Routing.FIXED && !config.nodes().containsKey(nodeId) ?
                "node " + nodeId + " is not in the client's node list " + config.nodes().keySet() :
                checkKeyValue(key, new byte[0]);
        if (null != invalid)
        {
            future.completeExceptionally(invalid("get", invalid));
            return future;
        }
        final ClientRequest request = new ClientRequest(ClientRequest.Kind.READ,
            routing == ClientRequest.Routing.FIXED ? routing :
                consistency.kind() == ReadConsistency.Kind.LEADER ?
                    ClientRequest.Routing.LEADER : ClientRequest.Routing.PREFER_FOLLOWER,
            nodeId, future);
        request.key = key;
        request.consistency = consistency;
        submit(request);
        return future;
    }

    private static String checkKeyValue(final byte[] key, final byte[] value)
    {
        if (null == key)
        {
            return "key is null";
        }
        if (key.length > RecordDescriptor.MAX_KEY_LENGTH)
        {
            return "key of " + key.length + " bytes exceeds the limit of " + RecordDescriptor.MAX_KEY_LENGTH + " bytes";
        }
        if (null == value)
        {
            return "value is null";
        }
        if (value.length > RecordDescriptor.MAX_VALUE_LENGTH)
        {
            return "value of " + value.length + " bytes exceeds the limit of " + RecordDescriptor.MAX_VALUE_LENGTH +
                " bytes";
        }
        return null;
    }

    private ClientRequest admin(final ClientRequest.Kind kind, final int nodeId, final CompletableFuture<?> future)
    {
        if (null == config.clusterSecretFile())
        {
            throw new LogshipClientException(kind.operation + " failed: " + ResponseStatus.NOT_CONFIGURED +
                ": admin calls are authenticated with the cluster secret and none is configured " +
                "(set ClientConfig.clusterSecretFile)", ResponseStatus.NOT_CONFIGURED, nodeId, leaderId(), null);
        }
        if (!config.nodes().containsKey(nodeId))
        {
            throw invalid(kind.operation, "node " + nodeId + " is not in the client's node list " +
                config.nodes().keySet());
        }
        return new ClientRequest(kind, ClientRequest.Routing.FIXED, nodeId, future);
    }

    /**
     * Takes an in-flight permit (blocking up to the deadline, see the class comment) and queues the request
     * for the conductor; on any failure the request's future fails instead.
     */
    private void submit(final ClientRequest request)
    {
        final LogshipClientException lostTransport = lost;
        if (null != lostTransport)
        {
            request.fail(lostTransport);
            return;
        }
        if (closed)
        {
            request.fail(closedError());
            return;
        }
        boolean acquired;
        try
        {
            acquired = Thread.currentThread() == conductorThread ?
                permits.tryAcquire() : permits.tryAcquire(config.deadlineMs(), TimeUnit.MILLISECONDS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            request.fail(new LogshipClientException(request.kind.operation + " interrupted while waiting for one of " +
                config.maxInFlight() + " in-flight slots", ResponseStatus.OVERLOADED, -1, ex));
            return;
        }
        if (!acquired)
        {
            request.fail(new LogshipClientException(request.kind.operation + " failed: " + ResponseStatus.OVERLOADED +
                ": " + config.maxInFlight() + " requests (ClientConfig.maxInFlight) were in flight for the whole " +
                "deadline of " + config.deadlineMs() + " ms", ResponseStatus.OVERLOADED, -1, leaderId(), null));
            return;
        }
        if (!conductor.enqueue(request))
        {
            permits.release();
            request.fail(new LogshipClientException(request.kind.operation + " failed: the client's command queue " +
                "is full", ResponseStatus.OVERLOADED, -1, leaderId(), null));
            return;
        }
        if (closed)
        {
            // close() may have drained the queue before this request reached it: fail it here (a no-op if
            // the conductor or close() already completed it).
            request.fail(closedError());
        }
    }

    private <T> T await(final CompletableFuture<T> future)
    {
        try
        {
            return future.get(config.deadlineMs() + BLOCKING_SLACK_MS, TimeUnit.MILLISECONDS);
        }
        catch (final ExecutionException ex)
        {
            final Throwable cause = ex.getCause();
            if (cause instanceof LogshipClientException)
            {
                // Rethrown as a new exception so the caller's stack trace shows the blocking call.
                final LogshipClientException original = (LogshipClientException)cause;
                final LogshipClientException rethrown = new LogshipClientException(original.getMessage(),
                    original.status(), original.nodeId(), original.leaderId(), original.ackLevelReached());
                rethrown.addSuppressed(original);
                throw rethrown;
            }
            throw new LogshipClientException("request failed: " + cause, ResponseStatus.ERROR, -1, cause);
        }
        catch (final TimeoutException ex)
        {
            throw new LogshipClientException("no result within " + (config.deadlineMs() + BLOCKING_SLACK_MS) +
                " ms: is the client conductor alive?", ResponseStatus.DEADLINE_EXCEEDED, -1, ex);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new LogshipClientException("interrupted while waiting for a result", ResponseStatus.ERROR, -1, ex);
        }
    }

    /** Decodes a tail answer on the caller's thread: checks every batch, skips records below fromOffset. */
    static TailBatch decodeTail(final EgressAdapter.RawTail raw, final long fromOffset)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(raw.batches());
        final RecordCursor cursor = new RecordCursor();
        final List<TailRecord> records = new ArrayList<>();
        int position = 0;
        final int end = raw.batches().length;
        while (position < end)
        {
            final String invalid = BatchDescriptor.validate(buffer, position, end - position);
            if (null != invalid)
            {
                throw new LogshipClientException("tail failed at node " + raw.nodeId() + ": " +
                    ResponseStatus.CORRUPT_RESPONSE + ": batch at byte " + position + " of the response" +
                    (end - position >= BatchDescriptor.HEADER_LENGTH ?
                        " (base offset " + BatchDescriptor.baseOffset(buffer, position) + ")" : "") +
                    " is invalid: " + invalid, ResponseStatus.CORRUPT_RESPONSE, raw.nodeId(), -1, null);
            }
            try
            {
                cursor.wrap(buffer, position);
                while (cursor.next())
                {
                    if (cursor.offset() >= fromOffset)
                    {
                        records.add(new TailRecord(cursor.offset(), cursor.type(), cursor.keyBytes(), cursor.valueBytes()));
                    }
                }
            }
            catch (final LogshipException ex)
            {
                throw new LogshipClientException("tail failed at node " + raw.nodeId() + ": " +
                    ResponseStatus.CORRUPT_RESPONSE + ": " + ex.getMessage(), ResponseStatus.CORRUPT_RESPONSE,
                    raw.nodeId(), ex);
            }
            position += BatchDescriptor.length(buffer, position);
        }
        return new TailBatch(List.copyOf(records), raw.nextOffset(), raw.logStartOffset(), raw.commitOffset());
    }

    private LogshipClientException invalid(final String operation, final String detail)
    {
        return new LogshipClientException(operation + " failed: " + ResponseStatus.INVALID + ": " + detail,
            ResponseStatus.INVALID, -1, leaderId(), null);
    }

    /**
     * The Aeron client under this client was terminated: its conductor did not run within the driver's client
     * liveness timeout (the application was paused, by SIGSTOP, a debugger or a stalled VM, for longer than that,
     * 10 s by default) or the driver stopped answering. Aeron's close handler, on its conductor thread: every
     * pending and later request fails with {@link ResponseStatus#CLOSED} and this reason, and the duty thread stops
     * using the transport before Aeron unmaps it. The application makes a new client; {@link #close()} still
     * releases this one.
     */
    private void onTransportLost()
    {
        final LogshipClientException error = new LogshipClientException("client closed: its transport was lost (the " +
            "Aeron client was terminated: it did not run within the client liveness timeout, 10 s unless " +
            "aeron.client.liveness.timeout says otherwise, e.g. because the process was paused, or its media driver " +
            "stopped); connect a new LogshipClient", ResponseStatus.CLOSED, -1, conductor.leaderId(), null);
        lost = error;
        conductor.transportLost(error, TRANSPORT_RELEASE_WAIT_MS);
        config.errorHandler().onError(error);
    }

    private LogshipClientException closedError()
    {
        return ClientConductor.closedError(conductor.leaderId());
    }

    @Override
    public String toString()
    {
        return "LogshipClient{clientId=" + config.clientId() + ", nodes=" + config.nodes() + ", leaderId=" +
            leaderId() + "}";
    }
}
