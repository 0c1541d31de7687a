package io.logship.node.pipeline;

import io.logship.format.RecordType;

import java.nio.charset.StandardCharsets;

/** Fills ring slots as the conductor's intake does, for the journal's tests. */
final class WriteEvents
{
    private WriteEvents()
    {
    }

    /** A single PUT without a client sequence (not de-duplicated): {@code key} and {@code value} as UTF-8. */
    static WriteEvent plainPut(final WriteEvent event, final String key, final String value)
    {
        final byte[] keyBytes = key.getBytes(StandardCharsets.UTF_8);
        final byte[] valueBytes = value.getBytes(StandardCharsets.UTF_8);
        event.kind = WriteEvent.KIND_WRITE;
        event.idempotent = false;
        event.recordType = RecordType.PUT.code();
        event.keyLength = keyBytes.length;
        event.valueLength = valueBytes.length;
        event.payload.putBytes(0, keyBytes);
        event.payload.putBytes(keyBytes.length, valueBytes);
        return event;
    }
}
