package io.logship.kv;

import java.nio.file.Path;

/**
 * What a verified backup file ({@link BackupFile}) holds, from its header. Immutable.
 *
 * @param file           the backup file
 * @param snapshotOffset the store covers records {@code [0, snapshotOffset)}; a restored log starts here
 * @param epoch          the saving node's epoch: every record covered is of this epoch or an earlier one
 * @param nodeId         the node that produced the snapshot
 * @param entryCount     keys in the store
 * @param dedupCount     de-duplication table entries (clients whose last sequence is known)
 * @param createdMs      when the file was written, epoch milliseconds
 * @param snapshotBytes  length of the embedded store snapshot
 * @param sizeBytes      file length
 * @param bodyCrc32c     CRC32C of the embedded store snapshot, as stored in the trailer (unsigned)
 */
public record BackupInfo(Path file, long snapshotOffset, int epoch, int nodeId, long entryCount, long dedupCount,
    long createdMs, long snapshotBytes, long sizeBytes, long bodyCrc32c)
{
}
