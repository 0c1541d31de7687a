package io.logship.transport;

import io.aeron.Aeron;
import io.aeron.CommonContext;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import io.aeron.exceptions.AeronException;
import io.logship.transport.auth.Authenticator;
import org.agrona.CloseHelper;
import org.agrona.IoUtil;
import org.agrona.concurrent.AgentInvoker;
import org.agrona.concurrent.IdleStrategy;

import java.io.File;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The media driver and Aeron client of one process (node, client or tool). With an embedded driver it
 * launches the driver in its own directory, deleted on start (refusing if a live driver still uses it)
 * and on close; otherwise it connects to the external driver of that directory. It hands out
 * {@link BoundedPublisher}s and {@link MessageAdapter}s wired to the context's authentication policy,
 * secret, retry budget and error handler.
 *
 * <p>Thread-safe for creating publishers and adapters (Aeron's client is); each publisher and adapter
 * is then owned by one thread. {@link #close()} closes the client (and with it every publication,
 * subscription and counter) and then the driver, and removes an embedded driver's directory.
 *
 * <p>With {@link ThreadingMode#INVOKER} neither the driver nor the client conductor has a thread: one thread,
 * the owner's duty thread, runs both by calling {@link #invoke()} every duty cycle, and is then the only thread
 * that may create publishers and adapters (their set-up runs the driver while it waits for its answer, and the
 * driver must never run on two threads at once), apart from the thread that launched the node, before the duty
 * thread starts. {@link #close()} must then run after the duty thread has stopped.
 */
public final class TransportNode implements AutoCloseable
{
    /**
     * Most media driver turns per {@link #invoke()}: up to this many datagrams read per socket per duty cycle. The
     * loop stops at the first turn without work, so an idle node pays one turn; 16 turns of an MTU each are about
     * 22 KiB, tens of microseconds, which keeps the rest of the duty cycle (heartbeats, acks) on time.
     */
    static final int DRIVER_TURNS_PER_INVOKE = 16;

    private final TransportContext ctx;
    private final MediaDriver mediaDriver;
    private final Aeron aeron;
    /** Non-null only with {@link ThreadingMode#INVOKER}: the driver's agents and the client conductor. */
    private final AgentInvoker driverInvoker;
    private final AgentInvoker clientInvoker;
    /** Non-null only with {@link ThreadingMode#INVOKER} and an embedded driver. */
    private final NetworkWait networkWait;
    /** Set by {@link #close()}: the Aeron client closing after it is the owner's stop, not a lost transport. */
    private volatile boolean closing;

    private TransportNode(final TransportContext ctx, final MediaDriver mediaDriver, final Aeron aeron,
        final NetworkWait networkWait)
    {
        this.ctx = ctx;
        this.networkWait = networkWait;
        this.mediaDriver = mediaDriver;
        this.aeron = aeron;
        this.driverInvoker = null == mediaDriver ? null : mediaDriver.sharedAgentInvoker();
        this.clientInvoker = aeron.conductorAgentInvoker();
    }

    /**
     * Concludes the context if needed, launches or connects to the driver, and connects the client.
     *
     * @throws TransportException naming the directory if a live driver already uses it (embedded), or if
     * no driver answers within the driver timeout (external).
     */
    public static TransportNode launch(final TransportContext ctx)
    {
        if (!ctx.isConcluded())
        {
            ctx.conclude();
        }

        MediaDriver driver = null;
        final NetworkWait networkWait = ThreadingMode.INVOKER == ctx.threadingMode() && ctx.embeddedDriver() ?
            new NetworkWait() : null;
        try
        {
            if (ctx.embeddedDriver())
            {
                driver = launchEmbeddedDriver(ctx, networkWait);
            }

            final Aeron.Context aeronCtx = new Aeron.Context()
                .aeronDirectoryName(ctx.aeronDirectoryName())
                .driverTimeoutMs(ctx.driverTimeoutMs())
                .errorHandler(ctx.errorHandler())
                .clientName("logship-" + (ctx.nodeId() >= 0 ? "node-" + ctx.nodeId() : "client"));
            if (ThreadingMode.INVOKER == ctx.threadingMode())
            {
                // The client's synchronous calls (add a subscription, add a publication) wait for the driver's
                // answer: with the driver's invoker here they run the driver themselves while they wait, so they
                // complete on the launching thread before any duty thread exists, and on the duty thread after.
                aeronCtx.useConductorAgentInvoker(true).driverAgentInvoker(driver.sharedAgentInvoker());
            }
            final Aeron aeron = Aeron.connect(aeronCtx);

            return new TransportNode(ctx, driver, aeron, networkWait);
        }
        catch (final AeronException ex)
        {
            CloseHelper.quietCloseAll(driver, networkWait);
            deleteDirectory(ctx, driver);
            throw new TransportException("cannot start transport on aeron directory " + ctx.aeronDirectoryName() +
                " (" + (ctx.embeddedDriver() ? "embedded" : "external") + " driver): " + ex.getMessage(),
                TransportException.Category.FATAL, ex);
        }
        catch (final RuntimeException ex)
        {
            CloseHelper.quietCloseAll(driver, networkWait);
            deleteDirectory(ctx, driver);
            throw ex;
        }
    }

    private static MediaDriver launchEmbeddedDriver(final TransportContext ctx, final NetworkWait networkWait)
    {
        final File dir = new File(ctx.aeronDirectoryName());
        if (dir.exists() && isLiveDriver(dir))
        {
            throw new TransportException("a live media driver already uses " + ctx.aeronDirectoryName() +
                ": is node " + ctx.nodeId() + " already running? Stop it or choose another " +
                TransportConfiguration.AERON_DIR_PROP, TransportException.Category.FATAL);
        }

        final MediaDriver.Context driverCtx = new MediaDriver.Context()
            .aeronDirectoryName(ctx.aeronDirectoryName())
            .dirDeleteOnStart(true)
            .dirDeleteOnShutdown(true)
            .warnIfDirectoryExists(false)
            .threadingMode(ctx.threadingMode())
            .publicationTermBufferLength(ctx.termLength())
            .ipcTermBufferLength(ctx.termLength())
            .mtuLength(ctx.mtuLength())
            .publicationConnectionTimeoutNs(TimeUnit.MILLISECONDS.toNanos(ctx.publicationConnectionTimeoutMs()))
            .imageLivenessTimeoutNs(TimeUnit.MILLISECONDS.toNanos(ctx.imageLivenessTimeoutMs()))
            .driverTimeoutMs(ctx.driverTimeoutMs())
            .errorHandler(ctx.errorHandler());

        if (0 != ctx.socketRcvbufLength())
        {
            driverCtx.socketRcvbufLength(ctx.socketRcvbufLength());
        }
        if (null != networkWait)
        {
            networkWait.install(driverCtx);
        }
        final IdleStrategyKind idle = ctx.idleStrategy();
        switch (ctx.threadingMode())
        {
            case SHARED:
                driverCtx.sharedIdleStrategy(idle.newInstance());
                break;
            case SHARED_NETWORK:
                driverCtx.sharedNetworkIdleStrategy(idle.newInstance()).conductorIdleStrategy(idle.newInstance());
                break;
            default:
                driverCtx.senderIdleStrategy(idle.newInstance())
                    .receiverIdleStrategy(idle.newInstance())
                    .conductorIdleStrategy(idle.newInstance());
                break;
        }

        return MediaDriver.launch(driverCtx);
    }

    /**
     * Whether a running driver still owns {@code dir}. A live driver refreshes its heartbeat every few
     * milliseconds; one that was killed (SIGKILL, power loss) stops. Asking "was there a heartbeat in
     * the last driver timeout (10 s)?" would refuse every restart for 10 s after a crash, so look for
     * a heartbeat younger than {@value #LIVE_HEARTBEAT_MS} ms, twice: a dead driver's last heartbeat has
     * aged past that by the second look, a live driver's has not.
     */
    private static boolean isLiveDriver(final File dir)
    {
        if (!CommonContext.isDriverActive(dir, LIVE_HEARTBEAT_MS, (message) -> {}))
        {
            return false;
        }
        try
        {
            Thread.sleep(LIVE_HEARTBEAT_MS + 100);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return true;
        }
        return CommonContext.isDriverActive(dir, LIVE_HEARTBEAT_MS, (message) -> {});
    }

    private static final long LIVE_HEARTBEAT_MS = 1000;

    public TransportContext context()
    {
        return ctx;
    }

    public Aeron aeron()
    {
        return aeron;
    }

    /** The embedded driver, or null with an external one. */
    public MediaDriver mediaDriver()
    {
        return mediaDriver;
    }

    /** A new authenticator for one thread, or null if no cluster secret is configured. */
    public Authenticator newAuthenticator()
    {
        return null == ctx.clusterSecret() ? null : new Authenticator(ctx.clusterSecret());
    }

    /** Whether the owner's duty thread runs the driver and the client conductor ({@link #invoke()}). */
    public boolean isInvoked()
    {
        return null != driverInvoker;
    }

    /**
     * One turn of the client conductor, and up to {@link #DRIVER_TURNS_PER_INVOKE} turns of the media driver
     * (conductor, sender, receiver) while it finds work, when they have no threads of their own
     * ({@link ThreadingMode#INVOKER}); nothing, and 0, otherwise. Call it from the one duty thread that owns this
     * node, once per duty cycle.
     *
     * <p>Why several driver turns: Aeron's receiver reads one datagram per socket per turn (its
     * {@code DataTransportPoller}), and a node listens on one socket for everything: client writes, followers'
     * acks, votes. With its own thread the receiver spins on that; invoked once per duty cycle, a node whose cycles
     * take a millisecond under load read about a thousand datagrams a second, the kernel's socket buffer overflowed,
     * and acks that keep the leader's lease waited behind client data or were lost and retransmitted.
     *
     * @return the work done, for the duty thread's idle strategy.
     */
    public int invoke()
    {
        if (null == driverInvoker)
        {
            return 0;
        }
        int work = clientInvoker.invoke();
        for (int turn = 0; turn < DRIVER_TURNS_PER_INVOKE; turn++)
        {
            final int driverWork = driverInvoker.invoke();
            if (0 == driverWork)
            {
                break;
            }
            work += driverWork;
        }
        return work;
    }

    /**
     * With {@link ThreadingMode#INVOKER} and an embedded driver, the duty thread's way to sleep until the network or
     * another thread has work for it ({@link NetworkWait}); null otherwise (the driver's own threads poll).
     */
    public NetworkWait networkWait()
    {
        return networkWait;
    }

    /** A new idle strategy for an agent of this process, per the context. */
    public IdleStrategy newIdleStrategy()
    {
        return ctx.idleStrategy().newInstance();
    }

    /** A publisher to another process's endpoint, e.g. a follower's: {@code host:port} and the stream. */
    public BoundedPublisher addPublisher(
        final String host, final int port, final TransportStream stream, final String name)
    {
        return addPublisher(TransportChannels.udpPublication(ctx, host, port), stream.streamId(), name);
    }

    /** A publisher on any channel and stream id, e.g. a client's response channel from Connect. */
    public BoundedPublisher addPublisher(final String channel, final int streamId, final String name)
    {
        return publisher(aeron.addExclusivePublication(channel, streamId), name);
    }

    /**
     * Starts adding a publisher without waiting for the media driver to set up its publication or its counters (a
     * duty thread must not block on that): poll {@link #addedPublisher(PendingPublisher)} on later duty cycles.
     */
    public PendingPublisher asyncAddPublisher(final String channel, final int streamId, final String name)
    {
        return new PendingPublisher(aeron, channel, streamId, name);
    }

    /**
     * The publisher {@link #asyncAddPublisher} started, or null while the media driver is still setting it up.
     *
     * @throws io.aeron.exceptions.RegistrationException if the media driver refused it (e.g. a bad channel, or no
     *                                                    room for its counters); what it had set up is released.
     */
    public BoundedPublisher addedPublisher(final PendingPublisher pending)
    {
        final boolean complete;
        try
        {
            complete = pending.poll(aeron);
        }
        catch (final AeronException ex)
        {
            pending.cancel(aeron); // the parts the driver did set up are not left behind in its CnC file
            throw ex;
        }
        if (!complete)
        {
            return null;
        }
        return new BoundedPublisher(pending.takePublication(), pending.name(), ctx.authenticationPolicy(),
            newAuthenticator(), ctx.publicationRetryLimit(), retryIdleStrategy(), pending.counters());
    }

    /** Abandons a publisher {@link #asyncAddPublisher} started and {@link #addedPublisher} has not given yet. */
    public void cancelAddPublisher(final PendingPublisher pending)
    {
        pending.cancel(aeron);
    }

    private BoundedPublisher publisher(final Publication publication, final String name)
    {
        return new BoundedPublisher(
            aeron,
            publication,
            name,
            ctx.authenticationPolicy(),
            newAuthenticator(),
            ctx.publicationRetryLimit(),
            retryIdleStrategy());
    }

    /**
     * Between two tries of a back-pressured offer. With an invoked driver nothing else would run the sender, so
     * the retry could never succeed: each wait runs the driver once first (only the driver, not the client
     * conductor, because an offer may be made from inside a subscription's poll).
     */
    private IdleStrategy retryIdleStrategy()
    {
        final IdleStrategy idle = ctx.publicationRetryIdleStrategy().newInstance();
        if (null == driverInvoker)
        {
            return idle;
        }
        final AgentInvoker invoker = driverInvoker;
        return new IdleStrategy()
        {
            @Override
            public void idle(final int workCount)
            {
                if (workCount <= 0)
                {
                    idle();
                }
            }

            @Override
            public void idle()
            {
                if (invoker.invoke() <= 0)
                {
                    idle.idle();
                }
            }

            @Override
            public void reset()
            {
                idle.reset();
            }
        };
    }

    /** An adapter for an inbound stream on this process's own endpoint ({@link TransportContext#localChannel()}). */
    public MessageAdapter addAdapter(final TransportStream stream, final String name, final MessageListener listener)
    {
        return addAdapter(ctx.localChannel(), stream.streamId(), stream, name, listener);
    }

    /** An adapter on any channel and stream id, accepting the message types of {@code stream}. */
    public MessageAdapter addAdapter(
        final String channel,
        final int streamId,
        final TransportStream stream,
        final String name,
        final MessageListener listener)
    {
        final Subscription subscription = aeron.addSubscription(channel, streamId);
        return new MessageAdapter(
            aeron,
            subscription,
            stream,
            name,
            listener,
            ctx.authenticationPolicy(),
            newAuthenticator(),
            ctx.errorHandler(),
            ctx.nanoClock());
    }

    /**
     * Waits, sleeping 1 ms between checks, until the publisher is connected or the timeout passes. For
     * start-up and tools, not for agents' duty cycles, and not with an invoked driver (nothing would run it
     * while this sleeps).
     */
    public static boolean awaitConnected(final BoundedPublisher publisher, final long timeoutMs)
    {
        return awaitStartUp(publisher::isConnected, null, timeoutMs);
    }

    /**
     * The channel {@code adapter} subscribes on, with the port the driver actually bound: an endpoint port of 0
     * asks the kernel for one when the socket binds, so no other process can take it between a pick and the
     * bind (the race a pick-then-bind loses when other processes open ephemeral ports meanwhile). Start-up only:
     * waits, turning an invoked driver, until the driver has bound the endpoint.
     *
     * @throws IllegalStateException naming the channel, if it is not bound within {@code timeoutMs}.
     */
    public String resolvedChannel(final MessageAdapter adapter, final long timeoutMs)
    {
        final Subscription subscription = adapter.subscription();
        final String[] resolved = new String[1];
        if (!awaitStartUp(() -> null != (resolved[0] = subscription.tryResolveChannelEndpointPort()), this, timeoutMs))
        {
            throw new IllegalStateException("the driver did not bind " + subscription.channel() + " within " +
                timeoutMs + " ms" + (Thread.currentThread().isInterrupted() ? " (interrupted)" : ""));
        }
        return resolved[0];
    }

    /**
     * Start-up waits on the driver: Aeron signals neither a publication's connection nor an endpoint's bind, so
     * poll, turning {@code invoked}'s driver when it has no threads, and sleep 1 ms when that found no work.
     * False on timeout or interrupt (the interrupt flag kept).
     */
    private static boolean awaitStartUp(final BooleanSupplier done, final TransportNode invoked, final long timeoutMs)
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (!done.getAsBoolean())
        {
            if (System.nanoTime() - deadlineNs >= 0)
            {
                return false;
            }
            if (null == invoked || 0 == invoked.invoke())
            {
                try
                {
                    Thread.sleep(1);
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * Runs {@code onLost} if the Aeron client closes on its own, not through {@link #close()}: its conductor found
     * that it had not run within the driver's client liveness timeout ({@code aeron.client.liveness.timeout}, 10 s:
     * the whole process paused that long, by SIGSTOP or a stalled VM), or that the driver's heartbeat stopped for
     * {@code logship.transport.driver.timeout.ms}.
     * Aeron then terminates the client for good ("FATAL - service interval exceeded"): every publication, image and
     * counter of it is closed, and when the close handlers have returned it unmaps their buffers, so a thread still
     * offering or counting crashes the JVM with SIGSEGV (seen: a node resumed after a 12 s SIGSTOP). {@code onLost}
     * runs on the thread that runs the client conductor (its own, or the duty thread with invoker threading), before
     * that unmapping; it must not return while other threads may still use the transport: the node halts in it.
     * Call before the threads that use the transport start.
     */
    public void onLost(final Runnable onLost)
    {
        aeron.addCloseHandler(() ->
        {
            if (!closing)
            {
                onLost.run();
            }
        });
    }

    @Override
    public void close()
    {
        closing = true;
        CloseHelper.closeAll(aeron, mediaDriver, networkWait);
        deleteDirectory(ctx, mediaDriver);
    }

    private static void deleteDirectory(final TransportContext ctx, final MediaDriver driver)
    {
        if (null != driver)
        {
            final File dir = new File(ctx.aeronDirectoryName());
            if (dir.exists())
            {
                IoUtil.delete(dir, true);
            }
        }
    }

    @Override
    public String toString()
    {
        return "TransportNode{" + ctx.aeronDirectoryName() + ", endpoint=" + ctx.endpointHost() + ":" +
            ctx.endpointPort() + "}";
    }
}
