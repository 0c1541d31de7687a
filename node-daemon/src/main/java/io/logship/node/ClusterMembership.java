package io.logship.node;

import io.logship.LogshipException;
import io.logship.cluster.Membership;
import io.logship.cluster.MembershipCodec;
import io.logship.cluster.MembershipLog;
import io.logship.format.BatchDescriptor;
import io.logship.format.RecordDescriptor;
import io.logship.format.RecordType;
import io.logship.log.SegmentedLog;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import static java.lang.System.Logger.Level.ERROR;
import static java.lang.System.Logger.Level.INFO;
import static java.lang.System.Logger.Level.WARNING;

/**
 * This node's cluster configuration as its log holds it (docs/DESIGN.md#membership): the {@link MembershipLog}, fed
 * by every append of a {@code MEMBERS} batch (the leader's journal result, a follower's replicated batch: rule 2,
 * effective on append), by every truncation (rule 3, truncation reverts) and by the commit offset; persisted in
 * the {@link MembershipFile} before the node acks such a batch, and restored from it and the log's tail on start.
 * When the configuration in effect changes it tells the node ({@link Listener}), which recounts majorities, the
 * lease and the peers. Once a committed configuration no longer holds this node, and it was a member before, the
 * node was removed: {@link Listener#onRemoved} (it exits with code 4).
 *
 * <p>Conductor thread only (the restore runs on the starting thread, before the conductor).
 */
public final class ClusterMembership
{
    /** What the node does when the configuration changes. */
    public interface Listener
    {
        /** {@code membership} is in effect from now (appended at {@code offset}, or back in effect after a cut). */
        void onConfiguration(Membership membership, long offset);

        /** A committed configuration at {@code offset} no longer holds this node. */
        void onRemoved(long offset);
    }

    private final int nodeId;
    private final MembershipLog history;
    private final MembershipFile file;
    private final System.Logger logger;
    private Listener listener;
    /** Below this offset every MEMBERS record of the log is in {@link #history}: a restart re-reads from here. */
    private long scannedEndOffset;
    private long lastCommit = -1;
    /** This node was in some configuration of its log: only such a node can be removed (a joining one is not yet in). */
    private boolean wasMember;
    /** Whether the configuration in effect holds this node: kept on each change, so the commit check allocates nothing. */
    private boolean selfInCurrent;
    private boolean removed;

    /**
     * Restores the history: the persisted one if there is a file (it wins over the seed: a node that joined, or
     * whose cluster changed, restarts with what it learned), else {@code seed}; entries at or above the log's end
     * are dropped (a crash may have lost an un-fsynced suffix), then the {@code MEMBERS} records of the log's tail
     * past what the file covers are appended again, and the result is written back.
     */
    public ClusterMembership(final int nodeId, final Membership seed, final MembershipFile file,
        final SegmentedLog log, final System.Logger logger)
    {
        this.nodeId = nodeId;
        this.file = file;
        this.logger = logger;
        final MembershipFile.Contents contents = file.read();
        final long logEnd = log.logEndOffset();
        if (null == contents)
        {
            history = new MembershipLog(seed);
            scannedEndOffset = log.logStartOffset();
        }
        else
        {
            history = new MembershipLog(contents.entries());
            history.truncateTo(logEnd);
            scannedEndOffset = Math.max(log.logStartOffset(), Math.min(logEnd,
                Math.max(contents.scannedEndOffset(), history.currentOffset() + 1)));
        }
        // A restored configuration written by a record that lacks this node means it was removed before it stopped
        // (the leader ships nothing to a node before the record adding it): it exits again once that is committed.
        wasMember = null != history.current().member(nodeId) ||
            history.currentOffset() != MembershipLog.SEED_OFFSET;
        replayTail(log);
        selfInCurrent = null != history.current().member(nodeId);
        scannedEndOffset = logEnd;
        file.writeNow(history.entries(), scannedEndOffset);
        if (null != contents || history.currentOffset() != MembershipLog.SEED_OFFSET)
        {
            logger.log(INFO, "Node " + nodeId + " restored its cluster configuration " + history.current() +
                " (record at offset " + history.currentOffset() + ") from " + file.file() + " and its log");
        }
    }

    /** Set once by the node, before the conductor starts. */
    public void listener(final Listener listener)
    {
        this.listener = listener;
    }

    private void replayTail(final SegmentedLog log)
    {
        long offset = scannedEndOffset;
        if (offset >= log.logEndOffset())
        {
            return;
        }
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[BatchDescriptor.MAX_BATCH_LENGTH]);
        while (offset < log.logEndOffset())
        {
            final int length = log.read(offset, buffer.capacity(), buffer, 0);
            if (length <= 0)
            {
                break;
            }
            int position = 0;
            while (position + BatchDescriptor.HEADER_LENGTH <= length)
            {
                final int batchLength = BatchDescriptor.length(buffer, position);
                final long next = BatchDescriptor.nextOffset(buffer, position);
                if (next > offset)
                {
                    final Membership carried = decode(buffer, position, batchLength);
                    final long base = BatchDescriptor.baseOffset(buffer, position);
                    if (null != carried && base > history.currentOffset())
                    {
                        appendQuietly(base, carried);
                    }
                    offset = next;
                }
                position += batchLength;
            }
        }
    }

    /** The configurations this node's log holds. */
    public MembershipLog history()
    {
        return history;
    }

    /** The configuration in effect. */
    public Membership current()
    {
        return history.current();
    }

    /** Whether this node was removed by a committed configuration. */
    public boolean removed()
    {
        return removed;
    }

    /** Whether the history requested so far is on disk (peer messages wait until it is). */
    public boolean isDurable()
    {
        return file.isDurable();
    }

    /** Why the history could not be written, or null. */
    public Throwable failure()
    {
        return file.failure();
    }

    /**
     * A follower appended the batch at {@code position} of {@code bytes} (its base offset stamped by the leader):
     * if it is a {@code MEMBERS} batch, its configuration is in effect from now.
     */
    public void onFollowerAppend(final DirectBuffer bytes, final int position, final int length)
    {
        if ((BatchDescriptor.flags(bytes, position) & BatchDescriptor.FLAG_MEMBERSHIP) == 0)
        {
            return;
        }
        final Membership next = decode(bytes, position, length);
        if (null != next)
        {
            onAppended(BatchDescriptor.baseOffset(bytes, position), next);
        }
    }

    /** The {@code MEMBERS} record at {@code offset} is in this node's log: {@code next} is in effect from now (rule 2). */
    public void onAppended(final long offset, final Membership next)
    {
        if (!appendQuietly(offset, next))
        {
            return;
        }
        scannedEndOffset = Math.max(scannedEndOffset, offset + 1);
        file.write(history.entries(), scannedEndOffset);
        logger.log(INFO, "Node " + nodeId + " uses the cluster configuration " + next + " from offset " + offset +
            " (voters " + next.voters().size() + ", majority " + next.majority() + ")");
        listener.onConfiguration(next, offset);
    }

    private boolean appendQuietly(final long offset, final Membership next)
    {
        try
        {
            history.append(offset, next);
            selfInCurrent = null != next.member(nodeId);
            wasMember |= selfInCurrent;
            return true;
        }
        catch (final LogshipException ex)
        {
            // The leader never writes such a record: keep the configuration in effect rather than guess.
            logger.log(ERROR, "Node " + nodeId + " ignores the membership record at offset " + offset + ": " +
                ex.getMessage());
            return false;
        }
    }

    /** The log was cut to end at {@code logEndOffset}: a cut change record no longer counts (rule 3). */
    public void onTruncated(final long logEndOffset)
    {
        scannedEndOffset = Math.min(scannedEndOffset, logEndOffset);
        if (history.truncateTo(logEndOffset))
        {
            selfInCurrent = null != history.current().member(nodeId);
            file.write(history.entries(), scannedEndOffset);
            logger.log(WARNING, "Node " + nodeId + " goes back to the cluster configuration " + history.current() +
                " (record at offset " + history.currentOffset() + "): its log was cut at offset " + logEndOffset);
            listener.onConfiguration(history.current(), history.currentOffset());
        }
    }

    /**
     * The commit offset: older configurations are forgotten, and a committed configuration that no longer holds
     * this node means it was removed (checked only once this node's log reaches what the leader committed, so a
     * node catching up does not act on an old removal of a previous holder of its id).
     */
    public void onCommit(final long commitOffset, final long logEndOffset)
    {
        if (commitOffset == lastCommit || removed)
        {
            return;
        }
        lastCommit = commitOffset;
        history.commit(commitOffset);
        if (wasMember && !selfInCurrent && history.currentOffset() != MembershipLog.SEED_OFFSET &&
            history.currentCommitted() && logEndOffset >= commitOffset)
        {
            removed = true;
            listener.onRemoved(history.currentOffset());
        }
    }

    /** Writes what is queued and stops the writer thread. */
    void close()
    {
        file.close();
    }

    /** The configuration a {@code MEMBERS} batch carries, or null (logged) if it holds none. */
    private Membership decode(final DirectBuffer bytes, final int position, final int length)
    {
        if ((BatchDescriptor.flags(bytes, position) & BatchDescriptor.FLAG_MEMBERSHIP) == 0)
        {
            return null;
        }
        final long base = BatchDescriptor.baseOffset(bytes, position);
        try
        {
            int p = position + BatchDescriptor.HEADER_LENGTH;
            final byte type = bytes.getByte(p + RecordDescriptor.TYPE_OFFSET);
            if (RecordType.get(type) != RecordType.MEMBERS || BatchDescriptor.recordCount(bytes, position) != 1)
            {
                throw new LogshipException("a membership batch must hold one MEMBERS record, found type " + type +
                    " and " + BatchDescriptor.recordCount(bytes, position) + " record(s)", LogshipException.Category.ERROR);
            }
            final boolean idempotent =
                (bytes.getByte(p + RecordDescriptor.ATTRIBUTES_OFFSET) & RecordDescriptor.ATTR_IDEMPOTENT) != 0;
            p += RecordDescriptor.FIXED_HEADER_LENGTH + (idempotent ? RecordDescriptor.IDEMPOTENCE_LENGTH : 0);
            final int keyLength = bytes.getInt(p, BatchDescriptor.BYTE_ORDER);
            p += Integer.BYTES + keyLength;
            final int valueLength = bytes.getInt(p, BatchDescriptor.BYTE_ORDER);
            p += Integer.BYTES;
            if (keyLength < 0 || valueLength < 0 || p + valueLength > position + length)
            {
                throw new LogshipException("MEMBERS record lengths key " + keyLength + ", value " + valueLength +
                    " exceed the batch of " + length + " bytes", LogshipException.Category.ERROR);
            }
            return MembershipCodec.decode(bytes, p, valueLength);
        }
        catch (final LogshipException ex)
        {
            logger.log(ERROR, "Node " + nodeId + " cannot read the membership batch at offset " + base + ": " +
                ex.getMessage() + "; the configuration in effect stays " + history.current());
            return null;
        }
    }
}
