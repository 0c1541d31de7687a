package io.logship.kv;

import java.nio.file.Path;

/**
 * What a verified snapshot file holds, from its header and trailer. Immutable.
 *
 * @param file          the snapshot file
 * @param appliedOffset next log offset to apply on top of the snapshot
 * @param entryCount    key/value entries
 * @param dedupCount    de-duplication table entries
 * @param sizeBytes     file length
 */
public record SnapshotInfo(Path file, long appliedOffset, long entryCount, long dedupCount, long sizeBytes)
{
}
