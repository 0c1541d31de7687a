package io.logship.transport;

import io.aeron.ExclusivePublication;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.aeron.logbuffer.BufferClaim;
import io.logship.transport.auth.Authenticator;
import io.logship.transport.codec.*;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(60)
class TransportNodeTest
{
    private final List<Throwable> errors = TransportTestSupport.errors();
    private final ExpandableArrayBuffer buffer = new ExpandableArrayBuffer(4096);
    private final MessageHeaderEncoder header = new MessageHeaderEncoder();
    private final List<Integer> received = new ArrayList<>();
    private TransportNode node;
    private String aeronDir;

    @BeforeEach
    void setUp()
    {
        node = TransportNode.launch(TransportTestSupport.context(errors));
        aeronDir = node.context().aeronDirectoryName();
    }

    @AfterEach
    void tearDown()
    {
        node.close();
        assertThat(new File(aeronDir)).doesNotExist();
    }

    private MessageListener recorder()
    {
        return (templateId, buf, offset, length, h) -> received.add(templateId);
    }

    private HeartbeatEncoder heartbeat()
    {
        return new HeartbeatEncoder().wrapAndApplyHeader(buffer, 0, header)
            .epoch(3).leaderId(1).commitOffset(5).logEndOffset(6).leaderTimestampNs(7);
    }

    @Test
    void shouldDropAndCountAMessageWithAWrongHmacAndPassARightOne()
    {
        final TransportContext ctx = node.context();
        final MessageAdapter right = node.addAdapter(TransportStream.REPLICATION, "right", recorder());
        final List<Integer> wrongReceived = new ArrayList<>();
        final Subscription subscription = node.aeron().addSubscription(ctx.localChannel(), TransportStream.REPLICATION.streamId());
        final MessageAdapter wrong = new MessageAdapter(node.aeron(), subscription, TransportStream.REPLICATION, "wrong",
            (templateId, buf, offset, length, h) -> wrongReceived.add(templateId), ctx.authenticationPolicy(),
            new Authenticator(TransportTestSupport.OTHER_SECRET), ctx.errorHandler(), ctx.nanoClock());
        final BoundedPublisher publisher = node.addPublisher(
            ctx.endpointHost(), ctx.endpointPort(), TransportStream.REPLICATION, "leader");
        assertThat(TransportNode.awaitConnected(publisher, 10_000)).isTrue();

        assertThat(publisher.offer(heartbeat())).isEqualTo(PublishResult.SENT);

        assertThat(TransportTestSupport.pollUntil(() ->
        {
            right.poll(10);
            wrong.poll(10);
        }, () -> right.receivedCount() == 1 && wrong.authFailedCount() == 1)).isTrue();
        assertThat(received).containsExactly(HeartbeatDecoder.TEMPLATE_ID);
        assertThat(wrongReceived).isEmpty();
        assertThat(wrong.receivedCount()).isZero();
        assertThat(right.authFailedCount()).isZero();
        assertThat(errors).hasSize(1).first().asString().contains("HMAC of 2 (Heartbeat) does not match");
    }

    @Test
    void shouldSignAClaimedMessageOnCommit()
    {
        final TransportContext ctx = node.context();
        final MessageAdapter adapter = node.addAdapter(TransportStream.REPLICATION, "follower", recorder());
        final BoundedPublisher publisher = node.addPublisher(
            ctx.endpointHost(), ctx.endpointPort(), TransportStream.REPLICATION, "leader");
        assertThat(TransportNode.awaitConnected(publisher, 10_000)).isTrue();

        final int length = MessageHeaderEncoder.ENCODED_LENGTH + HeartbeatEncoder.BLOCK_LENGTH;
        assertThat(length).isLessThanOrEqualTo(publisher.maxClaimLength(HeartbeatEncoder.TEMPLATE_ID));
        final BufferClaim claim = new BufferClaim();
        assertThat(publisher.tryClaim(HeartbeatEncoder.TEMPLATE_ID, length, claim)).isEqualTo(PublishResult.SENT);
        assertThat(claim.length()).isEqualTo(length + Authenticator.TAG_LENGTH);
        new HeartbeatEncoder().wrapAndApplyHeader(claim.buffer(), claim.offset(), header).epoch(9).leaderId(1);
        publisher.commit(claim);

        assertThat(TransportTestSupport.pollUntil(() -> adapter.poll(10), () -> adapter.receivedCount() == 1)).isTrue();
        assertThat(received).containsExactly(HeartbeatDecoder.TEMPLATE_ID);
        assertThat(adapter.authFailedCount()).isZero();
    }

    @Test
    void shouldDropAndCountMalformedFramesWithoutThrowingFromPoll()
    {
        final TransportContext ctx = node.context();
        final MessageAdapter adapter = node.addAdapter(TransportStream.CLIENT_INGRESS, "ingress", recorder());
        final ExclusivePublication raw = node.aeron().addExclusivePublication(
            TransportChannels.udpPublication(ctx, "127.0.0.1", ctx.endpointPort()), TransportStream.CLIENT_INGRESS.streamId());
        assertThat(TransportTestSupport.pollUntil(() -> { }, raw::isConnected)).isTrue();

        final byte[] key = new byte[64];
        final WriteRequestEncoder write = new WriteRequestEncoder().wrapAndApplyHeader(buffer, 0, header)
            .correlationId(1).clientId(2).sequence(3).timeoutMs(100).ackLevel(AckLevel.LEADER)
            .recordType(RecordType.DELETE).putKey(key, 0, key.length).putValue(key, 0, 0);
        final int length = MessageHeaderEncoder.ENCODED_LENGTH + write.encodedLength();

        offer(raw, buffer, 0, 3);                 // shorter than the header: malformed
        offer(raw, buffer, 0, length - 20);       // key runs past the end: malformed
        offer(raw, buffer, 0, length + 5);        // trailing bytes: malformed
        final UnsafeBuffer appendOnIngress = new UnsafeBuffer(new byte[64]);
        new AppendBatchEncoder().wrapAndApplyHeader(appendOnIngress, 0, new MessageHeaderEncoder()).putBatches(key, 0, 0);
        offer(raw, appendOnIngress, 0, 8 + AppendBatchEncoder.BLOCK_LENGTH + 4); // wrong stream: rejected
        header.schemaId(999);
        offer(raw, buffer, 0, length);            // wrong schema: rejected
        header.schemaId(MessageHeaderEncoder.SCHEMA_ID);
        offer(raw, buffer, 0, length);            // valid

        assertThat(TransportTestSupport.pollUntil(() -> adapter.poll(10), () -> adapter.receivedCount() == 1)).isTrue();
        assertThat(adapter.malformedCount()).isEqualTo(3);
        assertThat(adapter.rejectedCount()).isEqualTo(2);
        assertThat(received).containsExactly(WriteRequestDecoder.TEMPLATE_ID);
        assertThat(errors).isNotEmpty();
        assertThat(errors.get(0)).hasMessageContaining("shorter than the SBE header");
    }

    @Test
    void shouldReturnBoundedBackPressureWithinTheRetryBudgetAndCountIt()
    {
        final String channel = TransportChannels.ipc(64 * 1024);
        final Subscription neverPolled = node.aeron().addSubscription(TransportChannels.ipcSubscription(), 3001);
        final int retryLimit = 3;
        final BoundedPublisher publisher = new BoundedPublisher(node.aeron(), node.aeron().addExclusivePublication(channel, 3001),
            "ipc", node.context().authenticationPolicy(), null, retryLimit,
            new BackoffIdleStrategy(1, 1, 1_000, 100_000));
        assertThat(TransportTestSupport.pollUntil(() -> { }, publisher::isConnected)).isTrue();

        final byte[] payload = new byte[1000];
        final TailResponseEncoder encoder = new TailResponseEncoder();
        PublishResult result = PublishResult.SENT;
        long elapsedNs = 0;
        int sent = 0;
        while (result == PublishResult.SENT && sent < 10_000)
        {
            encoder.wrapAndApplyHeader(buffer, 0, header).correlationId(sent).status(Status.OK).putBatches(payload, 0, 1000);
            final long startNs = System.nanoTime();
            result = publisher.offer(encoder);
            elapsedNs = System.nanoTime() - startNs;
            sent++;
        }

        assertThat(result).isEqualTo(PublishResult.BACK_PRESSURED);
        assertThat(result.isRetryable()).isTrue();
        assertThat(publisher.backPressuredCount()).isEqualTo(1);
        assertThat(publisher.retryCount()).isEqualTo(retryLimit);
        assertThat(publisher.sentCount()).isEqualTo(sent - 1);
        assertThat(elapsedNs).isLessThan(TimeUnit.SECONDS.toNanos(1));
        assertThat(neverPolled.isConnected()).isTrue();
    }

    @Test
    void shouldReturnNotConnectedAtOnceAndTooLargeWithoutSending()
    {
        final BoundedPublisher publisher = node.addPublisher(
            "127.0.0.1", TransportTestSupport.freePort(), TransportStream.REPLICATION, "nobody");

        assertThat(publisher.offer(heartbeat())).isEqualTo(PublishResult.NOT_CONNECTED);
        assertThat(publisher.notConnectedCount()).isEqualTo(1);
        assertThat(publisher.retryCount()).isZero();

        final int tooBig = publisher.maxMessageLength(AppendBatchEncoder.TEMPLATE_ID);
        final ExpandableArrayBuffer big = new ExpandableArrayBuffer(tooBig + 64);
        final AppendBatchEncoder encoder = new AppendBatchEncoder().wrapAndApplyHeader(big, 0, header)
            .putBatches(new byte[tooBig], 0, tooBig);
        assertThat(publisher.offer(encoder)).isEqualTo(PublishResult.TOO_LARGE);
        assertThat(publisher.tooLargeCount()).isEqualTo(1);
        assertThat(publisher.sentCount()).isZero();
    }

    @Test
    void shouldRefuseASecondEmbeddedDriverOnALiveDirectory()
    {
        final TransportContext second = TransportTestSupport.context(errors).aeronDirectoryName(aeronDir).driverTimeoutMs(2_000);
        assertThatThrownBy(() -> TransportNode.launch(second))
            .isInstanceOf(TransportException.class)
            .hasMessageContaining("a live media driver already uses " + aeronDir);
        assertThat(new File(aeronDir)).isDirectory();
    }

    @Test
    void shouldCarryMessagesWithAnInvokedDriverRunOnlyByTheCallersThread()
    {
        // INVOKER: no driver or client conductor thread exists, so set-up and delivery happen only because this
        // thread invokes them, as a node's duty thread does with logship.node.threading=shared.
        try (TransportNode invoked = TransportNode.launch(TransportTestSupport.context(errors)
            .threadingMode(io.aeron.driver.ThreadingMode.INVOKER).invokedByOwner(true)))
        {
            assertThat(invoked.isInvoked()).isTrue();
            assertThat(invoked.mediaDriver().sharedAgentInvoker()).isNotNull();
            final TransportContext ctx = invoked.context();
            final MessageAdapter adapter = invoked.addAdapter(TransportStream.REPLICATION, "replication", recorder());
            final PendingPublisher pending = invoked.asyncAddPublisher(
                TransportChannels.udpPublication(ctx, ctx.endpointHost(), ctx.endpointPort()),
                TransportStream.REPLICATION.streamId(), "leader");
            final BoundedPublisher[] publisher = new BoundedPublisher[1];
            assertThat(TransportTestSupport.pollUntil(() ->
            {
                invoked.invoke();
                if (null == publisher[0])
                {
                    publisher[0] = invoked.addedPublisher(pending);
                }
            }, () -> null != publisher[0] && publisher[0].isConnected())).isTrue();

            assertThat(publisher[0].offer(heartbeat())).isEqualTo(PublishResult.SENT);
            assertThat(TransportTestSupport.pollUntil(() ->
            {
                invoked.invoke();
                adapter.poll(10);
            }, () -> received.size() == 1)).isTrue();
            assertThat(received).containsExactly((int)HeartbeatDecoder.TEMPLATE_ID);
        }
        assertThat(errors).isEmpty();
    }

    /**
     * Port 0 leaves the pick to the kernel as the socket binds; the resolved channel names the bound port, which
     * this process then holds (nobody else can bind it), with the driver on its own threads or invoked by the owner.
     */
    @Test
    void shouldNameThePortTheKernelBoundForAnEndpointOnPortZero()
    {
        for (final boolean invokedDriver : new boolean[]{ false, true })
        {
            final TransportContext ctx = TransportTestSupport.context(errors).endpointPort(0);
            if (invokedDriver)
            {
                ctx.threadingMode(io.aeron.driver.ThreadingMode.INVOKER).invokedByOwner(true);
            }
            try (TransportNode bound = TransportNode.launch(ctx))
            {
                final MessageAdapter adapter =
                    bound.addAdapter(TransportStream.CLIENT_EGRESS, "egress", (t, b, o, l, h) -> { });
                final String channel = bound.resolvedChannel(adapter, 5_000);
                final int port = Integer.parseInt(channel.substring(channel.lastIndexOf(':') + 1));
                assertThat(port).as("invoked=%s: %s", invokedDriver, channel).isPositive();
                assertThat(channel).startsWith("aeron:udp?endpoint=" + ctx.endpointHost() + ":");
                assertThatThrownBy(() -> new java.net.DatagramSocket(
                    new java.net.InetSocketAddress(ctx.endpointHost(), port)).close())
                    .isInstanceOf(java.net.BindException.class);
            }
        }
        assertThat(errors).isEmpty();
    }

    /**
     * An invoked driver reads one datagram per socket per turn, so a node that turned it once per duty cycle read
     * one datagram per cycle: under load the socket buffer overflowed and followers' acks waited behind client
     * data. Datagrams already waiting in the socket are now read within a few calls.
     */
    @Test
    void shouldReadManyWaitingDatagramsInOneInvocationOfAnInvokedDriver()
    {
        final int datagrams = 3 * TransportNode.DRIVER_TURNS_PER_INVOKE;
        try (TransportNode invoked = TransportNode.launch(TransportTestSupport.context(errors)
            .threadingMode(io.aeron.driver.ThreadingMode.INVOKER).invokedByOwner(true)))
        {
            final TransportContext ctx = invoked.context();
            final int streamId = 77;
            final Subscription subscription = invoked.aeron().addSubscription(ctx.localChannel(), streamId);
            final ExclusivePublication publication = node.aeron().addExclusivePublication(
                TransportChannels.udpPublication(ctx, ctx.endpointHost(), ctx.endpointPort()), streamId);
            final int[] fragments = new int[1];
            final io.aeron.logbuffer.FragmentHandler count = (buf, offset, length, h) -> fragments[0]++;
            final UnsafeBuffer message = new UnsafeBuffer(new byte[ctx.mtuLength() - 100]); // one datagram each
            assertThat(TransportTestSupport.pollUntil(() ->
            {
                invoked.invoke();
                subscription.poll(count, 10);
            }, publication::isConnected)).isTrue();
            offer(publication, message, 0, message.capacity());
            assertThat(TransportTestSupport.pollUntil(() ->
            {
                invoked.invoke();
                subscription.poll(count, 10);
            }, () -> fragments[0] == 1)).isTrue();

            for (int i = 0; i < datagrams; i++)
            {
                offer(publication, message, 0, message.capacity());
            }
            // The sender has its own thread: wait until its sender position says every datagram left for the
            // invoked node's socket (which nothing reads meanwhile).
            final int senderPosition = senderPositionCounterId(publication);
            assertThat(TransportTestSupport.pollUntil(() -> { }, () ->
                node.aeron().countersReader().getCounterValue(senderPosition) >= publication.position())).isTrue();
            int invocations = 0;
            while (fragments[0] < 1 + datagrams && invocations < 10 * datagrams)
            {
                invocations++;
                invoked.invoke();
                subscription.poll(count, datagrams);
            }
            assertThat(fragments[0]).isEqualTo(1 + datagrams);
            assertThat(invocations).as("invocations to read %s waiting datagrams", datagrams)
                .isLessThanOrEqualTo(datagrams / TransportNode.DRIVER_TURNS_PER_INVOKE + 2);
        }
        assertThat(errors).isEmpty();
    }

    @Test
    void shouldDoNoInvokerWorkWhenTheDriverHasItsOwnThreads()
    {
        assertThat(node.isInvoked()).isFalse();
        assertThat(node.invoke()).isZero();
        assertThat(node.networkWait()).as("the driver's own threads poll: nothing to wait on").isNull();
    }

    /**
     * The duty thread of an invoked driver sleeps in {@link NetworkWait#await} until the network has work for it. A
     * datagram for the node's endpoint must end that sleep at once: a socket the wait does not watch would leave
     * every request and ack to the 1 ms timeout. Nothing else sends to this node, so only the datagram can end it.
     */
    @Test
    void shouldEndTheNetworkWaitWhenADatagramArrivesForTheNode() throws Exception
    {
        try (TransportNode invoked = TransportNode.launch(TransportTestSupport.context(errors)
            .threadingMode(io.aeron.driver.ThreadingMode.INVOKER).invokedByOwner(true));
            java.nio.channels.DatagramChannel sender = java.nio.channels.DatagramChannel.open())
        {
            final TransportContext ctx = invoked.context();
            invoked.aeron().addSubscription(ctx.localChannel(), 77); // opens the endpoint's socket
            while (invoked.invoke() > 0)
            {
                Thread.onSpinWait();
            }
            final NetworkWait wait = invoked.networkWait();
            assertThat(wait).isNotNull();
            final long quietStartNs = System.nanoTime();
            wait.await(300);
            assertThat(System.nanoTime() - quietStartNs).as("an idle node's wait lasts its timeout")
                .isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(250));

            final Thread waiting = Thread.currentThread();
            final Thread sending = new Thread(() ->
            {
                try
                {
                    awaitBlockedInSelector(waiting);
                    sender.send(java.nio.ByteBuffer.wrap(new byte[] {1, 2, 3, 4}),
                        new java.net.InetSocketAddress(ctx.endpointHost(), ctx.endpointPort()));
                }
                catch (final Exception ex)
                {
                    errors.add(ex);
                }
            });
            sending.start();
            final long startNs = System.nanoTime();
            wait.await(20_000);
            final long waitedNs = System.nanoTime() - startNs;
            sending.join();
            assertThat(waitedNs).as("the wait ended on the datagram, not its 20 s timeout")
                .isLessThan(TimeUnit.SECONDS.toNanos(10));
        }
        assertThat(errors).isEmpty();
    }

    /** Another thread (the journal, the flusher, the apply thread) ends the wait with {@link NetworkWait#wakeup()}. */
    @Test
    void shouldEndTheNetworkWaitWhenAnotherThreadWakesIt() throws Exception
    {
        try (TransportNode invoked = TransportNode.launch(TransportTestSupport.context(errors)
            .threadingMode(io.aeron.driver.ThreadingMode.INVOKER).invokedByOwner(true)))
        {
            final NetworkWait wait = invoked.networkWait();
            final Thread waiting = Thread.currentThread();
            final Thread waking = new Thread(() ->
            {
                awaitBlockedInSelector(waiting);
                wait.wakeup();
            });
            waking.start();
            final long startNs = System.nanoTime();
            wait.await(20_000);
            waking.join();
            assertThat(System.nanoTime() - startNs).isLessThan(TimeUnit.SECONDS.toNanos(10));

            wait.wakeup(); // before the wait: the next wait returns at once, no wake-up is lost
            final long earlyNs = System.nanoTime();
            wait.await(20_000);
            assertThat(System.nanoTime() - earlyNs).isLessThan(TimeUnit.SECONDS.toNanos(10));
        }
        assertThat(errors).isEmpty();
    }

    /**
     * Returns once {@code thread} is inside a selector's select (so what the caller does next ends a wait in progress,
     * not one still to come), or after 10 s, which the caller's assertion then shows as a wait not ended early.
     */
    private static void awaitBlockedInSelector(final Thread thread)
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadlineNs)
        {
            for (final StackTraceElement frame : thread.getStackTrace())
            {
                if (frame.getClassName().endsWith("SelectorImpl") && frame.getMethodName().startsWith("doSelect"))
                {
                    return;
                }
            }
            Thread.onSpinWait();
        }
    }

    /** The driver's sender-position counter of {@code publication}: how far its sender has sent. */
    private int senderPositionCounterId(final Publication publication)
    {
        final int[] found = {-1};
        node.aeron().countersReader().forEach((counterId, typeId, keyBuffer, label) ->
        {
            if (typeId == io.aeron.AeronCounters.DRIVER_SENDER_POSITION_TYPE_ID &&
                keyBuffer.getLong(0) == publication.registrationId())
            {
                found[0] = counterId;
            }
        });
        assertThat(found[0]).as("sender position counter of publication %s", publication.registrationId())
            .isNotNegative();
        return found[0];
    }

    private static void offer(final Publication publication, final org.agrona.DirectBuffer buffer, final int offset, final int length)
    {
        long result;
        do
        {
            result = publication.offer(buffer, offset, length);
        }
        while (result == Publication.BACK_PRESSURED || result == Publication.ADMIN_ACTION);
        assertThat(result).isPositive();
    }
}
