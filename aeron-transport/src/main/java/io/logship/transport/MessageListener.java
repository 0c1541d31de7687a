package io.logship.transport;

import io.aeron.logbuffer.Header;
import org.agrona.DirectBuffer;

/**
 * Receives messages that passed every check of a {@link MessageAdapter}: schema, version, template id
 * accepted on the stream, exact length and, when the policy requires one, a valid HMAC tag. Decode with
 * a {@link Decoders} owned by the same thread, e.g. {@code decoders.heartbeat(buffer, offset, length)}.
 * The buffer is only valid during the call.
 */
@FunctionalInterface
public interface MessageListener
{
    /**
     * @param templateId the message type.
     * @param buffer     holds the SBE message, header included, tag excluded.
     * @param offset     of the SBE header in the buffer.
     * @param length     of the SBE message, tag excluded.
     * @param header     the Aeron header, e.g. for {@code header.sessionId()} of the sender's publication.
     */
    void onMessage(int templateId, DirectBuffer buffer, int offset, int length, Header header);
}
