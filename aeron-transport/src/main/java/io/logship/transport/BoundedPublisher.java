package io.logship.transport;

import io.aeron.Aeron;
import io.aeron.Counter;
import io.aeron.Publication;
import io.aeron.logbuffer.BufferClaim;
import io.logship.transport.auth.AuthenticationPolicy;
import io.logship.transport.auth.Authenticator;
import io.logship.transport.codec.MessageHeaderDecoder;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.sbe.MessageEncoderFlyweight;

/**
 * Sends SBE messages on one {@link Publication} with a bounded number of retries, appending the HMAC tag
 * where the {@link AuthenticationPolicy} asks for one. Back-pressure and admin actions are retried up to
 * the retry limit with the idle strategy in between; not-connected, closed and max-position are returned
 * at once. Every outcome is returned as a {@link PublishResult} the caller must act on, and counted in an
 * Aeron counter ({@link TransportCounters#PUBLISHER_TYPE_ID}); nothing is dropped silently, and a call
 * never blocks longer than the retry budget.
 *
 * <p>Owned by one thread (the agent that sends on this publication); not thread-safe. Owns the
 * publication and its counters: {@link #close()} closes them.
 */
public final class BoundedPublisher implements AutoCloseable
{
    private final Publication publication;
    private final String name;
    private final AuthenticationPolicy policy;
    private final Authenticator authenticator;
    private final int retryLimit;
    private final IdleStrategy retryIdleStrategy;
    private final MessageHeaderDecoder headerDecoder = new MessageHeaderDecoder();

    private final Counter sent;
    private final Counter backPressured;
    private final Counter notConnected;
    private final Counter adminAction;
    private final Counter closed;
    private final Counter maxPositionExceeded;
    private final Counter tooLarge;
    private final Counter retries;

    private final Counter faultDropped;

    private long lastPosition;
    private boolean claimTagged;
    private volatile boolean dropAll;
    private OfferGate gate;

    /**
     * Lets the owner hold messages back before they reach the publication (the node holds every peer message
     * while its election state is not yet durable). Called on the publishing thread only.
     */
    public interface OfferGate
    {
        /**
         * @return null to send the message now; {@link PublishResult#SENT} if the gate copied it to send later,
         * in order, through {@link #offerPastGate}; {@link PublishResult#BACK_PRESSURED} if it can hold no more.
         */
        PublishResult hold(BoundedPublisher publisher, DirectBuffer buffer, int offset, int length);

        /** Whether messages are held now: {@link #tryClaim} cannot be copied, so it answers back-pressure. */
        boolean isHolding();
    }

    /**
     * Allocates the publisher's counters, waiting for the media driver's answer to each: for set-up.
     * {@link TransportNode#asyncAddPublisher} builds one without waiting.
     *
     * @param authenticator null if this process has no cluster secret: then sending a message the policy
     *                      tags throws.
     */
    public BoundedPublisher(
        final Aeron aeron,
        final Publication publication,
        final String name,
        final AuthenticationPolicy policy,
        final Authenticator authenticator,
        final int retryLimit,
        final IdleStrategy retryIdleStrategy)
    {
        this(publication, name, policy, authenticator, retryLimit, retryIdleStrategy,
            TransportCounters.allocatePublisher(
                aeron, TransportCounters.publisherComponent(name, publication.channel(), publication.streamId())));
    }

    /** @param counters one per {@link TransportCounters#PUBLISHER_OUTCOMES}, in that order; owned from now on. */
    BoundedPublisher(
        final Publication publication,
        final String name,
        final AuthenticationPolicy policy,
        final Authenticator authenticator,
        final int retryLimit,
        final IdleStrategy retryIdleStrategy,
        final Counter[] counters)
    {
        this.publication = publication;
        this.name = name;
        this.policy = policy;
        this.authenticator = authenticator;
        this.retryLimit = retryLimit;
        this.retryIdleStrategy = retryIdleStrategy;
        sent = counters[0];
        backPressured = counters[1];
        notConnected = counters[2];
        adminAction = counters[3];
        closed = counters[4];
        maxPositionExceeded = counters[5];
        tooLarge = counters[6];
        retries = counters[7];
        faultDropped = counters[8];
    }

    /**
     * Fault injection (a node's {@code logship.node.faults.file}, for partition tests): while set, every send
     * is dropped as if the peer were unreachable, answered {@link PublishResult#NOT_CONNECTED} and counted as
     * {@code fault-dropped}. Any thread may set it.
     */
    public void dropAll(final boolean drop)
    {
        dropAll = drop;
    }

    /** Installs the gate every {@link #offer} and {@link #tryClaim} passes first (null: none). */
    public void offerGate(final OfferGate gate)
    {
        this.gate = gate;
    }

    /**
     * Sends the message an encoder has just written, wrapped with {@code wrapAndApplyHeader}: from its
     * header to its {@code encodedLength()}.
     */
    public PublishResult offer(final MessageEncoderFlyweight encoder)
    {
        final int headerLength = MessageHeaderDecoder.ENCODED_LENGTH;
        return offer(encoder.buffer(), encoder.offset() - headerLength, headerLength + encoder.encodedLength());
    }

    /** Sends the SBE message (header included) at {@code buffer[offset, offset + length)}. */
    public PublishResult offer(final DirectBuffer buffer, final int offset, final int length)
    {
        if (null != gate)
        {
            final PublishResult held = gate.hold(this, buffer, offset, length);
            if (null != held)
            {
                return held;
            }
        }
        return offerPastGate(buffer, offset, length);
    }

    /** Sends a message without asking the {@link OfferGate}: for the gate, releasing what it held. */
    public PublishResult offerPastGate(final DirectBuffer buffer, final int offset, final int length)
    {
        if (dropAll)
        {
            faultDropped.incrementRelease();
            return PublishResult.NOT_CONNECTED;
        }
        final boolean tagged = requiresTag(buffer, offset, length);
        final int framedLength = tagged ? length + Authenticator.TAG_LENGTH : length;
        if (framedLength > publication.maxMessageLength())
        {
            tooLarge.incrementRelease();
            return PublishResult.TOO_LARGE;
        }

        final DirectBuffer tag = tagged ? authenticator.sign(buffer, offset, length) : null;
        for (int attempt = 0; true; attempt++)
        {
            final long result = tagged ?
                publication.offer(buffer, offset, length, tag, 0, Authenticator.TAG_LENGTH) :
                publication.offer(buffer, offset, length);
            final PublishResult outcome = onResult(result, attempt);
            if (null != outcome)
            {
                return outcome;
            }
        }
    }

    /**
     * Claims space for a message of {@code messageLength} bytes (plus the tag if {@code templateId} is
     * tagged). On {@link PublishResult#SENT} the caller encodes at {@code claim.buffer()} from
     * {@code claim.offset()} and must call {@link #commit(BufferClaim)} (or {@code claim.abort()}).
     * The claimed message must fit one frame: {@link #maxClaimLength(int)}.
     */
    public PublishResult tryClaim(final int templateId, final int messageLength, final BufferClaim claim)
    {
        if (null != gate && gate.isHolding())
        {
            backPressured.incrementRelease();
            return PublishResult.BACK_PRESSURED;
        }
        if (dropAll)
        {
            faultDropped.incrementRelease();
            return PublishResult.NOT_CONNECTED;
        }
        final boolean tagged = policy.requiresTag(templateId);
        requireAuthenticator(tagged, templateId);
        final int framedLength = tagged ? messageLength + Authenticator.TAG_LENGTH : messageLength;
        if (framedLength > publication.maxPayloadLength())
        {
            tooLarge.incrementRelease();
            return PublishResult.TOO_LARGE;
        }

        for (int attempt = 0; true; attempt++)
        {
            final PublishResult outcome = onResult(publication.tryClaim(framedLength, claim), attempt);
            if (null != outcome)
            {
                claimTagged = tagged;
                return outcome;
            }
        }
    }

    /** Signs (if the claim was for a tagged template) and commits a claim from {@link #tryClaim}. */
    public void commit(final BufferClaim claim)
    {
        if (claimTagged)
        {
            final MutableDirectBuffer buffer = claim.buffer();
            authenticator.signInPlace(buffer, claim.offset(), claim.length() - Authenticator.TAG_LENGTH);
        }
        claim.commit();
    }

    /** Largest SBE message {@link #tryClaim} accepts for this template (one frame). */
    public int maxClaimLength(final int templateId)
    {
        return publication.maxPayloadLength() - (policy.requiresTag(templateId) ? Authenticator.TAG_LENGTH : 0);
    }

    /** Largest SBE message {@link #offer} accepts for this template (fragmented by Aeron if needed). */
    public int maxMessageLength(final int templateId)
    {
        return publication.maxMessageLength() - (policy.requiresTag(templateId) ? Authenticator.TAG_LENGTH : 0);
    }

    public boolean isConnected()
    {
        return publication.isConnected();
    }

    /** Position after the last message sent. */
    public long lastPosition()
    {
        return lastPosition;
    }

    public Publication publication()
    {
        return publication;
    }

    public String name()
    {
        return name;
    }

    public long sentCount()
    {
        return sent.get();
    }

    public long backPressuredCount()
    {
        return backPressured.get();
    }

    public long notConnectedCount()
    {
        return notConnected.get();
    }

    public long adminActionCount()
    {
        return adminAction.get();
    }

    public long closedCount()
    {
        return closed.get();
    }

    public long maxPositionExceededCount()
    {
        return maxPositionExceeded.get();
    }

    public long tooLargeCount()
    {
        return tooLarge.get();
    }

    public long retryCount()
    {
        return retries.get();
    }

    @Override
    public void close()
    {
        CloseHelper.closeAll(
            publication, sent, backPressured, notConnected, adminAction, closed, maxPositionExceeded, tooLarge, retries,
            faultDropped);
    }

    @Override
    public String toString()
    {
        return "BoundedPublisher{" + name + ", " + publication.channel() + ", stream=" + publication.streamId() + "}";
    }

    /** @return the outcome, or null to retry. */
    private PublishResult onResult(final long result, final int attempt)
    {
        if (result > 0)
        {
            lastPosition = result;
            sent.incrementRelease();
            retryIdleStrategy.reset();
            return PublishResult.SENT;
        }

        if (result == Publication.BACK_PRESSURED || result == Publication.ADMIN_ACTION)
        {
            if (attempt < retryLimit)
            {
                retries.incrementRelease();
                if (result == Publication.BACK_PRESSURED)
                {
                    retryIdleStrategy.idle();
                }
                return null;
            }
            retryIdleStrategy.reset();
            if (result == Publication.BACK_PRESSURED)
            {
                backPressured.incrementRelease();
                return PublishResult.BACK_PRESSURED;
            }
            adminAction.incrementRelease();
            return PublishResult.ADMIN_ACTION;
        }

        retryIdleStrategy.reset();
        if (result == Publication.NOT_CONNECTED)
        {
            notConnected.incrementRelease();
            return PublishResult.NOT_CONNECTED;
        }
        if (result == Publication.CLOSED)
        {
            closed.incrementRelease();
            return PublishResult.CLOSED;
        }
        if (result == Publication.MAX_POSITION_EXCEEDED)
        {
            maxPositionExceeded.incrementRelease();
            return PublishResult.MAX_POSITION_EXCEEDED;
        }
        throw new TransportException(
            "publisher " + name + ": unknown publication result " + result, TransportException.Category.ERROR);
    }

    private boolean requiresTag(final DirectBuffer buffer, final int offset, final int length)
    {
        if (length < MessageHeaderDecoder.ENCODED_LENGTH)
        {
            throw new TransportException("publisher " + name + ": message of " + length +
                " bytes is shorter than the SBE header", TransportException.Category.ERROR);
        }
        headerDecoder.wrap(buffer, offset);
        final int templateId = headerDecoder.templateId();
        final boolean tagged = policy.requiresTag(templateId);
        requireAuthenticator(tagged, templateId);
        return tagged;
    }

    private void requireAuthenticator(final boolean tagged, final int templateId)
    {
        if (tagged && null == authenticator)
        {
            throw new TransportException("publisher " + name + ": " + MessageTypes.describe(templateId) +
                " must be authenticated but no cluster secret is configured (" +
                TransportConfiguration.CLUSTER_SECRET_FILE_PROP + ")", TransportException.Category.ERROR);
        }
    }
}
