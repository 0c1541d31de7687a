package io.logship.kv;

import io.logship.format.BatchBuilder;
import io.logship.format.BatchDescriptor;
import io.logship.format.RecordCursor;
import io.logship.format.RecordType;
import org.agrona.concurrent.UnsafeBuffer;
import org.mapdb.DB;
import org.mapdb.DBMaker;
import org.mapdb.Serializer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * Throughput comparison of MapDB modes for the store's apply loop; not a unit test (no assertions,
 * surefire does not pick it up). Batches of 256 records, 10..20-byte keys over a space of 1M keys,
 * 100-byte values, 5% DELETEs. Run from log-store after {@code mvn -o test-compile}:
 *
 * <pre>
 * java --add-exports java.base/jdk.internal.misc=ALL-UNNAMED -Xmx1g \
 *   -cp target/classes:target/test-classes:$(cat target/test-classpath.txt) \
 *   io.logship.kv.StoreModeMeasurement [records=4000000] [modes=all]
 * </pre>
 *
 * Each mode prints the overall rate and the rate over the second half of the run, when the map is
 * large and most PUTs overwrite (the sustained figure the target refers to).
 */
public final class StoreModeMeasurement
{
    static final int KEY_SPACE = 1_000_000;
    static final int RECORDS_PER_BATCH = 256;
    static final int VALUE_LENGTH_BYTES = 100;

    private StoreModeMeasurement()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final long records = args.length > 0 ? Long.parseLong(args[0]) : 4_000_000L;
        final String modes = args.length > 1 ? args[1] : "all";
        final Path root = Files.createTempDirectory("logship-store-measure");
        try
        {
            for (final String mode : new String[] {"store", "mmap-htree", "mmap-htree-inline", "mmap-htree-alloc",
                "mmap-htree-inline-alloc", "mmap-btree", "raf-htree", "direct-htree", "mmap-htree-tx"})
            {
                if (!"all".equals(modes) && !java.util.Arrays.asList(modes.split(",")).contains(mode))
                {
                    continue;
                }
                final Path dir = Files.createDirectory(root.resolve(mode));
                run(mode, dir, records);
                deleteTree(dir);
            }
        }
        finally
        {
            deleteTree(root);
        }
    }

    private static void run(final String mode, final Path dir, final long records) throws IOException
    {
        final BatchBuilder builder = new BatchBuilder(64 * 1024);
        final RecordCursor cursor = new RecordCursor();
        final SplittableRandom random = new SplittableRandom(42);
        final byte[] value = new byte[VALUE_LENGTH_BYTES];
        final UnsafeBuffer valueBuffer = new UnsafeBuffer(value);
        final UnsafeBuffer keyBuffer = new UnsafeBuffer(new byte[32]);

        DB db = null;
        Map<byte[], byte[]> map = null;
        KeyValueStore store = null;
        switch (mode)
        {
            case "store" -> store = KeyValueStore.open(dir.resolve("store"), new SnapshotStore(dir.resolve("snapshots"), 2));
            case "mmap-htree" -> db = DBMaker.fileDB(dir.resolve("kv.db").toFile()).fileMmapEnableIfSupported()
                .fileMmapPreclearDisable().cleanerHackEnable().make();
            case "mmap-htree-inline" -> db = DBMaker.fileDB(dir.resolve("kv.db").toFile()).fileMmapEnableIfSupported()
                .fileMmapPreclearDisable().cleanerHackEnable().make();
            case "mmap-htree-alloc" -> db = DBMaker.fileDB(dir.resolve("kv.db").toFile()).fileMmapEnableIfSupported()
                .fileMmapPreclearDisable().cleanerHackEnable().allocateStartSize(256L << 20).allocateIncrement(64L << 20)
                .make();
            case "mmap-htree-inline-alloc" -> db = DBMaker.fileDB(dir.resolve("kv.db").toFile()).fileMmapEnableIfSupported()
                .fileMmapPreclearDisable().cleanerHackEnable().allocateStartSize(256L << 20).allocateIncrement(64L << 20)
                .make();
            case "mmap-btree" -> db = DBMaker.fileDB(dir.resolve("kv.db").toFile()).fileMmapEnableIfSupported()
                .fileMmapPreclearDisable().cleanerHackEnable().make();
            case "raf-htree" -> db = DBMaker.fileDB(dir.resolve("kv.db").toFile()).make();
            case "direct-htree" -> db = DBMaker.memoryDirectDB().make();
            case "mmap-htree-tx" -> db = DBMaker.fileDB(dir.resolve("kv.db").toFile()).fileMmapEnableIfSupported()
                .cleanerHackEnable().transactionEnable().make();
            default -> throw new IllegalArgumentException(mode);
        }
        if (null != db)
        {
            map = "mmap-btree".equals(mode) ?
                db.treeMap("data", Serializer.BYTE_ARRAY, Serializer.BYTE_ARRAY).createOrOpen() :
                mode.startsWith("mmap-htree-inline") ?
                db.hashMap("data", Serializer.BYTE_ARRAY, Serializer.BYTE_ARRAY).valueInline().createOrOpen() :
                db.hashMap("data", Serializer.BYTE_ARRAY, Serializer.BYTE_ARRAY).createOrOpen();
        }

        final long startNs = System.nanoTime();
        long halfNs = 0;
        long applied = 0;
        long batches = 0;
        while (applied < records)
        {
            builder.reset(1, 0);
            for (int i = 0; i < RECORDS_PER_BATCH; i++)
            {
                final int keyLength = writeKey(keyBuffer, random.nextInt(KEY_SPACE));
                if (random.nextInt(20) == 0)
                {
                    builder.delete(keyBuffer, 0, keyLength);
                }
                else
                {
                    valueBuffer.putLong(0, random.nextLong());
                    builder.put(keyBuffer, 0, keyLength, valueBuffer, 0, value.length);
                }
            }
            builder.build();
            BatchDescriptor.baseOffset(builder.buffer(), 0, applied);
            if (null != store)
            {
                store.apply(builder.buffer(), 0);
            }
            else
            {
                cursor.wrap(builder.buffer(), 0);
                while (cursor.next())
                {
                    if (cursor.type() == RecordType.PUT)
                    {
                        map.put(cursor.keyBytes(), cursor.valueBytes());
                    }
                    else if (cursor.type() == RecordType.DELETE)
                    {
                        map.remove(cursor.keyBytes());
                    }
                }
                if ("mmap-htree-tx".equals(mode) && ++batches % 64 == 0)
                {
                    db.commit();
                }
            }
            applied += RECORDS_PER_BATCH;
            if (0 == halfNs && applied >= records / 2)
            {
                halfNs = System.nanoTime();
            }
        }
        if (null != db)
        {
            db.commit();
        }
        final long endNs = System.nanoTime();
        long snapshotMs = -1;
        long rebuildMs = -1;
        if (null != store)
        {
            final long snapStartNs = System.nanoTime();
            store.takeSnapshot();
            snapshotMs = (System.nanoTime() - snapStartNs) / 1_000_000;
            store.close();
            // Rebuild cost: what an unclean stop costs before the log replay starts.
            Files.delete(dir.resolve("store").resolve(KeyValueStore.CLEAN_SHUTDOWN_MARKER));
            final long rebuildStartNs = System.nanoTime();
            try (KeyValueStore rebuilt = KeyValueStore.open(dir.resolve("store"),
                new SnapshotStore(dir.resolve("snapshots"), 2)))
            {
                rebuildMs = (System.nanoTime() - rebuildStartNs) / 1_000_000;
            }
        }
        else
        {
            db.close();
        }
        final double totalRate = applied / ((endNs - startNs) / 1e9);
        final double secondHalfRate = (applied - records / 2) / ((endNs - halfNs) / 1e9);
        System.out.printf("%-14s records=%,d total=%,.0f rec/s second-half=%,.0f rec/s%s%n", mode, applied, totalRate,
            secondHalfRate, snapshotMs >= 0 ? " snapshot=" + snapshotMs + " ms rebuild-from-snapshot=" + rebuildMs + " ms" : "");
    }

    static int writeKey(final UnsafeBuffer keyBuffer, final int keyIndex)
    {
        // 12..20 bytes, deterministic per key index so overwrites hit the same key.
        final String text = "key-" + (10_000_000 + keyIndex) + "abcdefghi".substring(0, keyIndex % 9);
        final byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        keyBuffer.putBytes(0, bytes);
        return bytes.length;
    }

    static void deleteTree(final Path dir) throws IOException
    {
        if (!Files.exists(dir))
        {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir))
        {
            for (final Path p : (Iterable<Path>)paths.sorted(Comparator.reverseOrder())::iterator)
            {
                Files.deleteIfExists(p);
            }
        }
    }
}
