package io.logship.log;

import org.agrona.DirectBuffer;

import java.nio.ByteBuffer;

/**
 * A {@link ByteBuffer} over the bytes of a batch held in an Agrona {@link DirectBuffer}, for writing
 * to a segment's file channel. It keeps one reusable view per source buffer, so appending from the
 * same buffer again and again allocates nothing; a buffer with only a raw address behind it is copied
 * once through a heap array.
 *
 * <p>Owned by the log's appending thread; not thread-safe. A view is valid until the next call.
 */
final class SourceBufferView
{
    private ByteBuffer lastSourceBuffer;
    private ByteBuffer lastSourceView;

    ByteBuffer view(final DirectBuffer buffer, final int offset, final int length)
    {
        final ByteBuffer underlying = buffer.byteBuffer();
        final int start;
        ByteBuffer view;
        if (null != underlying)
        {
            if (underlying != lastSourceBuffer)
            {
                lastSourceBuffer = underlying;
                lastSourceView = underlying.duplicate();
            }
            view = lastSourceView;
            start = (int)buffer.wrapAdjustment() + offset;
        }
        else if (null != buffer.byteArray())
        {
            view = ByteBuffer.wrap(buffer.byteArray());
            start = (int)buffer.wrapAdjustment() + offset;
        }
        else
        {
            // Raw address with no Java owner: copy once through a heap array.
            final byte[] copy = new byte[length];
            buffer.getBytes(offset, copy);
            return ByteBuffer.wrap(copy);
        }
        view.limit(start + length).position(start);
        return view;
    }
}
