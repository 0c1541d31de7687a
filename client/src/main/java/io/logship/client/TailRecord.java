package io.logship.client;

import io.logship.format.RecordType;

/** One committed record from {@link LogshipClient#tail}: its offset, type, key and value (empty arrays if none). */
public record TailRecord(long offset, RecordType type, byte[] key, byte[] value)
{
}
