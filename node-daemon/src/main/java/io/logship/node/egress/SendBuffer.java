package io.logship.node.egress;

import io.logship.transport.codec.MessageHeaderEncoder;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;

/**
 * The one buffer every outbound message of the node is encoded into before it is offered, with the header
 * encoder that starts each message. Shared by every publisher of the conductor thread: a message is encoded
 * and offered before the next one is started, so one buffer is enough (2 MiB: the largest message, an
 * AppendBatch of a whole log batch, fits).
 */
public final class SendBuffer
{
    private final UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(2 * 1024 * 1024));
    private final MessageHeaderEncoder header = new MessageHeaderEncoder();

    public UnsafeBuffer buffer()
    {
        return buffer;
    }

    public MessageHeaderEncoder header()
    {
        return header;
    }
}
