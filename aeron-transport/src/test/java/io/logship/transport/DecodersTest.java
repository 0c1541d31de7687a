package io.logship.transport;

import io.logship.transport.codec.*;
import org.agrona.ExpandableArrayBuffer;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DecodersTest
{
    private final ExpandableArrayBuffer buffer = new ExpandableArrayBuffer(256);
    private final MessageHeaderEncoder header = new MessageHeaderEncoder();
    private final Decoders decoders = new Decoders();

    private int encodeHeartbeat()
    {
        final HeartbeatEncoder encoder = new HeartbeatEncoder().wrapAndApplyHeader(buffer, 0, header)
            .epoch(4).leaderId(1).commitOffset(10).logEndOffset(12).leaderTimestampNs(99);
        return MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength();
    }

    @Test
    void shouldDecodeAMessageThatMatchesEveryCheck()
    {
        final int length = encodeHeartbeat();
        final HeartbeatDecoder decoder = decoders.heartbeat(buffer, 0, length);
        assertThat(decoder.epoch()).isEqualTo(4);
        assertThat(decoder.logEndOffset()).isEqualTo(12);
    }

    @Test
    void shouldRejectWrongSchemaIdNamingExpectedAndActual()
    {
        final int length = encodeHeartbeat();
        header.schemaId(42);
        assertThatThrownBy(() -> decoders.heartbeat(buffer, 0, length))
            .isInstanceOf(MessageRejectedException.class)
            .hasMessage("wrong schema id: expected " + MessageHeaderEncoder.SCHEMA_ID + ", actual 42")
            .satisfies((ex) -> assertThat(((MessageRejectedException)ex).reason())
                .isEqualTo(Decoders.RejectReason.WRONG_SCHEMA_ID));
    }

    @Test
    void shouldRejectWrongTemplateIdNamingExpectedAndActual()
    {
        final int length = encodeHeartbeat();
        assertThatThrownBy(() -> decoders.ack(buffer, 0, length))
            .isInstanceOf(MessageRejectedException.class)
            .hasMessage("wrong template id: expected 3 (Ack), actual 2 (Heartbeat)");
    }

    @Test
    void shouldRejectUnknownSchemaVersionNamingExpectedAndActual()
    {
        final int length = encodeHeartbeat();
        header.version(MessageHeaderEncoder.SCHEMA_VERSION + 1);
        assertThatThrownBy(() -> decoders.heartbeat(buffer, 0, length))
            .isInstanceOf(MessageRejectedException.class)
            .hasMessage("unsupported schema version: expected " + MessageHeaderEncoder.SCHEMA_VERSION + ", actual " +
                (MessageHeaderEncoder.SCHEMA_VERSION + 1));
    }

    @Test
    void shouldRejectWrongBlockLengthAndUnknownTemplate()
    {
        final int length = encodeHeartbeat();
        header.blockLength(HeartbeatEncoder.BLOCK_LENGTH - 8);
        assertThatThrownBy(() -> decoders.heartbeat(buffer, 0, length))
            .hasMessage("wrong block length: expected " + HeartbeatEncoder.BLOCK_LENGTH + ", actual " +
                (HeartbeatEncoder.BLOCK_LENGTH - 8));

        header.blockLength(HeartbeatEncoder.BLOCK_LENGTH).templateId(59);
        assertThat(decoders.check(buffer, 0, length, Decoders.ANY_TEMPLATE_ID)).isEqualTo(-1);
        assertThat(decoders.rejectReason()).isEqualTo(Decoders.RejectReason.UNKNOWN_TEMPLATE_ID);
        assertThat(decoders.rejectionMessage()).contains("actual template id 59");
    }

    @Test
    void shouldRejectTruncatedAndOverlongMessages()
    {
        final byte[] key = new byte[100];
        final WriteRequestEncoder encoder = new WriteRequestEncoder().wrapAndApplyHeader(buffer, 0, header)
            .correlationId(1).clientId(2).sequence(3).timeoutMs(4).ackLevel(AckLevel.ALL).recordType(RecordType.PUT)
            .putKey(key, 0, key.length).putValue(key, 0, 10);
        final int length = MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength();

        assertThat(decoders.check(buffer, 0, length, WriteRequestDecoder.TEMPLATE_ID))
            .isEqualTo(WriteRequestDecoder.TEMPLATE_ID);
        assertThat(decoders.check(buffer, 0, length - 50, WriteRequestDecoder.TEMPLATE_ID)).isEqualTo(-1);
        assertThat(decoders.rejectReason()).isEqualTo(Decoders.RejectReason.TOO_SHORT);
        assertThat(decoders.check(buffer, 0, length + 3, WriteRequestDecoder.TEMPLATE_ID)).isEqualTo(-1);
        assertThat(decoders.rejectReason()).isEqualTo(Decoders.RejectReason.WRONG_LENGTH);
        assertThat(decoders.rejectionMessage()).isEqualTo(
            "wrong message length: fields end at " + length + ", actual length " + (length + 3));
        assertThat(decoders.check(buffer, 0, 5, Decoders.ANY_TEMPLATE_ID)).isEqualTo(-1);
        assertThat(decoders.rejectionMessage()).isEqualTo("message too short: expected at least 8 bytes, actual 5");
    }
}
