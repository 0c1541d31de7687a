package io.logship.client;

/**
 * CRC32C (as unsigned 32 bits) over one node's committed batches covering {@code [fromOffset, toOffset)}:
 * the offsets are the batch boundaries the node actually covered.
 */
public record ChecksumResult(int nodeId, long fromOffset, long toOffset, long batchCount, long byteCount, long crc32c)
{
}
