package io.logship.client;

import io.logship.format.BatchBuilder;
import io.logship.format.BatchDescriptor;
import io.logship.format.RecordDescriptor;
import io.logship.format.RecordType;
import io.logship.transport.BoundedPublisher;
import io.logship.transport.PublishResult;
import io.logship.transport.codec.ChecksumRequestEncoder;
import io.logship.transport.codec.ConnectEncoder;
import io.logship.transport.codec.Consistency;
import io.logship.transport.codec.DemoteRequestEncoder;
import io.logship.transport.codec.MemberChangeRequestEncoder;
import io.logship.transport.codec.MemberListRequestEncoder;
import io.logship.transport.codec.MemberRole;
import io.logship.transport.codec.MessageHeaderEncoder;
import io.logship.transport.codec.PromoteRequestEncoder;
import io.logship.transport.codec.ReadRequestEncoder;
import io.logship.transport.codec.StatusRequestEncoder;
import io.logship.transport.codec.TailRequestEncoder;
import io.logship.transport.codec.WriteLogBatchEncoder;
import io.logship.transport.codec.WriteRequestEncoder;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;
import java.util.List;

/**
 * Encodes what the client sends to a node (Connect and every request kind) into one reusable buffer and
 * offers it on that node's publication (client ingress or admin stream). It decides nothing: the
 * {@link ClientConductor} picks the node and the correlation id and acts on the returned
 * {@link PublishResult}.
 *
 * <p>Owned by the conductor thread; not thread-safe. The encoders are created once and reused for every
 * message.
 */
final class IngressPublisher
{
    private final long clientId;
    private final String responseChannel;
    private final int responseStreamId;

    private final ExpandableArrayBuffer sendBuffer = new ExpandableArrayBuffer(64 * 1024);
    private final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
    private final ConnectEncoder connectEncoder = new ConnectEncoder();
    private final WriteRequestEncoder writeEncoder = new WriteRequestEncoder();
    private final WriteLogBatchEncoder writeLogBatchEncoder = new WriteLogBatchEncoder();
    private final UnsafeBuffer batchView = new UnsafeBuffer(0, 0);
    private final BatchBuilder batchBuilder = new BatchBuilder(batchView);
    private final UnsafeBuffer keyView = new UnsafeBuffer(0, 0);
    private final UnsafeBuffer valueView = new UnsafeBuffer(0, 0);
    private final ReadRequestEncoder readEncoder = new ReadRequestEncoder();
    private final TailRequestEncoder tailEncoder = new TailRequestEncoder();
    private final StatusRequestEncoder statusEncoder = new StatusRequestEncoder();
    private final ChecksumRequestEncoder checksumEncoder = new ChecksumRequestEncoder();
    private final PromoteRequestEncoder promoteEncoder = new PromoteRequestEncoder();
    private final DemoteRequestEncoder demoteEncoder = new DemoteRequestEncoder();
    private final io.logship.transport.codec.SnapshotSaveRequestEncoder snapshotSaveEncoder =
        new io.logship.transport.codec.SnapshotSaveRequestEncoder();
    private final MemberListRequestEncoder memberListEncoder = new MemberListRequestEncoder();
    private final MemberChangeRequestEncoder memberChangeEncoder = new MemberChangeRequestEncoder();

    /** Header plus body of the last request encoded by {@link #send}, for the error message of TOO_LARGE. */
    private int lastMessageLength;

    /**
     * @param responseChannel  the client's own endpoint, sent in Connect so the node can answer there.
     * @param responseStreamId the stream the client's egress subscription listens on.
     */
    IngressPublisher(final long clientId, final String responseChannel, final int responseStreamId)
    {
        this.clientId = clientId;
        this.responseChannel = responseChannel;
        this.responseStreamId = responseStreamId;
    }

    /** Offers a Connect naming this client's response endpoint. */
    PublishResult sendConnect(final BoundedPublisher publisher)
    {
        connectEncoder.wrapAndApplyHeader(sendBuffer, 0, headerEncoder)
            .clientId(clientId)
            .responseStreamId(responseStreamId)
            .responseChannel(responseChannel);
        return publisher.offer(connectEncoder);
    }

    /**
     * Encodes one attempt of {@code request} and offers it.
     *
     * @param nodeTimeoutMs how long the node may take before answering TIMEOUT (writes and reads).
     */
    PublishResult send(
        final BoundedPublisher publisher,
        final ClientRequest request,
        final long correlationId,
        final int nodeTimeoutMs)
    {
        encode(request, correlationId, nodeTimeoutMs);
        lastMessageLength = MessageHeaderEncoder.ENCODED_LENGTH + encodedBodyLength(request);
        return publisher.offer(headerEncoder.buffer(), 0, lastMessageLength);
    }

    /** Bytes of the last request encoded by {@link #send}, header included. */
    int lastMessageLength()
    {
        return lastMessageLength;
    }

    private void encode(final ClientRequest request, final long correlationId, final int nodeTimeoutMs)
    {
        switch (request.kind)
        {
            case WRITE:
                writeEncoder.wrapAndApplyHeader(sendBuffer, 0, headerEncoder)
                    .correlationId(correlationId)
                    .clientId(clientId)
                    .sequence(request.sequence)
                    .timeoutMs(nodeTimeoutMs)
                    .ackLevel(toWire(request.ackLevel))
                    .recordType(toWire(request.recordType))
                    .putKey(request.key, 0, request.key.length)
                    .putValue(request.value, 0, request.value.length);
                break;

            case WRITE_BATCH:
                encodeLogBatch(request, correlationId, nodeTimeoutMs);
                break;

            case READ:
                readEncoder.wrapAndApplyHeader(sendBuffer, 0, headerEncoder)
                    .correlationId(correlationId)
                    .clientId(clientId)
                    .minOffset(request.consistency.minOffset())
                    .timeoutMs(nodeTimeoutMs)
                    .consistency(toWire(request.consistency.kind()))
                    .putKey(request.key, 0, request.key.length);
                break;

            case TAIL:
                tailEncoder.wrapAndApplyHeader(sendBuffer, 0, headerEncoder)
                    .correlationId(correlationId)
                    .clientId(clientId)
                    .fromOffset(request.fromOffset)
                    .maxBytes(request.maxBytes);
                break;

            case STATUS:
                statusEncoder.wrapAndApplyHeader(sendBuffer, 0, headerEncoder)
                    .correlationId(correlationId)
                    .clientId(clientId);
                break;

            case CHECKSUM:
                checksumEncoder.wrapAndApplyHeader(sendBuffer, 0, headerEncoder)
                    .correlationId(correlationId)
                    .clientId(clientId)
                    .fromOffset(request.fromOffset)
                    .toOffset(request.toOffset);
                break;

            case PROMOTE:
                promoteEncoder.wrapAndApplyHeader(sendBuffer, 0, headerEncoder)
                    .correlationId(correlationId)
                    .clientId(clientId)
                    .targetNodeId(request.promoteNodeId > 0 ? request.promoteNodeId : request.fixedNodeId)
                    .flags().clear().forced(request.force);
                break;

            case DEMOTE:
                demoteEncoder.wrapAndApplyHeader(sendBuffer, 0, headerEncoder)
                    .correlationId(correlationId)
                    .clientId(clientId)
                    .nodeId(request.fixedNodeId);
                break;

            case SNAPSHOT_SAVE:
                snapshotSaveEncoder.wrapAndApplyHeader(sendBuffer, 0, headerEncoder)
                    .correlationId(correlationId)
                    .clientId(clientId)
                    .exportId(request.exportId)
                    .position(request.fromOffset)
                    .maxBytes(request.maxBytes)
                    .release(request.release ? io.logship.transport.codec.BooleanType.TRUE :
                        io.logship.transport.codec.BooleanType.FALSE);
                break;

            case MEMBER_LIST:
                memberListEncoder.wrapAndApplyHeader(sendBuffer, 0, headerEncoder)
                    .correlationId(correlationId)
                    .clientId(clientId);
                break;

            case MEMBER_CHANGE:
                memberChangeEncoder.wrapAndApplyHeader(sendBuffer, 0, headerEncoder)
                    .correlationId(correlationId)
                    .clientId(clientId)
                    .change(toWire(request.memberChange))
                    .memberId(request.memberId)
                    .role(request.memberVoter ? MemberRole.VOTER : MemberRole.LEARNER)
                    .address(null == request.memberAddress ? "" : request.memberAddress);
                break;

            default:
                throw new IllegalStateException("unknown request kind " + request.kind);
        }
    }

    /**
     * A batch of writes as one WriteLogBatch: its records are encoded in the log's own batch format straight into
     * the message (docs/DESIGN.md#client-batches), each idempotent with this client's id and its sequence, the
     * batch's CRC32C set, so the leader checks them and adds them to its log batch in one copy. Base offset and
     * epoch are left 0 and the timestamp is this client's clock: the leader stamps all three.
     */
    private void encodeLogBatch(final ClientRequest request, final long correlationId, final int nodeTimeoutMs)
    {
        writeLogBatchEncoder.wrapAndApplyHeader(sendBuffer, 0, headerEncoder)
            .correlationId(correlationId)
            .clientId(clientId)
            .firstSequence(request.sequence)
            .timeoutMs(nodeTimeoutMs)
            .ackLevel(toWire(request.ackLevel));
        final List<ClientRequest> writes = request.children;
        int length = BatchDescriptor.HEADER_LENGTH;
        for (int i = 0; i < writes.size(); i++)
        {
            final ClientRequest write = writes.get(i);
            length += RecordDescriptor.recordLength(write.key.length, valueLength(write), true);
        }
        final int lengthAt = writeLogBatchEncoder.limit();
        final int batchAt = lengthAt + WriteLogBatchEncoder.batchHeaderLength();
        sendBuffer.checkLimit(batchAt + length);
        batchView.wrap(sendBuffer, batchAt, length);
        batchBuilder.reset(0, System.currentTimeMillis());
        long sequence = request.sequence;
        for (int i = 0; i < writes.size(); i++)
        {
            final ClientRequest write = writes.get(i);
            keyView.wrap(write.key);
            valueView.wrap(write.value);
            batchBuilder.append(write.recordType, true, clientId, sequence++, keyView, 0, write.key.length,
                valueView, 0, valueLength(write));
        }
        batchBuilder.build();
        sendBuffer.putInt(lengthAt, length, ByteOrder.LITTLE_ENDIAN);
        writeLogBatchEncoder.limit(batchAt + length);
    }

    private static int valueLength(final ClientRequest write)
    {
        return write.recordType == RecordType.DELETE ? 0 : write.value.length;
    }

    private int encodedBodyLength(final ClientRequest request)
    {
        switch (request.kind)
        {
            case WRITE: return writeEncoder.encodedLength();
            case WRITE_BATCH: return writeLogBatchEncoder.encodedLength();
            case READ: return readEncoder.encodedLength();
            case TAIL: return tailEncoder.encodedLength();
            case STATUS: return statusEncoder.encodedLength();
            case CHECKSUM: return checksumEncoder.encodedLength();
            case PROMOTE: return promoteEncoder.encodedLength();
            case DEMOTE: return demoteEncoder.encodedLength();
            case SNAPSHOT_SAVE: return snapshotSaveEncoder.encodedLength();
            case MEMBER_LIST: return memberListEncoder.encodedLength();
            case MEMBER_CHANGE: return memberChangeEncoder.encodedLength();
            default: throw new IllegalStateException("unknown request kind " + request.kind);
        }
    }

    private static io.logship.transport.codec.AckLevel toWire(final AckLevel ackLevel)
    {
        switch (ackLevel)
        {
            case LEADER: return io.logship.transport.codec.AckLevel.LEADER;
            case ALL: return io.logship.transport.codec.AckLevel.ALL;
            case QUORUM:
            default: return io.logship.transport.codec.AckLevel.QUORUM;
        }
    }

    private static io.logship.transport.codec.RecordType toWire(final RecordType recordType)
    {
        return recordType == RecordType.DELETE ?
            io.logship.transport.codec.RecordType.DELETE : io.logship.transport.codec.RecordType.PUT;
    }

    private static io.logship.transport.codec.MemberChange toWire(final MemberChange change)
    {
        switch (change)
        {
            case ADD: return io.logship.transport.codec.MemberChange.ADD;
            case PROMOTE: return io.logship.transport.codec.MemberChange.PROMOTE;
            case REMOVE:
            default: return io.logship.transport.codec.MemberChange.REMOVE;
        }
    }

    private static Consistency toWire(final ReadConsistency.Kind kind)
    {
        switch (kind)
        {
            case LEADER: return Consistency.LEADER;
            case MIN_OFFSET: return Consistency.MIN_OFFSET;
            case ANY:
            default: return Consistency.ANY;
        }
    }
}
