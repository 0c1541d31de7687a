package io.logship.node.admin;

import io.logship.LogshipException;
import io.logship.kv.SnapshotInfo;
import io.logship.kv.SnapshotReader;
import io.logship.node.ApplyAgent;
import io.logship.node.ReplicatedLog;
import io.logship.node.egress.SendBuffer;
import io.logship.node.ingress.ClientSessions;
import io.logship.transport.codec.BooleanType;
import io.logship.transport.codec.SnapshotSaveRequestDecoder;
import io.logship.transport.codec.SnapshotSaveResponseEncoder;
import io.logship.transport.codec.Status;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

import static java.lang.System.Logger.Level.INFO;
import static java.lang.System.Logger.Level.WARNING;

/**
 * Answers {@code logship snapshot save}: a fresh snapshot of this node's store, pulled by the tool one chunk per
 * request over the authenticated admin stream (docs/DESIGN.md#backup).
 *
 * <p>The first request of a new export id asks the apply thread for a snapshot of the store as applied now (only
 * committed records are ever applied), so the snapshot is written where the periodic ones are, off this thread;
 * until it is done every request is answered "being taken" ({@code totalLength} -1) and the tool asks again. Then
 * each request gets at most {@link #MAX_CHUNK_BYTES} of the file at the position it names, a positional read of a
 * file the kernel just wrote: the conductor never does more per request, and the tool sends its next request only
 * after the answer, so one export costs at most one chunk per duty cycle. A position can be asked again (a lost
 * answer), and the open file stays readable even if retention deletes its name meanwhile. One export at a time:
 * another tool is answered BUSY until the first releases its export or leaves it idle for
 * {@link #IDLE_TIMEOUT_MS} ms.
 *
 * <p>Conductor thread only.
 */
public final class SnapshotExports
{
    /** Most data bytes in one answer. */
    public static final int MAX_CHUNK_BYTES = 256 * 1024;
    /** An export not asked for anything this long is closed when another tool starts one. */
    public static final long IDLE_TIMEOUT_MS = 30_000;
    /** Room for the answer's fixed fields, its header and the empty message around the data. */
    private static final int MESSAGE_OVERHEAD = 256;

    private final ReplicatedLog partition;
    private final ApplyAgent applier;
    private final SendBuffer sendBuffer;
    private final System.Logger logger;
    private final ByteBuffer chunk = ByteBuffer.allocateDirect(MAX_CHUNK_BYTES);
    private final UnsafeBuffer chunkBuffer = new UnsafeBuffer(chunk);
    private final SnapshotSaveResponseEncoder encoder = new SnapshotSaveResponseEncoder();

    private boolean active;
    private long exportId;
    private long lastRequestNs;
    private SnapshotInfo snapshot;
    private SnapshotReader reader;
    private int epoch;

    public SnapshotExports(final ReplicatedLog partition, final ApplyAgent applier, final SendBuffer sendBuffer)
    {
        this.partition = partition;
        this.applier = applier;
        this.sendBuffer = sendBuffer;
        this.logger = partition.logger();
    }

    public void onRequest(final SnapshotSaveRequestDecoder decoder, final ClientSessions.Session session,
        final long nowNs)
    {
        final long correlationId = decoder.correlationId();
        final long id = decoder.exportId();
        final long position = decoder.position();
        final int maxBytes = decoder.maxBytes();
        final boolean release = decoder.release() == BooleanType.TRUE;
        if (release)
        {
            if (active && id == exportId)
            {
                close("released by the tool");
            }
            answer(session, correlationId, id, Status.OK, -1, 0, "");
            return;
        }
        if (!active || id != exportId)
        {
            if (active && nowNs - lastRequestNs < TimeUnit.MILLISECONDS.toNanos(IDLE_TIMEOUT_MS))
            {
                answer(session, correlationId, id, Status.BUSY, -1, 0, "node " + partition.nodeId() +
                    " is sending another snapshot (export " + exportId + "); retry once it is done or idle for " +
                    IDLE_TIMEOUT_MS + " ms");
                return;
            }
            if (active)
            {
                close("abandoned: idle for " + TimeUnit.NANOSECONDS.toMillis(nowNs - lastRequestNs) + " ms");
            }
            if (null != applier.failure())
            {
                answer(session, correlationId, id, Status.ERROR, -1, 0, "node " + partition.nodeId() +
                    " cannot take a snapshot: its apply thread stopped: " + applier.failure());
                return;
            }
            active = true;
            exportId = id;
            snapshot = null;
            applier.requestSnapshot();
            logger.log(INFO, "snapshot save (export " + id + "): taking a snapshot of the store at applied offset " +
                partition.store().appliedOffset());
        }
        lastRequestNs = nowNs;
        if (null == snapshot && !snapshotReady(session, correlationId))
        {
            return;
        }
        if (position < 0 || position > reader.sizeBytes() || maxBytes <= 0)
        {
            answer(session, correlationId, id, Status.INVALID, -1, 0, "position " + position + " with maxBytes " +
                maxBytes + " is invalid: expected a position in [0, " + reader.sizeBytes() + "] and maxBytes > 0");
            return;
        }
        // What fits one message on this session (a small term length makes it far less than MAX_CHUNK_BYTES).
        final int fits = session.publisher.maxMessageLength(SnapshotSaveResponseEncoder.TEMPLATE_ID) - MESSAGE_OVERHEAD;
        chunk.clear().limit((int)Math.min(Math.min(Math.min(maxBytes, MAX_CHUNK_BYTES), fits),
            reader.sizeBytes() - position));
        final int length;
        try
        {
            length = chunk.limit() == 0 ? 0 : reader.read(position, chunk);
        }
        catch (final LogshipException ex)
        {
            close("reading failed: " + ex.getMessage());
            answer(session, correlationId, id, Status.ERROR, -1, 0, ex.getMessage());
            return;
        }
        answer(session, correlationId, id, Status.OK, position, length, "");
    }

    /** Opens the requested snapshot once the apply thread has taken it; answers and returns false until then. */
    private boolean snapshotReady(final ClientSessions.Session session, final long correlationId)
    {
        final SnapshotInfo taken = applier.requestedSnapshot();
        final String failure = applier.failure();
        if (null == taken && null == failure)
        {
            answer(session, correlationId, exportId, Status.OK, -1, 0, "being taken");
            return false;
        }
        if (null == taken || ApplyAgent.FAILED_SNAPSHOT == taken)
        {
            final String why = null != failure ? "its apply thread stopped: " + failure :
                "writing it failed (the node's log says why)";
            final long id = exportId;
            close("snapshot failed");
            answer(session, correlationId, id, Status.ERROR, -1, 0, "node " + partition.nodeId() +
                " could not take a snapshot: " + why);
            return false;
        }
        try
        {
            reader = partition.store().snapshots().openReader(taken.file());
        }
        catch (final LogshipException ex)
        {
            final long id = exportId;
            close("cannot open " + taken.file());
            answer(session, correlationId, id, Status.ERROR, -1, 0, ex.getMessage() + "; retry the save");
            return false;
        }
        snapshot = taken;
        // Read after the snapshot was taken: every record it covers was written in this epoch or an earlier one.
        epoch = partition.epoch();
        logger.log(INFO, "snapshot save (export " + exportId + "): sending " + taken.file().getFileName() + " (" +
            taken.sizeBytes() + " bytes, " + taken.entryCount() + " keys, offset " + taken.appliedOffset() +
            ", epoch " + epoch + ")");
        return true;
    }

    private void answer(final ClientSessions.Session session, final long correlationId, final long id,
        final Status status, final long position, final int length, final String message)
    {
        final boolean ready = null != snapshot && id == exportId && active;
        encoder.wrapAndApplyHeader(sendBuffer.buffer(), 0, sendBuffer.header())
            .correlationId(correlationId)
            .nodeId(partition.nodeId())
            .status(status)
            .exportId(id)
            .epoch(ready ? epoch : partition.epoch())
            .snapshotOffset(ready ? snapshot.appliedOffset() : -1)
            .totalLength(ready ? snapshot.sizeBytes() : -1)
            .chunkPosition(position)
            .putData(chunkBuffer, 0, length)
            .message(message);
        // Not sent (back-pressure, or the tool went away): the tool times out and asks for the same position again.
        session.publisher.offer(encoder);
    }

    private void close(final String why)
    {
        if (null != reader)
        {
            reader.close();
        }
        if (null != snapshot || !why.startsWith("released"))
        {
            logger.log(why.startsWith("released") ? INFO : WARNING, "snapshot save (export " + exportId + ") ended: " +
                why);
        }
        reader = null;
        snapshot = null;
        active = false;
    }
}
