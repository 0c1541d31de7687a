package io.logship.client;

import io.logship.transport.BoundedPublisher;
import io.logship.transport.PublishResult;
import io.logship.transport.TransportNode;
import io.logship.transport.TransportStream;
import org.agrona.CloseHelper;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;
import org.agrona.concurrent.NanoClock;

import java.util.ArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The client's one thread: its duty cycle and the wiring of the collaborators that do the work. API threads
 * hand it {@link ClientRequest}s through a bounded queue; it completes their futures, so futures complete
 * on this thread and callbacks must not block.
 *
 * <p>Each duty cycle: drain the queue (writes go to the {@link BatchAssembler}, the rest are sent at once),
 * send the batch this cycle assembled, poll answers ({@link EgressAdapter}), and every millisecond run the
 * Connect rounds ({@link NodeSessions}) and the timers of every active request. Sending an attempt is
 * here ({@link #trySend}): the {@link RetryPolicy} picks the node and reacts to failures, the
 * {@link IngressPublisher} encodes, {@link InFlightRequests} holds the attempt until its answer or its
 * timer. Each attempt gets a fresh correlation id, so a late answer to an abandoned attempt is ignored.
 *
 * <p>Not thread-safe: only {@link #enqueue} and {@link #leaderId()} may be called from other threads.
 */
final class ClientConductor implements Agent
{
    /**
     * Requests drained per duty cycle at least. The batch is sealed after each drain, so the drain limit is also
     * the batch size limit: {@link #commandLimit} raises it to {@code maxBatchRecords}.
     */
    private static final int COMMAND_LIMIT = 64;
    private static final int FRAGMENT_LIMIT = 64;
    private static final long SCAN_INTERVAL_NS = TimeUnit.MILLISECONDS.toNanos(1);

    private final ClientConfig config;
    private final long clientId;
    private final ManyToOneConcurrentArrayQueue<ClientRequest> commandQueue;
    private final Semaphore inFlightPermits;
    private final NanoClock clock;
    private final EgressAdapter egress;
    private final NodeSessions sessions;
    private final InFlightRequests requests;
    private final RetryPolicy retryPolicy;
    /** Every request taken from the queue and not done yet, except writes still in the batch assembler. */
    private final ArrayList<ClientRequest> active = new ArrayList<>();
    /** Created once: a method reference made in every duty cycle would be garbage. */
    private final Consumer<ClientRequest> requestHandler = this::onRequest;
    private final long requestTimeoutNs;
    private final long deadlineNs;
    private final int commandLimit;

    private final IngressPublisher publisher;
    private final BatchAssembler batches;

    private long nextCorrelationId = 1;
    private long nextSequence = 1;
    private long lastScanNs;

    private final TransportNode transport;
    private volatile Thread dutyThread;
    /** Set by {@link #transportLost}: from then on the duty cycle touches nothing of Aeron. */
    private volatile LogshipClientException transportLost;
    /** Counted down by the duty thread once it has failed every request and stopped using the transport. */
    private final CountDownLatch outOfTransport = new CountDownLatch(1);
    private boolean failedForLostTransport;

    /**
     * Creates, per node, the ingress publication (and the admin one when a cluster secret is configured),
     * then the response subscription on the client's own endpoint. Runs on the caller's thread before the
     * conductor thread starts; on failure closes what it opened.
     */
    ClientConductor(
        final ClientConfig config,
        final TransportNode transport,
        final ManyToOneConcurrentArrayQueue<ClientRequest> commandQueue,
        final Semaphore inFlightPermits)
    {
        this.config = config;
        this.clientId = config.clientId();
        this.commandQueue = commandQueue;
        this.inFlightPermits = inFlightPermits;
        this.transport = transport;
        this.clock = transport.context().nanoClock();
        this.requestTimeoutNs = TimeUnit.MILLISECONDS.toNanos(config.requestTimeoutMs());
        this.deadlineNs = TimeUnit.MILLISECONDS.toNanos(config.deadlineMs());
        this.batches = new BatchAssembler(config.maxBatchRecords(), config.maxBatchBytes());
        this.commandLimit = Math.max(COMMAND_LIMIT, config.maxBatchRecords());
        this.sessions = new NodeSessions(config, transport);
        this.requests = new InFlightRequests(inFlightPermits, sessions);
        this.retryPolicy = new RetryPolicy(config, sessions, requests);
        EgressAdapter egress = null;
        try
        {
            egress = new EgressAdapter(config, transport, sessions, requests, retryPolicy, this::trySend,
                this::followNewLeader);
            // Connect names the port the driver bound, which the kernel chose when responsePort is 0.
            this.publisher = new IngressPublisher(clientId,
                egress.responseChannel(transport, config.requestTimeoutMs()), TransportStream.CLIENT_EGRESS.streamId());
        }
        catch (final RuntimeException ex)
        {
            CloseHelper.quietClose(egress);
            sessions.close();
            throw ex;
        }
        this.egress = egress;
    }

    /** The leader as last learned, -1 if unknown. Any thread. */
    int leaderId()
    {
        return sessions.leaderId();
    }

    @Override
    public void onStart()
    {
        dutyThread = Thread.currentThread();
        final long nowNs = clock.nanoTime();
        sessions.connectAll(nowNs);
        lastScanNs = nowNs - SCAN_INTERVAL_NS;
    }

    @Override
    public int doWork()
    {
        if (null != transportLost)
        {
            return onTransportLost();
        }
        int workCount = commandQueue.drain(requestHandler, commandLimit);
        sealBatch();
        // With ClientConfig.sharedThreading the media driver runs here: it sends what was just offered and reads
        // the answers before the poll below looks for them. Otherwise nothing, and 0.
        workCount += transport.invoke();
        if (null != transportLost)
        {
            return workCount + onTransportLost(); // lost inside the invoke: Aeron's buffers are gone
        }
        workCount += egress.poll(FRAGMENT_LIMIT);

        final long nowNs = clock.nanoTime();
        if (nowNs - lastScanNs >= SCAN_INTERVAL_NS)
        {
            lastScanNs = nowNs;
            workCount += sessions.maintain(nowNs, publisher);
            workCount += scanRequests(nowNs);
            batches.drainUnbatched(active);
        }
        return workCount;
    }

    @Override
    public void onClose()
    {
        if (null != transportLost)
        {
            // Aeron closed its publications and subscriptions itself; closing them again would wait on its lock.
            onTransportLost();
            return;
        }
        failEverything(closedError(sessions.leaderId()));
        egress.close();
        sessions.close();
    }

    /**
     * The Aeron client was terminated under this client (see {@link TransportNode#onLost}). Called on the Aeron
     * client's conductor thread, before it unmaps the buffers of every publication, subscription and counter: the
     * duty thread must be out of them first, or the application's JVM dies of SIGSEGV. Waits up to {@code waitMs}
     * for the duty thread to finish its current cycle and fail every request with {@code error}; the wait ends early
     * at the bound only if the duty thread is inside an Aeron call, which then finds the client closed and throws.
     * With shared threading the Aeron client conductor runs inside the duty thread's own {@link TransportNode#invoke},
     * so this is the duty thread: it fails every request at once, and {@link #doWork} checks for the loss right
     * after the invoke, before it touches Aeron again.
     */
    void transportLost(final LogshipClientException error, final long waitMs)
    {
        transportLost = error;
        if (Thread.currentThread() == dutyThread)
        {
            onTransportLost();
            return;
        }
        try
        {
            outOfTransport.await(waitMs, TimeUnit.MILLISECONDS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    private int onTransportLost()
    {
        if (!failedForLostTransport)
        {
            failedForLostTransport = true;
            failEverything(transportLost);
            outOfTransport.countDown();
            return 1;
        }
        // Later submissions fail in the API thread; anything that slipped into the queue meanwhile fails here.
        failQueued(commandQueue, inFlightPermits, transportLost);
        return 0;
    }

    private void failEverything(final LogshipClientException error)
    {
        for (final ClientRequest request : active)
        {
            if (request.state != ClientRequest.DONE)
            {
                requests.fail(request, error);
            }
        }
        batches.closeAll((request) -> requests.fail(request, error));
        active.clear();
        requests.clear();
        failQueued(commandQueue, inFlightPermits, error);
    }

    /** What every request still pending when the client closes fails with. */
    static LogshipClientException closedError(final int leaderId)
    {
        return new LogshipClientException("client closed before the request completed", ResponseStatus.CLOSED, -1,
            leaderId, null);
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
            if (batches.isEnabled())
            {
                final ClientRequest sealed = batches.add(request);
                if (null != sealed)
                {
                    sendSealed(sealed);
                }
                return;
            }
        }
        active.add(request);
        trySend(request, nowNs);
    }

    /** Sends what this duty cycle drained for the batch assembler (see {@link BatchAssembler}). */
    private void sealBatch()
    {
        final ClientRequest sealed = batches.seal();
        if (null != sealed)
        {
            sendSealed(sealed);
        }
    }

    private void sendSealed(final ClientRequest sealed)
    {
        active.add(sealed);
        trySend(sealed, clock.nanoTime());
    }

    /**
     * The timers of every active request: its deadline, its attempt's timeout, or its next attempt coming
     * due. Done requests leave the list here, compacted in place.
     */
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

    /**
     * A node announced it leads {@code epoch} and takes writes: every leader-bound request whose attempt waits on
     * another node, or waits out a back-off, goes there now rather than after its attempt timeout, a Connect round
     * to the old leader or its back-off (docs/DESIGN.md#new-leader). Its sequence is unchanged, so a write the old
     * leader did replicate is answered with its original offset; a late answer to the abandoned attempt is ignored.
     */
    private void followNewLeader(final int leaderId, final int epoch, final long nowNs)
    {
        final ArrayList<ClientRequest> active = this.active;
        for (int i = 0, size = active.size(); i < size; i++)
        {
            final ClientRequest request = active.get(i);
            if (request.routing != ClientRequest.Routing.LEADER || request.state == ClientRequest.DONE ||
                (request.state == ClientRequest.SENT && request.targetNodeId == leaderId))
            {
                continue;
            }
            if (request.state == ClientRequest.SENT)
            {
                if (request.kind.isAdmin())
                {
                    continue; // a promote, demote or member change is never resent: its outcome would be unknown
                }
                requests.abandonAttempt(request);
                request.state = ClientRequest.WAITING;
                // As after an attempt timeout: the old leader may have died and restarted without this client's
                // session, and a request it drops would cost a whole attempt if it leads again; connect anew.
                final NodeSession old = sessions.get(request.targetNodeId);
                if (null != old && NodeSession.CONNECTED == old.state)
                {
                    old.disconnect(old.describe() + " no longer leads: node " + leaderId + " leads epoch " + epoch);
                    old.ensureConnecting(nowNs);
                }
            }
            request.lastFailure = "node " + leaderId + " announced it leads epoch " + epoch;
            request.waitNodeId = -1;
            request.redirects = 0;
            request.nextAttemptNs = nowNs;
            trySend(request, nowNs);
        }
    }

    /** Sends the request's next attempt if it is due and its node is connected; true if sent. */
    private boolean trySend(final ClientRequest request, final long nowNs)
    {
        if (request.state != ClientRequest.WAITING || nowNs - request.nextAttemptNs < 0)
        {
            return false;
        }
        if (batches.splitForRetry(request))
        {
            return false;
        }
        final int target = retryPolicy.chooseTarget(request);
        final NodeSession session = sessions.get(target);
        if (null == session)
        {
            requests.fail(request, ResponseStatus.INVALID, target, "node " + target +
                " is not in the client's node list " + sessions.nodeIds(), null);
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
            requests.fail(request, ResponseStatus.NOT_CONFIGURED, target, "admin calls need the cluster secret " +
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
                request.nodeTimeoutMs = nodeTimeoutMs;
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
                requests.fail(request, ResponseStatus.INVALID, target, "request of " + publisher.lastMessageLength() +
                    " bytes exceeds the largest message the client's publication takes (" +
                    publication.publication().maxMessageLength() + " bytes; raise ClientConfig.termLength)", null);
                return false;

            default:
                requests.fail(request, ResponseStatus.ERROR, target, "publication to " + session.describe() +
                    " is " + result + ": the client must be restarted", null);
                return false;
        }
    }
}
