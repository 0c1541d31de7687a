package io.logship.client;

import java.util.List;

/**
 * The answer to a tail: the committed records at or after the asked offset, the offset to ask for next,
 * and the node's log start and commit offsets. An empty list with {@code nextOffset == fromOffset} means
 * caught up.
 */
public record TailBatch(List<TailRecord> records, long nextOffset, long logStartOffset, long commitOffset)
{
}
