package io.logship.transport;

import io.logship.transport.codec.*;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.sbe.MessageDecoderFlyweight;

/**
 * One reusable decoder per message type, and the check every decode goes through: message length,
 * schema id, schema version, template id, block length and total encoded length (var data included)
 * must all be what this build expects. A mismatch is rejected naming the expected and actual value.
 *
 * <p>Decoders are wrapped over a private view bounded to the message, so a truncated message fails
 * the check with an {@link IndexOutOfBoundsException} caught here rather than reading past its end
 * (this relies on Agrona bounds checks, which are on unless {@code agrona.disable.bounds.checks} is
 * set: never set it for logship). A wrapped decoder stays valid until the next call for the same
 * message type.
 *
 * <p>Owned by one thread (one per agent); not thread-safe. No allocation unless a message is rejected
 * through a throwing accessor.
 */
public final class Decoders
{
    /** Why a message was rejected. */
    public enum RejectReason
    {
        /** Shorter than its header, its block or its declared variable-length fields. */
        TOO_SHORT,
        WRONG_SCHEMA_ID,
        WRONG_VERSION,
        UNKNOWN_TEMPLATE_ID,
        WRONG_TEMPLATE_ID,
        WRONG_BLOCK_LENGTH,
        /** Bytes left over after the last field. */
        WRONG_LENGTH
    }

    /** Pass as {@code expectedTemplateId} to accept any template id in the schema. */
    public static final int ANY_TEMPLATE_ID = -1;

    public static final int HEADER_LENGTH = MessageHeaderDecoder.ENCODED_LENGTH;

    private final MessageHeaderDecoder headerDecoder = new MessageHeaderDecoder();
    private final MessageDecoderFlyweight[] decoderByTemplateId =
        new MessageDecoderFlyweight[MessageTypes.MAX_TEMPLATE_ID + 1];
    private final UnsafeBuffer[] viewByTemplateId = new UnsafeBuffer[MessageTypes.MAX_TEMPLATE_ID + 1];

    private RejectReason rejectReason;
    private long rejectExpected;
    private long rejectActual;

    public Decoders()
    {
        for (final MessageDecoderFlyweight decoder : MessageTypes.newDecoders())
        {
            decoderByTemplateId[decoder.sbeTemplateId()] = decoder;
            viewByTemplateId[decoder.sbeTemplateId()] = new UnsafeBuffer(0, 0);
        }
    }

    /**
     * Checks the message at {@code buffer[offset, offset + length)} without throwing.
     *
     * @param expectedTemplateId the template the caller wants, or {@link #ANY_TEMPLATE_ID}.
     * @return the template id, or -1 when rejected; then {@link #rejectReason()} and
     * {@link #rejectionMessage()} say why.
     */
    public int check(final DirectBuffer buffer, final int offset, final int length, final int expectedTemplateId)
    {
        rejectReason = null;
        if (length < HEADER_LENGTH)
        {
            return reject(RejectReason.TOO_SHORT, HEADER_LENGTH, length);
        }

        headerDecoder.wrap(buffer, offset);
        final int schemaId = headerDecoder.schemaId();
        if (schemaId != MessageHeaderDecoder.SCHEMA_ID)
        {
            return reject(RejectReason.WRONG_SCHEMA_ID, MessageHeaderDecoder.SCHEMA_ID, schemaId);
        }
        final int version = headerDecoder.version();
        if (version != MessageHeaderDecoder.SCHEMA_VERSION)
        {
            return reject(RejectReason.WRONG_VERSION, MessageHeaderDecoder.SCHEMA_VERSION, version);
        }
        final int templateId = headerDecoder.templateId();
        if (expectedTemplateId != ANY_TEMPLATE_ID && templateId != expectedTemplateId)
        {
            return reject(RejectReason.WRONG_TEMPLATE_ID, expectedTemplateId, templateId);
        }
        if (!MessageTypes.isKnown(templateId))
        {
            return reject(RejectReason.UNKNOWN_TEMPLATE_ID, expectedTemplateId, templateId);
        }

        final MessageDecoderFlyweight decoder = decoderByTemplateId[templateId];
        final int blockLength = headerDecoder.blockLength();
        if (blockLength != decoder.sbeBlockLength())
        {
            return reject(RejectReason.WRONG_BLOCK_LENGTH, decoder.sbeBlockLength(), blockLength);
        }
        if (length < HEADER_LENGTH + blockLength)
        {
            return reject(RejectReason.TOO_SHORT, HEADER_LENGTH + blockLength, length);
        }

        final UnsafeBuffer view = viewByTemplateId[templateId];
        view.wrap(buffer, offset, length);
        decoder.wrap(view, HEADER_LENGTH, blockLength, version);
        final int encodedLength;
        try
        {
            encodedLength = HEADER_LENGTH + decoder.sbeDecodedLength();
        }
        catch (final IndexOutOfBoundsException ex)
        {
            return reject(RejectReason.TOO_SHORT, Integer.MAX_VALUE, length);
        }
        if (encodedLength != length)
        {
            return reject(
                encodedLength > length ? RejectReason.TOO_SHORT : RejectReason.WRONG_LENGTH, encodedLength, length);
        }

        return templateId;
    }

    /** Why the last {@link #check} failed, or null if it passed. */
    public RejectReason rejectReason()
    {
        return rejectReason;
    }

    public long rejectExpected()
    {
        return rejectExpected;
    }

    public long rejectActual()
    {
        return rejectActual;
    }

    /** A sentence naming what was expected and what arrived, for the last failed check. Allocates. */
    public String rejectionMessage()
    {
        if (null == rejectReason)
        {
            return "message accepted";
        }
        switch (rejectReason)
        {
            case TOO_SHORT:
                return rejectExpected == Integer.MAX_VALUE ?
                    "message truncated: its variable-length fields run past its length " + rejectActual :
                    "message too short: expected at least " + rejectExpected + " bytes, actual " + rejectActual;
            case WRONG_SCHEMA_ID:
                return "wrong schema id: expected " + rejectExpected + ", actual " + rejectActual;
            case WRONG_VERSION:
                return "unsupported schema version: expected " + rejectExpected + ", actual " + rejectActual;
            case UNKNOWN_TEMPLATE_ID:
                return "unknown template id: expected a message of schema " + MessageHeaderDecoder.SCHEMA_ID +
                    ", actual template id " + rejectActual;
            case WRONG_TEMPLATE_ID:
                return "wrong template id: expected " + MessageTypes.describe((int)rejectExpected) +
                    ", actual " + MessageTypes.describe((int)rejectActual);
            case WRONG_BLOCK_LENGTH:
                return "wrong block length: expected " + rejectExpected + ", actual " + rejectActual;
            case WRONG_LENGTH:
                return "wrong message length: fields end at " + rejectExpected + ", actual length " + rejectActual;
            default:
                return rejectReason + ": expected " + rejectExpected + ", actual " + rejectActual;
        }
    }

    /**
     * Checks the message and wraps {@code decoder} over it.
     *
     * @throws MessageRejectedException naming the expected and actual value if the check fails.
     */
    public <T extends MessageDecoderFlyweight> T wrap(
        final T decoder, final DirectBuffer buffer, final int offset, final int length)
    {
        final int templateId = decoder.sbeTemplateId();
        if (check(buffer, offset, length, templateId) < 0)
        {
            throw new MessageRejectedException(rejectReason, rejectExpected, rejectActual, rejectionMessage());
        }
        decoder.wrap(viewByTemplateId[templateId], HEADER_LENGTH, headerDecoder.blockLength(), headerDecoder.version());
        return decoder;
    }

    @SuppressWarnings("unchecked")
    private <T extends MessageDecoderFlyweight> T decoder(final int templateId)
    {
        return (T)decoderByTemplateId[templateId];
    }

    private <T extends MessageDecoderFlyweight> T decode(
        final int templateId, final DirectBuffer buffer, final int offset, final int length)
    {
        return wrap(this.<T>decoder(templateId), buffer, offset, length);
    }

    private int reject(final RejectReason reason, final long expected, final long actual)
    {
        rejectReason = reason;
        rejectExpected = expected;
        rejectActual = actual;
        return -1;
    }

    public AppendBatchDecoder appendBatch(final DirectBuffer buffer, final int offset, final int length)
    {
        return decode(AppendBatchDecoder.TEMPLATE_ID, buffer, offset, length);
    }

    public HeartbeatDecoder heartbeat(final DirectBuffer buffer, final int offset, final int length)
    {
        return decode(HeartbeatDecoder.TEMPLATE_ID, buffer, offset, length);
    }

    public AckDecoder ack(final DirectBuffer buffer, final int offset, final int length)
    {
        return decode(AckDecoder.TEMPLATE_ID, buffer, offset, length);
    }

    public FetchFromDecoder fetchFrom(final DirectBuffer buffer, final int offset, final int length)
    {
        return decode(FetchFromDecoder.TEMPLATE_ID, buffer, offset, length);
    }

    public RefuseDecoder refuse(final DirectBuffer buffer, final int offset, final int length)
    {
        return decode(RefuseDecoder.TEMPLATE_ID, buffer, offset, length);
    }

    public RequestVoteDecoder requestVote(final DirectBuffer buffer, final int offset, final int length)
    {
        return decode(RequestVoteDecoder.TEMPLATE_ID, buffer, offset, length);
    }

    public VoteDecoder vote(final DirectBuffer buffer, final int offset, final int length)
    {
        return decode(VoteDecoder.TEMPLATE_ID, buffer, offset, length);
    }

    public EpochEndRequestDecoder epochEndRequest(final DirectBuffer buffer, final int offset, final int length)
    {
        return decode(EpochEndRequestDecoder.TEMPLATE_ID, buffer, offset, length);
    }

    public EpochEndResponseDecoder epochEndResponse(final DirectBuffer buffer, final int offset, final int length)
    {
        return decode(EpochEndResponseDecoder.TEMPLATE_ID, buffer, offset, length);
    }

    public HandoverDecoder handover(final DirectBuffer buffer, final int offset, final int length)
    {
        return decode(HandoverDecoder.TEMPLATE_ID, buffer, offset, length);
    }

    public ConnectDecoder connect(final DirectBuffer buffer, final int offset, final int length)
    {
        return decode(ConnectDecoder.TEMPLATE_ID, buffer, offset, length);
    }

    public ConnectResponseDecoder connectResponse(final DirectBuffer buffer, final int offset, final int length)
    {
        return decode(ConnectResponseDecoder.TEMPLATE_ID, buffer, offset, length);
    }

    public WriteRequestDecoder writeRequest(final DirectBuffer buffer, final int offset, final int length)
    {
        return decode(WriteRequestDecoder.TEMPLATE_ID, buffer, offset, length);
    }

    public WriteResponseDecoder writeResponse(final DirectBuffer buffer, final int offset, final int length)
    {
        return decode(WriteResponseDecoder.TEMPLATE_ID, buffer, offset, length);
    }

    public ReadRequestDecoder readRequest(final DirectBuffer buffer, final int offset, final int length)
    {
        return decode(ReadRequestDecoder.TEMPLATE_ID, buffer, offset, length);
    }

    public ReadResponseDecoder readResponse(final DirectBuffer buffer, final int offset, final int length)
    {
        return decode(ReadResponseDecoder.TEMPLATE_ID, buffer, offset, length);
    }

    public TailRequestDecoder tailRequest(final DirectBuffer buffer, final int offset, final int length)
    {
        return decode(TailRequestDecoder.TEMPLATE_ID, buffer, offset, length);
    }

    public TailResponseDecoder tailResponse(final DirectBuffer buffer, final int offset, final int length)
    {
        return decode(TailResponseDecoder.TEMPLATE_ID, buffer, offset, length);
    }

    public StatusRequestDecoder statusRequest(final DirectBuffer buffer, final int offset, final int length)
    {
        return decode(StatusRequestDecoder.TEMPLATE_ID, buffer, offset, length);
    }

    public StatusResponseDecoder statusResponse(final DirectBuffer buffer, final int offset, final int length)
    {
        return decode(StatusResponseDecoder.TEMPLATE_ID, buffer, offset, length);
    }

    public PromoteRequestDecoder promoteRequest(final DirectBuffer buffer, final int offset, final int length)
    {
        return decode(PromoteRequestDecoder.TEMPLATE_ID, buffer, offset, length);
    }

    public DemoteRequestDecoder demoteRequest(final DirectBuffer buffer, final int offset, final int length)
    {
        return decode(DemoteRequestDecoder.TEMPLATE_ID, buffer, offset, length);
    }

    public AdminResponseDecoder adminResponse(final DirectBuffer buffer, final int offset, final int length)
    {
        return decode(AdminResponseDecoder.TEMPLATE_ID, buffer, offset, length);
    }

    public ChecksumRequestDecoder checksumRequest(final DirectBuffer buffer, final int offset, final int length)
    {
        return decode(ChecksumRequestDecoder.TEMPLATE_ID, buffer, offset, length);
    }

    public ChecksumResponseDecoder checksumResponse(final DirectBuffer buffer, final int offset, final int length)
    {
        return decode(ChecksumResponseDecoder.TEMPLATE_ID, buffer, offset, length);
    }

    public SnapshotSaveRequestDecoder snapshotSaveRequest(final DirectBuffer buffer, final int offset, final int length)
    {
        return decode(SnapshotSaveRequestDecoder.TEMPLATE_ID, buffer, offset, length);
    }

    public SnapshotSaveResponseDecoder snapshotSaveResponse(final DirectBuffer buffer, final int offset, final int length)
    {
        return decode(SnapshotSaveResponseDecoder.TEMPLATE_ID, buffer, offset, length);
    }

    public SnapshotChunkDecoder snapshotChunk(final DirectBuffer buffer, final int offset, final int length)
    {
        return decode(SnapshotChunkDecoder.TEMPLATE_ID, buffer, offset, length);
    }

    public WriteBatchRequestDecoder writeBatchRequest(final DirectBuffer buffer, final int offset, final int length)
    {
        return decode(WriteBatchRequestDecoder.TEMPLATE_ID, buffer, offset, length);
    }

    public WriteLogBatchDecoder writeLogBatch(final DirectBuffer buffer, final int offset, final int length)
    {
        return decode(WriteLogBatchDecoder.TEMPLATE_ID, buffer, offset, length);
    }

    public NewLeaderDecoder newLeader(final DirectBuffer buffer, final int offset, final int length)
    {
        return decode(NewLeaderDecoder.TEMPLATE_ID, buffer, offset, length);
    }

    public MemberListRequestDecoder memberListRequest(final DirectBuffer buffer, final int offset, final int length)
    {
        return decode(MemberListRequestDecoder.TEMPLATE_ID, buffer, offset, length);
    }

    public MemberListResponseDecoder memberListResponse(final DirectBuffer buffer, final int offset, final int length)
    {
        return decode(MemberListResponseDecoder.TEMPLATE_ID, buffer, offset, length);
    }

    public MemberChangeRequestDecoder memberChangeRequest(final DirectBuffer buffer, final int offset, final int length)
    {
        return decode(MemberChangeRequestDecoder.TEMPLATE_ID, buffer, offset, length);
    }

    public MemberChangeResponseDecoder memberChangeResponse(final DirectBuffer buffer, final int offset, final int length)
    {
        return decode(MemberChangeResponseDecoder.TEMPLATE_ID, buffer, offset, length);
    }
}
