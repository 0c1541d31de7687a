package io.logship.transport;

import io.aeron.Aeron;
import io.aeron.Counter;
import io.aeron.ExclusivePublication;
import org.agrona.CloseHelper;

/**
 * A publisher being set up without blocking: its publication and its outcome counters are asked of the media
 * driver at once, and {@link TransportNode#addedPublisher(PendingPublisher)} hands the {@link BoundedPublisher}
 * over once the driver has answered all of them. Start one with {@link TransportNode#asyncAddPublisher}, poll it
 * on later duty cycles, and {@link TransportNode#cancelAddPublisher(PendingPublisher)} it if it is given up.
 *
 * <p>The counters are asked for asynchronously as well as the publication: Aeron's {@code addCounter} waits for
 * the driver's answer, at least one client idle (1 ms) each with a driver on its own thread, and a publisher has
 * {@link TransportCounters#PUBLISHER_OUTCOMES nine} of them, so a client's Connect cost the node's duty thread
 * 10–38 ms (docs/DESIGN.md#connect). Owned by one thread.
 */
public final class PendingPublisher
{
    private final String name;
    private final long publicationId;
    private final long[] counterIds;
    private final Counter[] counters;
    private ExclusivePublication publication;
    private boolean handedOver;

    PendingPublisher(final Aeron aeron, final String channel, final int streamId, final String name)
    {
        this.name = name;
        this.publicationId = aeron.asyncAddExclusivePublication(channel, streamId);
        final String[] outcomes = TransportCounters.PUBLISHER_OUTCOMES;
        counterIds = new long[outcomes.length];
        counters = new Counter[outcomes.length];
        final String component = TransportCounters.publisherComponent(name, channel, streamId);
        for (int i = 0; i < outcomes.length; i++)
        {
            counterIds[i] = aeron.asyncAddCounter(
                TransportCounters.PUBLISHER_TYPE_ID, TransportCounters.label(component, outcomes[i]));
        }
    }

    /** The publisher's name, as given to {@link TransportNode#asyncAddPublisher}. */
    String name()
    {
        return name;
    }

    /**
     * Whether every part has been set up; asks the client once per part still missing. A refusal by the driver
     * is thrown ({@link io.aeron.exceptions.RegistrationException}).
     */
    boolean poll(final Aeron aeron)
    {
        if (null == publication)
        {
            publication = aeron.getExclusivePublication(publicationId);
        }
        boolean complete = null != publication;
        for (int i = 0; i < counters.length; i++)
        {
            if (null == counters[i])
            {
                counters[i] = aeron.getCounter(counterIds[i]);
                complete &= null != counters[i];
            }
        }
        return complete;
    }

    /** The set-up parts, now owned by the publisher built from them; after {@link #poll} returned true. */
    ExclusivePublication takePublication()
    {
        handedOver = true;
        return publication;
    }

    Counter[] counters()
    {
        return counters;
    }

    /** Gives up: whatever the driver has set up, or is still setting up, is released. */
    void cancel(final Aeron aeron)
    {
        if (handedOver)
        {
            return;
        }
        handedOver = true;
        if (null != publication)
        {
            CloseHelper.quietClose(publication);
        }
        else
        {
            aeron.asyncRemovePublication(publicationId);
        }
        for (int i = 0; i < counters.length; i++)
        {
            if (null != counters[i])
            {
                CloseHelper.quietClose(counters[i]);
            }
            else
            {
                aeron.asyncRemoveCounter(counterIds[i]);
            }
        }
    }
}
