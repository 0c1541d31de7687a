package io.logship.transport.auth;

import io.logship.transport.MessageTypes;
import io.logship.transport.codec.*;

/**
 * Which message types carry an HMAC tag. Both ends must use the same policy: a receiver that expects a
 * tag drops a message without one (counted as an authentication failure), and one that does not
 * expect a tag drops a tagged message as the wrong length.
 *
 * <ul>
 *   <li>Replication control, election and admin messages: always tagged.</li>
 *   <li>{@code AppendBatch}: tagged unless {@code logship.transport.authenticate.replication.data=false}
 *       (see README.md, "Authentication": the default is on; off leaves log data protected by its
 *       CRC32C against corruption but not against forgery).</li>
 *   <li>Client messages ({@code Connect}, reads, writes, tails and their responses): not tagged.
 *       Clients do not hold the cluster secret; the client plane is for a trusted network.</li>
 * </ul>
 *
 * Immutable and thread-safe.
 */
public final class AuthenticationPolicy
{
    private final boolean[] tagged = new boolean[MessageTypes.MAX_TEMPLATE_ID + 1];

    private AuthenticationPolicy(final boolean authenticateReplicationData)
    {
        final int[] alwaysTagged =
        {
            HeartbeatDecoder.TEMPLATE_ID, AckDecoder.TEMPLATE_ID, FetchFromDecoder.TEMPLATE_ID,
            RefuseDecoder.TEMPLATE_ID, RequestVoteDecoder.TEMPLATE_ID, VoteDecoder.TEMPLATE_ID,
            EpochEndRequestDecoder.TEMPLATE_ID, EpochEndResponseDecoder.TEMPLATE_ID, HandoverDecoder.TEMPLATE_ID,
            StatusRequestDecoder.TEMPLATE_ID, StatusResponseDecoder.TEMPLATE_ID, PromoteRequestDecoder.TEMPLATE_ID,
            DemoteRequestDecoder.TEMPLATE_ID, AdminResponseDecoder.TEMPLATE_ID, ChecksumRequestDecoder.TEMPLATE_ID,
            ChecksumResponseDecoder.TEMPLATE_ID, SnapshotSaveRequestDecoder.TEMPLATE_ID,
            SnapshotSaveResponseDecoder.TEMPLATE_ID,
            MemberListRequestDecoder.TEMPLATE_ID, MemberListResponseDecoder.TEMPLATE_ID,
            MemberChangeRequestDecoder.TEMPLATE_ID, MemberChangeResponseDecoder.TEMPLATE_ID,
        };
        for (final int templateId : alwaysTagged)
        {
            tagged[templateId] = true;
        }
        tagged[AppendBatchDecoder.TEMPLATE_ID] = authenticateReplicationData;
        tagged[SnapshotChunkDecoder.TEMPLATE_ID] = authenticateReplicationData;
    }

    /** The standard policy; {@code authenticateReplicationData} decides for {@code AppendBatch}. */
    public static AuthenticationPolicy standard(final boolean authenticateReplicationData)
    {
        return new AuthenticationPolicy(authenticateReplicationData);
    }

    /** True if messages of this template carry (and must be verified by) an HMAC tag. */
    public boolean requiresTag(final int templateId)
    {
        return templateId >= 0 && templateId < tagged.length && tagged[templateId];
    }

    @Override
    public String toString()
    {
        final StringBuilder sb = new StringBuilder("AuthenticationPolicy[tagged=");
        for (int i = 0; i < tagged.length; i++)
        {
            if (tagged[i])
            {
                sb.append(MessageTypes.name(i)).append(' ');
            }
        }
        return sb.append(']').toString();
    }
}
