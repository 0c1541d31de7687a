package io.logship.client;

/**
 * One answer to {@link LogshipClient#snapshotChunk}: while the node is still taking the snapshot
 * {@code totalLength} is -1 and {@code data} empty; then {@code data} holds the file's bytes from {@code position}.
 *
 * @param nodeId         the node that answered
 * @param exportId       the export the answer belongs to
 * @param epoch          the node's epoch when the snapshot was taken (every record covered is of it or earlier)
 * @param snapshotOffset the snapshot covers records {@code [0, snapshotOffset)}; -1 while being taken
 * @param totalLength    the snapshot file's length; -1 while being taken
 * @param position       where {@code data} starts in the file
 * @param data           file bytes
 */
public record SnapshotChunk(int nodeId, long exportId, int epoch, long snapshotOffset, long totalLength, long position,
    byte[] data)
{
    /** Whether the node is still taking the snapshot: ask again. */
    public boolean isPending()
    {
        return totalLength < 0;
    }
}
