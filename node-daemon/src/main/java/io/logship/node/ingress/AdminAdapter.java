package io.logship.node.ingress;

import io.aeron.logbuffer.Header;
import io.logship.node.admin.AdminCommands;
import io.logship.node.admin.ChecksumPublisher;
import io.logship.node.admin.MemberChanges;
import io.logship.node.admin.SnapshotExports;
import io.logship.node.admin.StatusPublisher;
import io.logship.transport.Decoders;
import io.logship.transport.MessageTypes;
import io.logship.transport.codec.ChecksumRequestDecoder;
import io.logship.transport.codec.DemoteRequestDecoder;
import io.logship.transport.codec.MemberChangeRequestDecoder;
import io.logship.transport.codec.MemberListRequestDecoder;
import io.logship.transport.codec.PromoteRequestDecoder;
import io.logship.transport.codec.SnapshotSaveRequestDecoder;
import io.logship.transport.codec.StatusRequestDecoder;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.NanoClock;

import static java.lang.System.Logger.Level.WARNING;

/**
 * Decodes the admin stream (status, checksum, promote, demote, snapshot save, member list and change from the CLI) and dispatches each request.
 * Answers go to the session the tool opened with Connect on the client stream. Conductor thread only.
 */
public final class AdminAdapter
{
    private final ClientSessions sessions;
    private final StatusPublisher status;
    private final ChecksumPublisher checksum;
    private final AdminCommands commands;
    private final SnapshotExports snapshots;
    private final MemberChanges memberChanges;
    private final NanoClock clock;
    private final System.Logger logger;
    private final Decoders decoders = new Decoders();

    public AdminAdapter(final ClientSessions sessions, final StatusPublisher status, final ChecksumPublisher checksum,
        final AdminCommands commands, final SnapshotExports snapshots, final MemberChanges memberChanges,
        final NanoClock clock, final System.Logger logger)
    {
        this.memberChanges = memberChanges;
        this.snapshots = snapshots;
        this.sessions = sessions;
        this.status = status;
        this.checksum = checksum;
        this.commands = commands;
        this.clock = clock;
        this.logger = logger;
    }

    /** The admin stream's handler: {@code position} is the message's byte position in {@code buffer}. */
    public void onMessage(final int templateId, final DirectBuffer buffer, final int position, final int length,
        final Header header)
    {
        final long nowNs = clock.nanoTime();
        switch (templateId)
        {
            case StatusRequestDecoder.TEMPLATE_ID ->
            {
                final StatusRequestDecoder decoder = decoders.statusRequest(buffer, position, length);
                final ClientSessions.Session session = sessions.get(decoder.clientId(), nowNs);
                if (null != session)
                {
                    status.sendStatus(session, decoder.correlationId(), nowNs);
                }
            }
            case ChecksumRequestDecoder.TEMPLATE_ID ->
            {
                final ChecksumRequestDecoder decoder = decoders.checksumRequest(buffer, position, length);
                final ClientSessions.Session session = sessions.get(decoder.clientId(), nowNs);
                if (null != session)
                {
                    checksum.sendChecksum(session, decoder.correlationId(), decoder.fromOffset(), decoder.toOffset());
                }
            }
            case SnapshotSaveRequestDecoder.TEMPLATE_ID ->
            {
                final SnapshotSaveRequestDecoder decoder = decoders.snapshotSaveRequest(buffer, position, length);
                final ClientSessions.Session session = sessions.get(decoder.clientId(), nowNs);
                if (null != session)
                {
                    snapshots.onRequest(decoder, session, nowNs);
                }
            }
            case MemberListRequestDecoder.TEMPLATE_ID ->
            {
                final MemberListRequestDecoder decoder = decoders.memberListRequest(buffer, position, length);
                final ClientSessions.Session session = sessions.get(decoder.clientId(), nowNs);
                if (null != session)
                {
                    status.sendMemberList(session, decoder.correlationId(), nowNs);
                }
            }
            case MemberChangeRequestDecoder.TEMPLATE_ID ->
                memberChanges.onRequest(decoders.memberChangeRequest(buffer, position, length), nowNs);
            case PromoteRequestDecoder.TEMPLATE_ID ->
                commands.onPromote(decoders.promoteRequest(buffer, position, length), nowNs);
            case DemoteRequestDecoder.TEMPLATE_ID ->
                commands.onDemote(decoders.demoteRequest(buffer, position, length), nowNs);
            default -> logger.log(WARNING, "unexpected " + MessageTypes.describe(templateId) + " on admin");
        }
    }
}
