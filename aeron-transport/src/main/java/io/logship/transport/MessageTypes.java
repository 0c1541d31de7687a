package io.logship.transport;

import io.logship.transport.codec.*;
import org.agrona.sbe.MessageDecoderFlyweight;

/**
 * The catalogue of message types in the schema: template id to name, and fresh decoders for all of
 * them. Stateless and thread-safe.
 */
public final class MessageTypes
{
    /** Largest template id in the schema; template ids index arrays of this size plus one. */
    public static final int MAX_TEMPLATE_ID = 63;

    private static final String[] NAMES = new String[MAX_TEMPLATE_ID + 1];

    static
    {
        for (final MessageDecoderFlyweight decoder : newDecoders())
        {
            final String simpleName = decoder.getClass().getSimpleName();
            NAMES[decoder.sbeTemplateId()] = simpleName.substring(0, simpleName.length() - "Decoder".length());
        }
    }

    private MessageTypes()
    {
    }

    /** One new decoder for each message type in the schema. */
    public static MessageDecoderFlyweight[] newDecoders()
    {
        return new MessageDecoderFlyweight[]
        {
            new AppendBatchDecoder(), new HeartbeatDecoder(), new AckDecoder(), new FetchFromDecoder(),
            new RefuseDecoder(), new SnapshotChunkDecoder(),
            new RequestVoteDecoder(), new VoteDecoder(), new EpochEndRequestDecoder(), new EpochEndResponseDecoder(),
            new HandoverDecoder(),
            new ConnectDecoder(), new ConnectResponseDecoder(), new WriteRequestDecoder(), new WriteResponseDecoder(), new WriteBatchRequestDecoder(),
            new WriteLogBatchDecoder(), new NewLeaderDecoder(),
            new ReadRequestDecoder(), new ReadResponseDecoder(), new TailRequestDecoder(), new TailResponseDecoder(),
            new StatusRequestDecoder(), new StatusResponseDecoder(), new PromoteRequestDecoder(),
            new DemoteRequestDecoder(), new AdminResponseDecoder(), new ChecksumRequestDecoder(),
            new ChecksumResponseDecoder(), new SnapshotSaveRequestDecoder(), new SnapshotSaveResponseDecoder(),
            new MemberListRequestDecoder(), new MemberListResponseDecoder(),
            new MemberChangeRequestDecoder(), new MemberChangeResponseDecoder(),
        };
    }

    public static boolean isKnown(final int templateId)
    {
        return templateId >= 0 && templateId <= MAX_TEMPLATE_ID && null != NAMES[templateId];
    }

    /** The message name for a template id, or {@code "unknown"}. */
    public static String name(final int templateId)
    {
        return isKnown(templateId) ? NAMES[templateId] : "unknown";
    }

    /** {@code "3 (Ack)"}: how template ids appear in messages for humans. */
    public static String describe(final int templateId)
    {
        return templateId + " (" + name(templateId) + ")";
    }
}
