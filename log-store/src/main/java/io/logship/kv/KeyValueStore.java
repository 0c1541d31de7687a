package io.logship.kv;

import io.logship.LogshipException;
import io.logship.format.BatchDescriptor;
import io.logship.format.RecordCursor;
import io.logship.format.RecordDescriptor;
import io.logship.format.RecordType;
import org.agrona.DirectBuffer;
import org.mapdb.Atomic;
import org.mapdb.DB;
import org.mapdb.DBException;
import org.mapdb.DBMaker;
import org.mapdb.HTreeMap;
import org.mapdb.Serializer;

import java.io.IOError;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The state machine: a MapDB view of the committed log, holding the key/value data, the replicated
 * de-duplication table (client id → last sequence and its offset) and the applied offset (the next
 * log offset to apply), all in one MapDB file under the store directory.
 *
 * <h2>A rebuildable view</h2>
 * MapDB 3.1.0 has corrupted its file after SIGKILL even with transactions (LIBRARIES.md), so the
 * file is never trusted after a crash. {@link #open} uses it only if the clean-shutdown marker
 * {@value #CLEAN_SHUTDOWN_MARKER} is present, names the same applied offset as the file, and the
 * file opens with all its structures. Otherwise the file is deleted and the store is rebuilt from
 * the newest valid snapshot (or starts empty at offset 0); the caller then replays the log from
 * {@link #appliedOffset()}. The marker is deleted (durably) right after open, before any mutation,
 * and written (fsync file and directory) only by a clean {@link #close()}.
 *
 * <h2>MapDB mode, chosen by measurement</h2>
 * Since crash safety comes from the rebuild, MapDB runs without transactions and without commits
 * while running: {@code fileDB(..).fileMmapEnableIfSupported().fileMmapPreclearDisable().cleanerHackEnable()}
 * with an {@code HTreeMap<byte[], byte[]>} (byte-array serializers). Measured on the
 * 2-core VM with {@code StoreModeMeasurement} (src/test; 4M records in 256-record batches, 12..20-byte
 * keys over 1M keys, 100-byte values, 5% deletes; "sustained" = second half of the run, ~930k live keys):
 * <pre>
 *   this store, end to end through apply()      308k-317k records/s sustained (264k-269k overall)
 *   same without valueInline(), raw MapDB loop  279k-330k
 *   memoryDirectDB() HTreeMap                   300k-326k  (nothing on disk: every restart rebuilds)
 *   BTreeMap, mmap, no tx                       119k-140k
 *   transactionEnable(), commit per 16k records  56k
 *   no mmap (RandomAccessFile), no tx             7k
 * </pre>
 * Command, full table and what was rejected (and why): STORE-NOTES.md in the log-store module. The
 * machine was shared with a concurrent build; differences under ~20% are noise.
 *
 * <h2>Cost per record</h2>
 * Apply itself allocates nothing per record: keys and values are staged in reused arrays, sequences
 * and the applied offset are written once per batch. What remains is MapDB's, ~1.5-1.7 us of CPU and
 * ~0.9-1.1 KB of garbage per put (1M keys, 100-byte values): each put walks the hash index from its
 * root (random reads in the mapped file, the largest CPU share in a profile), reads back and copies
 * the whole leaf, and serializes the new leaf into a fresh {@code DataOutput2} (a 128-byte buffer,
 * doubled when the leaf is larger). New files therefore use a two-level index (see
 * {@code DATA_SEGMENTS}). MapDB's {@code StoreDirect} allocates that buffer on every update, so well
 * under ~0.2 KB per record is out of reach through MapDB; STORE-NOTES.md has the measurements.
 *
 * <h2>In memory instead of a file ({@link Medium#MEMORY})</h2>
 * The file's pages are written back by the kernel whole-inode once they are 30 s old: measured under fsync
 * {@code always} at 10 k writes/s, 250-700 MB of the three nodes' store files every ~31 s, and the log fsyncs of
 * all three nodes, which share the disk, waited 100-220 ms behind those bursts (perf/README.md, "The store in
 * memory"). Since the file is never trusted after a crash anyway, {@link Medium#MEMORY} keeps the same MapDB
 * structures in direct memory ({@code memoryDirectDB()}), writes nothing but the snapshots, and makes every open
 * a rebuild from the newest snapshot plus a log replay, as after a crash. What it costs: a clean restart replays
 * up to one snapshot interval, and the store must fit in {@code -XX:MaxDirectMemorySize} (about 130 MB per
 * million 100-byte entries); running out stops apply with a FATAL error naming both, and the log is untouched.
 *
 * <h2>Threads</h2>
 * {@link #apply}, {@link #takeSnapshot()}, {@link #installSnapshot} and {@link #close()} belong to
 * one thread, the apply thread. {@link #get}, {@link #lastSequence}, {@link #offsetOfLastSequence}
 * and {@link #appliedOffset()} are safe from any thread (MapDB's HTreeMap is thread-safe; a read lock
 * keeps them off the maps while {@link #installSnapshot} swaps the file). A reader may see a batch's
 * records before {@link #appliedOffset()} moves past that batch; readers that need read-your-writes
 * wait for the applied offset first, then read.
 */
public final class KeyValueStore implements AutoCloseable
{
    public static final String DB_FILE_NAME = "store.mapdb";
    public static final String CLEAN_SHUTDOWN_MARKER = "clean-shutdown";

    /** Where the MapDB structures live (class comment, "In memory instead of a file"). */
    public enum Medium
    {
        /** A memory-mapped file in the store directory, reused after a clean shutdown. */
        FILE,
        /** Direct memory, nothing on disk but the snapshots; every open rebuilds from a snapshot and the log. */
        MEMORY
    }

    private static final System.Logger LOG = System.getLogger(KeyValueStore.class.getName());
    private static final java.lang.invoke.VarHandle STORED_OFFSET =
        java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, java.nio.ByteOrder.LITTLE_ENDIAN);
    private static final String DATA_MAP = "data";
    private static final String DEDUP_MAP = "dedup";
    private static final String APPLIED_OFFSET = "appliedOffset";
    /*
     * Two index levels of 128 under 1024 segments (24 hash bits, 16M leaves) instead of MapDB's default four
     * under 8 (31 bits). Half of a put's CPU is the index walk (profiled): each level is a random read in the
     * mapped file and a scan of that directory's packed entries up to the slot, so two levels read half as
     * much. Measured gain is small (~5%, within this machine's noise); directories of 16 or 32 were slower.
     * Up to a few million keys leaves still hold about one entry; beyond ~16M keys they hold several and
     * each put rewrites a bigger leaf.
     */
    private static final int DATA_SEGMENTS = 1024;
    private static final int DATA_DIRECTORY_SIZE = 128;
    private static final int DATA_INDEX_LEVELS = 2;
    /** Values up to this length are staged in reused arrays; longer ones are rare enough to allocate. */
    private static final int SCRATCH_VALUE_LENGTH = 1024;

    private final Path storeDirectory;
    private final Path dbFile;
    private final Medium medium;
    private final SnapshotStore snapshots;
    private final RecordCursor cursor = new RecordCursor();
    // Apply-thread scratch arrays indexed by length (at most ~0.5 MiB each once every length was seen).
    private final byte[][] keyScratch = new byte[RecordDescriptor.MAX_KEY_LENGTH + 1][];
    private final byte[][] valueScratch = new byte[Long.BYTES + SCRATCH_VALUE_LENGTH + 1][];
    private final long[] batchClients = new long[16];
    private final long[] batchSequences = new long[16];
    private final long[] batchOffsets = new long[16];
    private int batchClientCount;
    private final ReentrantReadWriteLock swapLock = new ReentrantReadWriteLock();
    private final String openReport;
    private final boolean rebuiltOnOpen;

    private DB db;
    private HTreeMap<byte[], byte[]> data;
    private HTreeMap<Long, long[]> dedup;
    private Atomic.Long appliedOffsetEntry;
    private volatile long appliedOffset;
    private boolean closed;

    private KeyValueStore(final Path storeDirectory, final SnapshotStore snapshots, final Medium medium)
    {
        this.storeDirectory = storeDirectory;
        this.dbFile = storeDirectory.resolve(DB_FILE_NAME);
        this.snapshots = snapshots;
        this.medium = medium;

        final String reuseProblem = Medium.MEMORY == medium ?
            "the store is kept in memory: every start rebuilds it" : openExisting();
        try
        {
            // Before any mutation, so a crash from here on is seen as unclean by the next open.
            FileSupport.deleteDurably(storeDirectory.resolve(CLEAN_SHUTDOWN_MARKER));
        }
        catch (final IOException | LogshipException ex)
        {
            closeQuietly();
            throw new LogshipException("cannot delete clean-shutdown marker in " + storeDirectory + ": " + ex,
                LogshipException.Category.FATAL, ex);
        }
        if (null == reuseProblem)
        {
            rebuiltOnOpen = false;
            openReport = "reopened " + dbFile + " at applied offset " + appliedOffset;
        }
        else
        {
            rebuiltOnOpen = true;
            openReport = rebuild(reuseProblem);
        }
        LOG.log(System.Logger.Level.INFO, openReport);
    }

    /**
     * Opens the store in {@code storeDirectory} (created if missing), reusing the MapDB file only after
     * a clean shutdown and otherwise rebuilding it from the newest valid snapshot in {@code snapshots}.
     * The caller must then replay the log from {@link #appliedOffset()}.
     */
    public static KeyValueStore open(final Path storeDirectory, final SnapshotStore snapshots)
    {
        return open(storeDirectory, snapshots, Medium.FILE);
    }

    /**
     * Opens the store as {@link #open(Path, SnapshotStore)} does, on {@code medium}. With {@link Medium#MEMORY}
     * the store is always rebuilt (a leftover file in {@code storeDirectory} is deleted) and nothing but
     * snapshots is ever written.
     */
    public static KeyValueStore open(final Path storeDirectory, final SnapshotStore snapshots, final Medium medium)
    {
        try
        {
            Files.createDirectories(storeDirectory);
        }
        catch (final IOException ex)
        {
            throw new LogshipException("cannot create store directory " + storeDirectory + ": " + ex,
                LogshipException.Category.FATAL, ex);
        }
        return new KeyValueStore(storeDirectory, snapshots, medium);
    }

    /** Tries to reuse the existing file; returns null on success, or why it cannot be reused. */
    private String openExisting()
    {
        final Path marker = storeDirectory.resolve(CLEAN_SHUTDOWN_MARKER);
        final boolean dbExists = Files.exists(dbFile);
        if (!Files.exists(marker))
        {
            return dbExists ? "no clean-shutdown marker " + marker + " (the last run did not close the store)" :
                "no store file " + dbFile + " (first start)";
        }
        if (!dbExists)
        {
            return "clean-shutdown marker present but store file " + dbFile + " missing";
        }
        final long markerOffset;
        try
        {
            markerOffset = Long.parseLong(Files.readString(marker, StandardCharsets.UTF_8).trim());
        }
        catch (final IOException | NumberFormatException ex)
        {
            return "unreadable clean-shutdown marker " + marker + ": " + ex;
        }
        try
        {
            openDb();
            if (!db.exists(APPLIED_OFFSET) || !db.exists(DATA_MAP) || !db.exists(DEDUP_MAP))
            {
                closeQuietly();
                return "store file " + dbFile + " lacks one of " + APPLIED_OFFSET + ", " + DATA_MAP + ", " + DEDUP_MAP;
            }
            bindStructures();
            final long stored = appliedOffsetEntry.get();
            if (stored != markerOffset)
            {
                closeQuietly();
                return "store file " + dbFile + " has applied offset " + stored + ", expected " + markerOffset +
                    " from the clean-shutdown marker";
            }
            appliedOffset = stored;
            return null;
        }
        catch (final RuntimeException | AssertionError | IOError ex)
        {
            closeQuietly();
            return "store file " + dbFile + " failed to open: " + ex;
        }
    }

    private String rebuild(final String why)
    {
        closeQuietly();
        final String discarded = Files.exists(dbFile) ? "discarded " + dbFile :
            Medium.MEMORY == medium ? "in memory" : "created " + dbFile;
        deleteDbFiles();
        final Optional<SnapshotInfo> snapshot = snapshots.newestValidSnapshot();
        openDb();
        bindStructures();
        if (snapshot.isEmpty())
        {
            setAppliedOffset(0);
            return "store rebuilt empty at offset 0 (no valid snapshot in " + snapshots.directory() + "); " + discarded +
                " because: " + why;
        }
        try
        {
            load(snapshot.get().file());
        }
        catch (final RuntimeException ex)
        {
            // The file verified a moment ago; failing now means it changed or the disk is failing. Leave no
            // half-loaded store behind: without a marker the next open starts over.
            closeQuietly();
            throw new LogshipException("rebuilding " + dbFile + " from " + snapshot.get().file() + " failed: " + ex,
                LogshipException.Category.FATAL, ex);
        }
        return "store rebuilt from snapshot " + snapshot.get().file() + " at applied offset " + appliedOffset +
            "; " + discarded + " because: " + why;
    }

    private void openDb()
    {
        if (Medium.MEMORY == medium)
        {
            // Serializes into direct memory like the file store does into its mapping (so the reused key and value
            // arrays stay safe); the cleaner hack frees that memory on close instead of at some later GC.
            db = DBMaker.memoryDirectDB().cleanerHackEnable().make();
            return;
        }
        db = DBMaker.fileDB(dbFile.toFile())
            .fileMmapEnableIfSupported()
            // Pre-clearing new mmap chunks costs writes and buys nothing: the file is discarded on any doubt.
            .fileMmapPreclearDisable()
            // Unmaps on close, so a discarded file's space is released and it can be deleted and recreated at once.
            .cleanerHackEnable()
            .make();
    }

    private void bindStructures()
    {
        // The layout applies to new files only: an existing file keeps the one recorded in its catalog, so files
        // written by earlier versions (default layout) reopen as they are.
        // Values inline in the hash tree's leaves: one store record per update instead of two, and less CPU per
        // put than values outside (which allocate ~0.3 KB less per put but read the old value back, measured).
        data = db.hashMap(DATA_MAP, Serializer.BYTE_ARRAY, Serializer.BYTE_ARRAY).valueInline()
            .layout(DATA_SEGMENTS, DATA_DIRECTORY_SIZE, DATA_INDEX_LEVELS)
            .createOrOpen();
        dedup = db.hashMap(DEDUP_MAP, Serializer.LONG, Serializer.LONG_ARRAY).createOrOpen();
        appliedOffsetEntry = db.atomicLong(APPLIED_OFFSET, 0L).createOrOpen();
    }

    private void deleteDbFiles()
    {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(storeDirectory, DB_FILE_NAME + "*"))
        {
            for (final Path file : files)
            {
                LOG.log(System.Logger.Level.WARNING, "discarding store file {0}", file);
                Files.deleteIfExists(file);
            }
        }
        catch (final IOException ex)
        {
            throw new LogshipException("cannot delete store file " + dbFile + ": " + ex, LogshipException.Category.FATAL, ex);
        }
    }

    private void load(final Path snapshotFile)
    {
        final SnapshotInfo info = SnapshotParser.parse(snapshotFile, new SnapshotParser.Visitor()
        {
            @Override
            public void entry(final byte[] key, final byte[] value)
            {
                data.put(key, value);
            }

            @Override
            public void dedup(final long clientId, final long lastSequence, final long offset)
            {
                dedup.put(clientId, new long[] {lastSequence, offset});
            }
        });
        setAppliedOffset(info.appliedOffset());
    }

    private void setAppliedOffset(final long offset)
    {
        appliedOffsetEntry.set(offset);
        appliedOffset = offset;
    }

    /**
     * Applies one committed batch. A batch wholly below the applied offset is skipped, so replaying
     * an overlapping range is harmless; records below the applied offset inside a straddling batch
     * are skipped too.
     *
     * @return true if the batch moved the applied offset, false if it was skipped.
     * @throws LogshipException FATAL if the batch starts above the applied offset: a gap in the
     *                          log would make the store silently diverge.
     */
    public boolean apply(final DirectBuffer buffer, final int offset)
    {
        ensureOpen();
        final long baseOffset = BatchDescriptor.baseOffset(buffer, offset);
        final long nextOffset = BatchDescriptor.nextOffset(buffer, offset);
        final long applied = appliedOffset;
        if (nextOffset <= applied)
        {
            return false;
        }
        if (baseOffset > applied)
        {
            throw new LogshipException("gap before batch at base offset " + baseOffset + ": the store's applied offset is " +
                applied + ", expected a batch containing offset " + applied, LogshipException.Category.FATAL);
        }
        try
        {
            applyRecords(buffer, offset, applied);
        }
        catch (final OutOfMemoryError | DBException.OutOfMemory ex)
        {
            // MapDB wraps the direct buffer's refusal in its own exception; a JVM-level one may come unwrapped.
            if (Medium.MEMORY != medium)
            {
                throw ex;
            }
            throw new LogshipException("the in-memory store is full at applied offset " + applied + " (" + ex.getMessage() +
                "): raise the node's -XX:MaxDirectMemorySize (about 130 MB per million 100-byte entries) or set " +
                "logship.node.store=file, then restart the node; the log is intact and the store is rebuilt from it",
                LogshipException.Category.FATAL, ex);
        }
        setAppliedOffset(nextOffset);
        return true;
    }

    private void applyRecords(final DirectBuffer buffer, final int offset, final long applied)
    {
        final RecordCursor cursor = this.cursor.wrap(buffer, offset);
        while (cursor.next())
        {
            final long recordOffset = cursor.offset();
            if (recordOffset < applied)
            {
                continue;
            }
            final RecordType type = cursor.type();
            if (RecordType.PUT == type)
            {
                // Stored value = the record's offset (int64 LE) then the value: a read can tell which write it sees.
                final byte[] stored = scratch(valueScratch, Long.BYTES + cursor.valueLength());
                STORED_OFFSET.set(stored, 0, recordOffset);
                cursor.buffer().getBytes(cursor.valueOffset(), stored, Long.BYTES, cursor.valueLength());
                data.put(scratchKey(cursor), stored);
            }
            else if (RecordType.DELETE == type)
            {
                data.remove(scratchKey(cursor));
            }
            if (cursor.idempotent())
            {
                noteSequence(cursor.clientId(), cursor.sequence(), recordOffset);
            }
        }
        flushSequences();
    }

    private byte[] scratchKey(final RecordCursor cursor)
    {
        final byte[] key = scratch(keyScratch, cursor.keyLength());
        cursor.buffer().getBytes(cursor.keyOffset(), key);
        return key;
    }

    /**
     * A reusable array of exactly {@code length} bytes (MapDB's byte-array serializer writes the whole
     * array, so it must be exact). Reuse is safe because the file-backed map serializes key and value
     * inside put/remove and keeps no reference to either (so does the direct-memory one: both are MapDB's
     * {@code StoreDirect}); lengths beyond the table get a fresh array.
     */
    private static byte[] scratch(final byte[][] byLength, final int length)
    {
        if (length >= byLength.length)
        {
            return new byte[length];
        }
        byte[] array = byLength[length];
        if (null == array)
        {
            array = new byte[length];
            byLength[length] = array;
        }
        return array;
    }

    /**
     * Collects the highest sequence per client within one batch, so the de-duplication table costs one
     * MapDB update per client per batch rather than one per record (a batch usually holds one client's
     * pipelined writes: this halved apply cost, measured in perf/README.md).
     */
    private void noteSequence(final long clientId, final long sequence, final long recordOffset)
    {
        for (int i = 0; i < batchClientCount; i++)
        {
            if (batchClients[i] == clientId)
            {
                if (sequence > batchSequences[i])
                {
                    batchSequences[i] = sequence;
                    batchOffsets[i] = recordOffset;
                }
                return;
            }
        }
        if (batchClientCount == batchClients.length)
        {
            flushSequences();
        }
        batchClients[batchClientCount] = clientId;
        batchSequences[batchClientCount] = sequence;
        batchOffsets[batchClientCount] = recordOffset;
        batchClientCount++;
    }

    private void flushSequences()
    {
        for (int i = 0; i < batchClientCount; i++)
        {
            recordSequence(batchClients[i], batchSequences[i], batchOffsets[i]);
        }
        batchClientCount = 0;
    }

    private void recordSequence(final long clientId, final long sequence, final long recordOffset)
    {
        // The leader filters duplicates before appending; should one reach the log anyway, keeping the
        // highest sequence (and the offset it first got) is what a retrying client must be answered with.
        final long[] previous = dedup.get(clientId);
        if (null == previous || sequence > previous[0])
        {
            dedup.put(clientId, new long[] {sequence, recordOffset});
        }
    }

    /** A value and the offset of the record that wrote it. */
    public record Value(long offset, byte[] bytes)
    {
    }

    /** The value stored under {@code key}, or null. Any thread. */
    public byte[] get(final byte[] key)
    {
        final Value value = getValue(key);
        return null == value ? null : value.bytes();
    }

    /** The value stored under {@code key} with the offset that wrote it, or null. Any thread. */
    public Value getValue(final byte[] key)
    {
        final ReentrantReadWriteLock.ReadLock lock = swapLock.readLock();
        lock.lock();
        try
        {
            ensureOpen();
            final byte[] stored = data.get(key);
            if (null == stored)
            {
                return null;
            }
            return new Value((long)STORED_OFFSET.get(stored, 0), java.util.Arrays.copyOfRange(stored, Long.BYTES,
                stored.length));
        }
        finally
        {
            lock.unlock();
        }
    }

    /** The highest sequence applied for {@code clientId}, or -1 if none. Any thread. */
    public long lastSequence(final long clientId)
    {
        final long[] entry = dedupEntry(clientId);
        return null == entry ? -1 : entry[0];
    }

    /** The log offset of the record that carried {@link #lastSequence}, or -1 if none. Any thread. */
    public long offsetOfLastSequence(final long clientId)
    {
        final long[] entry = dedupEntry(clientId);
        return null == entry ? -1 : entry[1];
    }

    private long[] dedupEntry(final long clientId)
    {
        final ReentrantReadWriteLock.ReadLock lock = swapLock.readLock();
        lock.lock();
        try
        {
            ensureOpen();
            return dedup.get(clientId);
        }
        finally
        {
            lock.unlock();
        }
    }

    /** Next log offset to apply: last applied record offset + 1. Any thread. */
    public long appliedOffset()
    {
        return appliedOffset;
    }

    /** True if {@link #open} discarded or lacked the MapDB file and rebuilt the store. */
    public boolean rebuiltOnOpen()
    {
        return rebuiltOnOpen;
    }

    /** One line saying how the store was opened: reused, or rebuilt from what and why. */
    public String openReport()
    {
        return openReport;
    }

    public SnapshotStore snapshots()
    {
        return snapshots;
    }

    /**
     * Writes a snapshot of the store at its applied offset and applies retention. Runs on the apply
     * thread, which is what makes it consistent: no batch is applied while entries are exported, so
     * apply stalls for the whole export (2.6-4.5 s for ~930k 100-byte entries on the 2-core VM,
     * see STORE-NOTES.md). Reads from other threads continue meanwhile.
     */
    public SnapshotInfo takeSnapshot()
    {
        ensureOpen();
        final SnapshotInfo info;
        try (SnapshotWriter writer = snapshots.beginWrite(appliedOffset))
        {
            for (final Map.Entry<byte[], byte[]> entry : data.getEntries())
            {
                writer.putEntry(entry.getKey(), entry.getValue());
            }
            for (final Map.Entry<Long, long[]> entry : dedup.getEntries())
            {
                writer.putDedup(entry.getKey(), entry.getValue()[0], entry.getValue()[1]);
            }
            info = writer.commit();
            snapshots.published(info);
        }
        catch (final IOException ex)
        {
            throw new LogshipException("cannot write snapshot at offset " + appliedOffset + " into " +
                snapshots.directory() + ": " + ex, LogshipException.Category.ERROR, ex);
        }
        snapshots.retain();
        LOG.log(System.Logger.Level.INFO, "snapshot " + info.file() + ": " + info.entryCount() + " entries, " +
            info.dedupCount() + " clients, " + info.sizeBytes() + " bytes");
        return info;
    }

    /**
     * Replaces the whole store with a verified snapshot file inside this store's snapshot directory
     * (typically from {@link SnapshotReceiver#complete()}), setting the applied offset to the
     * snapshot's; the caller then applies the log from there. Snapshots newer than it are deleted,
     * since after a reset they may describe a history the log no longer has. Apply thread only;
     * readers block for the duration.
     *
     * @throws CorruptSnapshotException if the file does not verify (the store is then unchanged), or stops
     *                                  verifying while it loads (the store is then empty at offset 0).
     */
    public void installSnapshot(final Path snapshotFile)
    {
        ensureOpen();
        final SnapshotInfo info = SnapshotStore.verify(snapshotFile);
        if (!snapshotFile.toAbsolutePath().getParent().equals(snapshots.directory().toAbsolutePath()))
        {
            throw new IllegalArgumentException("snapshot " + snapshotFile + " is not in this store's snapshot directory " +
                snapshots.directory() + "; receive it with SnapshotStore.beginReceive() first");
        }
        snapshots.deleteNewerThan(info.appliedOffset());
        final ReentrantReadWriteLock.WriteLock lock = swapLock.writeLock();
        lock.lock();
        try
        {
            recreateEmpty();
            try
            {
                load(snapshotFile);
            }
            catch (final RuntimeException ex)
            {
                // Never leave a half-loaded store claiming an offset: back to empty at 0, to be rebuilt.
                recreateEmpty();
                throw ex;
            }
        }
        finally
        {
            lock.unlock();
        }
        snapshots.retain();
        LOG.log(System.Logger.Level.INFO, "installed snapshot " + snapshotFile + " at applied offset " + appliedOffset);
    }

    /**
     * Empties the store back to applied offset 0 and deletes every snapshot: the log it described is being
     * cut below everything it applied, and the log still starts at 0, so it is rebuilt by applying the log
     * again. Apply thread only; readers block for the duration.
     */
    public void resetToEmpty()
    {
        ensureOpen();
        snapshots.deleteNewerThan(-1);
        final ReentrantReadWriteLock.WriteLock lock = swapLock.writeLock();
        lock.lock();
        try
        {
            recreateEmpty();
        }
        finally
        {
            lock.unlock();
        }
        LOG.log(System.Logger.Level.INFO, "store reset to empty at applied offset 0");
    }

    /** A new, empty MapDB file at applied offset 0 in place of the current one; caller holds the swap lock. */
    private void recreateEmpty()
    {
        closeQuietly();
        deleteDbFiles();
        openDb();
        bindStructures();
        setAppliedOffset(0);
    }

    /**
     * Flushes and closes MapDB, then writes the clean-shutdown marker naming the applied offset, so
     * the next open reuses the file. In memory, only releases the memory: the next open rebuilds. Apply
     * thread; readers must be stopped first.
     */
    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        final ReentrantReadWriteLock.WriteLock lock = swapLock.writeLock();
        lock.lock();
        try
        {
            closed = true;
            if (Medium.MEMORY == medium)
            {
                db.close();
                db = null;
                return;
            }
            final long offset = appliedOffset;
            // Without transactions commit() is the sync of the mapped file; close() alone does not promise it.
            db.commit();
            db.close();
            db = null;
            FileSupport.fsyncDirectory(storeDirectory);
            FileSupport.writeTextDurably(storeDirectory.resolve(CLEAN_SHUTDOWN_MARKER), offset + "\n");
        }
        catch (final IOException ex)
        {
            throw new LogshipException("cannot write clean-shutdown marker in " + storeDirectory + ": " + ex,
                LogshipException.Category.ERROR, ex);
        }
        finally
        {
            lock.unlock();
        }
    }

    private void ensureOpen()
    {
        if (closed)
        {
            throw new LogshipException("store " + storeDirectory + " is closed", LogshipException.Category.ERROR);
        }
    }

    private void closeQuietly()
    {
        if (null != db)
        {
            try
            {
                db.close();
            }
            catch (final RuntimeException | AssertionError | IOError ex)
            {
                LOG.log(System.Logger.Level.WARNING, "closing discarded store file " + dbFile + " failed: " + ex);
            }
            db = null;
            data = null;
            dedup = null;
            appliedOffsetEntry = null;
        }
    }
}
