package io.logship.transport;

import io.aeron.Aeron;
import io.aeron.Counter;
import io.aeron.FragmentAssembler;
import io.aeron.Subscription;
import io.aeron.logbuffer.FragmentHandler;
import io.aeron.logbuffer.Header;
import io.logship.transport.auth.AuthenticationPolicy;
import io.logship.transport.auth.Authenticator;
import io.logship.transport.codec.MessageHeaderDecoder;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.concurrent.TimeUnit;

/**
 * Polls one {@link Subscription}, reassembles fragmented messages, and hands each message that passes
 * every check to a {@link MessageListener}:
 * <ol>
 *   <li>schema id and version, from the SBE header;</li>
 *   <li>the template id is accepted on this {@link TransportStream};</li>
 *   <li>if the {@link AuthenticationPolicy} tags the template: a valid HMAC in the last 32 bytes;</li>
 *   <li>block length and exact length (variable-length fields included), on a view bounded to the
 *       message, so a truncated frame cannot be read past its end.</li>
 * </ol>
 * A message failing a check is dropped, counted (rejected / auth-failed / malformed) in Aeron counters
 * of type {@link TransportCounters#ADAPTER_TYPE_ID}, and reported to the error handler at most once per
 * second with the running counts; nothing thrown by a check leaves {@link #poll(int)}. Exceptions thrown
 * by the listener itself do propagate: they are the owning agent's to handle.
 *
 * <p>Owned by one thread (the agent polling it); not thread-safe. Owns the subscription and its
 * counters.
 */
public final class MessageAdapter implements FragmentHandler, AutoCloseable
{
    static final long REPORT_INTERVAL_NS = TimeUnit.SECONDS.toNanos(1);

    private final Subscription subscription;
    private final TransportStream stream;
    private final String name;
    private final MessageListener listener;
    private final AuthenticationPolicy policy;
    private final Authenticator authenticator;
    private final ErrorHandler errorHandler;
    private final NanoClock nanoClock;
    private final FragmentAssembler assembler = new FragmentAssembler(this);
    private final Decoders decoders = new Decoders();
    private final MessageHeaderDecoder headerDecoder = new MessageHeaderDecoder();
    private final UnsafeBuffer frame = new UnsafeBuffer(0, 0);

    private final Counter received;
    private final Counter rejected;
    private final Counter authFailed;
    private final Counter malformed;

    private long lastReportNs;
    private boolean reportedOnce;

    /**
     * @param authenticator null without a cluster secret: every tagged message then fails authentication.
     */
    public MessageAdapter(
        final Aeron aeron,
        final Subscription subscription,
        final TransportStream stream,
        final String name,
        final MessageListener listener,
        final AuthenticationPolicy policy,
        final Authenticator authenticator,
        final ErrorHandler errorHandler,
        final NanoClock nanoClock)
    {
        this.subscription = subscription;
        this.stream = stream;
        this.name = name;
        this.listener = listener;
        this.policy = policy;
        this.authenticator = authenticator;
        this.errorHandler = errorHandler;
        this.nanoClock = nanoClock;

        final String component = "adapter " + name + " (" + subscription.channel() + " stream=" +
            subscription.streamId() + ")";
        received = TransportCounters.allocate(aeron, TransportCounters.ADAPTER_TYPE_ID, component, "received");
        rejected = TransportCounters.allocate(aeron, TransportCounters.ADAPTER_TYPE_ID, component, "rejected");
        authFailed = TransportCounters.allocate(aeron, TransportCounters.ADAPTER_TYPE_ID, component, "auth-failed");
        malformed = TransportCounters.allocate(aeron, TransportCounters.ADAPTER_TYPE_ID, component, "malformed");
    }

    /** Polls up to {@code fragmentLimit} fragments; returns the number polled (the agent's work count). */
    public int poll(final int fragmentLimit)
    {
        return subscription.poll(assembler, fragmentLimit);
    }

    @Override
    public void onFragment(final DirectBuffer buffer, final int offset, final int length, final Header header)
    {
        frame.wrap(buffer, offset, length);
        final int messageLength;
        final int templateId;
        try
        {
            if (length < MessageHeaderDecoder.ENCODED_LENGTH)
            {
                drop(malformed, "frame of " + length + " bytes is shorter than the SBE header (" +
                    MessageHeaderDecoder.ENCODED_LENGTH + ")");
                return;
            }

            headerDecoder.wrap(frame, 0);
            final int headerTemplateId = headerDecoder.templateId();
            if (headerDecoder.schemaId() == MessageHeaderDecoder.SCHEMA_ID && !stream.accepts(headerTemplateId))
            {
                drop(rejected, "template id " + MessageTypes.describe(headerTemplateId) + " is not accepted on stream " +
                    stream + ": expected one of " + stream.acceptedNames());
                return;
            }

            if (policy.requiresTag(headerTemplateId))
            {
                if (null == authenticator || !authenticator.verify(frame, 0, length))
                {
                    drop(authFailed, null == authenticator ?
                        MessageTypes.describe(headerTemplateId) + " needs a cluster secret and none is configured" :
                        "HMAC of " + MessageTypes.describe(headerTemplateId) + " does not match");
                    return;
                }
                messageLength = length - Authenticator.TAG_LENGTH;
            }
            else
            {
                messageLength = length;
            }

            templateId = decoders.check(frame, 0, messageLength, Decoders.ANY_TEMPLATE_ID);
            if (templateId < 0)
            {
                final Decoders.RejectReason reason = decoders.rejectReason();
                drop(reason == Decoders.RejectReason.TOO_SHORT || reason == Decoders.RejectReason.WRONG_LENGTH ?
                    malformed : rejected, decoders.rejectionMessage());
                return;
            }
        }
        catch (final RuntimeException ex)
        {
            drop(malformed, "frame failed to decode: " + ex);
            return;
        }

        received.incrementRelease();
        listener.onMessage(templateId, frame, 0, messageLength, header);
    }

    public Subscription subscription()
    {
        return subscription;
    }

    public TransportStream stream()
    {
        return stream;
    }

    public long receivedCount()
    {
        return received.get();
    }

    public long rejectedCount()
    {
        return rejected.get();
    }

    public long authFailedCount()
    {
        return authFailed.get();
    }

    public long malformedCount()
    {
        return malformed.get();
    }

    @Override
    public void close()
    {
        CloseHelper.closeAll(subscription, received, rejected, authFailed, malformed);
    }

    private void drop(final Counter counter, final String reason)
    {
        counter.incrementRelease();
        final long nowNs = nanoClock.nanoTime();
        if (!reportedOnce || nowNs - lastReportNs >= REPORT_INTERVAL_NS)
        {
            reportedOnce = true;
            lastReportNs = nowNs;
            errorHandler.onError(new TransportException("adapter " + name + " dropped a message: " + reason +
                " (totals: rejected=" + rejected.get() + ", auth-failed=" + authFailed.get() +
                ", malformed=" + malformed.get() + ")", TransportException.Category.WARN));
        }
    }
}
