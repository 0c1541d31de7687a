package io.logship.log;

import io.logship.format.BatchDescriptor;
import io.logship.format.RecordDescriptor;
import io.logship.format.RecordType;
import io.logship.format.RecordCursor;

import io.logship.LogshipException;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;

/**
 * Keeps the suffix a rejoining node is about to cut from its log. When a follower (say a recovered
 * old leader) finds that its log diverges from the new leader's at offset T, the records in
 * {@code [T, logEnd)} may include writes acknowledged at the {@code leader} ack level that no other
 * node has: once {@link SegmentedLog#truncateTo} runs they are gone from the cluster. {@link #save}
 * copies them first into a file an operator can read ({@code logship quarantine show}) and re-apply by
 * hand. The caller truncates only if {@code save} returned; if it threw, losing the suffix silently
 * would be worse than not rejoining.
 *
 * <p>Files live in {@code <data dir>/}{@value #DIRECTORY_NAME}, one per cut, named
 * {@code quarantine-<UTC yyyyMMddTHHmmssSSS>Z-<fromOffset>-<endOffset>.qlog}, so a listing sorts by
 * creation time. A name already taken gets the next free millisecond (the header keeps the true
 * time). A file appears under that name only once complete and forced to disk (written as
 * {@code <name>.tmp}, fsync'd, renamed, directory fsync'd); a {@code .tmp} left by a crash is
 * deleted by the next save (the suffix it was copying was never cut, since save never returned).
 *
 * <p>Layout, all fields little-endian like {@link BatchDescriptor}:
 *
 * <pre>
 *  byte  size  field
 *     0     4  magic 0x4651534C: the bytes "LSQF"
 *     4     2  format version, 1
 *     6     2  flags; bit 0: the offset asked for was inside a batch, so the file starts at that
 *              batch's base offset (below the requested offset)
 *     8     4  header length H in bytes (72 + N), CRC included
 *    12     4  node id: the node that cut its log
 *    16     4  new leader id: the leader whose log it reconciled with
 *    20     4  new leader epoch
 *    24     8  requested offset: the fromOffset given to save
 *    32     8  from offset: base offset of the first batch (= requested offset at a batch boundary)
 *    40     8  end offset: the log end when saved (exclusive); records = end offset - from offset
 *    48     8  batch bytes B: total length of the batches after the header
 *    56     8  created at, epoch milliseconds
 *    64     4  reason length N (at most {@value #MAX_REASON_BYTES})
 *    68     N  reason, UTF-8
 *  68+N     4  CRC32C of bytes [0, 68+N)
 *     H     B  the batches [from offset, end offset), byte for byte as they were in the log, each
 *              with its own CRC32C (see {@link BatchDescriptor} and {@link RecordDescriptor})
 * </pre>
 *
 * The file is exactly {@code H + B} bytes. {@link #read} checks the header CRC, every batch's CRC,
 * that offsets run densely from the from offset to the end offset and that nothing is missing or
 * left over; any failure is a {@link CorruptLogException} naming the file and the byte position of
 * the damaged header or batch. Records of batches before the damage are still returned, so an
 * operator loses only what is actually damaged.
 *
 * <p>Thread-safe: saves are serialised (choosing a free name and removing stale temp files must not
 * race); a {@link Reader} belongs to one thread.
 */
public final class Quarantine
{
    /** Name of the quarantine directory inside a node's data directory. */
    public static final String DIRECTORY_NAME = "quarantine";

    public static final String FILE_PREFIX = "quarantine-";
    public static final String FILE_SUFFIX = ".qlog";

    /** The bytes "LSQF" read as a little-endian int32. */
    public static final int MAGIC = 0x4651534C;
    public static final short FORMAT_VERSION = 1;

    /** Flag bit: the requested offset was inside a batch; the file starts at that batch. */
    public static final short FLAG_REQUESTED_INSIDE_BATCH = 1;

    /** Bounds the header, so a corrupt length cannot make a reader allocate gigabytes. */
    public static final int MAX_REASON_BYTES = 64 * 1024;

    static final ByteOrder BYTE_ORDER = BatchDescriptor.BYTE_ORDER;
    static final int MAGIC_OFFSET = 0;
    static final int VERSION_OFFSET = MAGIC_OFFSET + Integer.BYTES;
    static final int FLAGS_OFFSET = VERSION_OFFSET + Short.BYTES;
    static final int HEADER_LENGTH_OFFSET = FLAGS_OFFSET + Short.BYTES;
    static final int NODE_ID_OFFSET = HEADER_LENGTH_OFFSET + Integer.BYTES;
    static final int NEW_LEADER_ID_OFFSET = NODE_ID_OFFSET + Integer.BYTES;
    static final int NEW_LEADER_EPOCH_OFFSET = NEW_LEADER_ID_OFFSET + Integer.BYTES;
    static final int REQUESTED_OFFSET_OFFSET = NEW_LEADER_EPOCH_OFFSET + Integer.BYTES;
    static final int FROM_OFFSET_OFFSET = REQUESTED_OFFSET_OFFSET + Long.BYTES;
    static final int END_OFFSET_OFFSET = FROM_OFFSET_OFFSET + Long.BYTES;
    static final int BATCH_BYTES_OFFSET = END_OFFSET_OFFSET + Long.BYTES;
    static final int CREATED_AT_OFFSET = BATCH_BYTES_OFFSET + Long.BYTES;
    static final int REASON_LENGTH_OFFSET = CREATED_AT_OFFSET + Long.BYTES;
    static final int REASON_OFFSET = REASON_LENGTH_OFFSET + Integer.BYTES;
    /** Header length without the reason: the fixed fields and the trailing CRC. */
    static final int FIXED_HEADER_LENGTH = REASON_OFFSET + Integer.BYTES;

    /** Copy chunk: large enough for few system calls, small enough that a 1 M-record suffix streams. */
    static final int COPY_CHUNK_BYTES = 1024 * 1024;

    static final String TEMP_SUFFIX = ".tmp";

    private static final DateTimeFormatter NAME_TIME =
        DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmssSSS").withZone(ZoneOffset.UTC);
    private static final Pattern NAME = Pattern.compile(
        Pattern.quote(FILE_PREFIX) + "(\\d{8}T\\d{9})Z-(\\d+)-(\\d+)" + Pattern.quote(FILE_SUFFIX));
    private static final Object SAVE_LOCK = new Object();

    private Quarantine()
    {
    }

    /**
     * What a quarantine file says about itself.
     *
     * @param requestedOffset the offset {@link #save} was asked to start at.
     * @param fromOffset      base offset of the first batch in the file; below {@code requestedOffset}
     *                        when that was inside a batch.
     * @param endOffset       the log end at save time (exclusive).
     * @param batchBytes      bytes of batches after the header.
     * @param headerLength    bytes of the header, where the first batch starts.
     */
    public record Header(
        int formatVersion,
        int nodeId,
        int newLeaderId,
        int newLeaderEpoch,
        long requestedOffset,
        long fromOffset,
        long endOffset,
        long batchBytes,
        long createdAtMillis,
        String reason,
        int headerLength)
    {
        /** Records in the file: offsets are dense. */
        public long recordCount()
        {
            return endOffset - fromOffset;
        }

        /** Whether the requested offset was inside a batch, so the file starts below it. */
        public boolean requestedInsideBatch()
        {
            return requestedOffset != fromOffset;
        }
    }

    /**
     * One quarantined record. {@code key} and {@code value} are fresh arrays (empty for DELETE and
     * NOOP values); {@code clientId} and {@code sequence} are 0 unless {@code idempotent}.
     *
     * @param epoch            leader epoch of the batch that carried it.
     * @param batchTimestampMs the batch's first timestamp (epoch ms): records carry none of their own.
     */
    public record Record(
        long offset,
        int epoch,
        long batchTimestampMs,
        RecordType type,
        byte[] key,
        byte[] value,
        boolean idempotent,
        long clientId,
        long sequence)
    {
    }

    /**
     * Copies the whole batches from the one holding {@code fromOffset} to the log end into a new file in
     * {@code quarantineDir} (created if missing), durably. Call it on the log's owner thread, right
     * before {@link SegmentedLog#truncateTo truncateTo(fromOffset)}; truncate only if it returns.
     * Streams in chunks of about {@value #COPY_CHUNK_BYTES} bytes (one batch at least), so the suffix
     * is never held in memory at once.
     *
     * @return the file written, or {@code null} if {@code fromOffset >= log.logEndOffset()} (nothing
     * to keep; no file is written).
     * @throws OffsetOutOfRangeException if {@code fromOffset} is below the log start (nothing written).
     * @throws LogshipException          (ERROR) if anything fails (disk full, I/O error, a corrupt batch
     *                                   in the log), naming the file; no file, not even a partial one,
     *                                   is left behind.
     * @throws IllegalArgumentException  if {@code reason} is longer than {@value #MAX_REASON_BYTES} UTF-8 bytes.
     */
    public static Path save(
        final SegmentedLog log,
        final long fromOffset,
        final Path quarantineDir,
        final int nodeId,
        final int newLeaderId,
        final int newLeaderEpoch,
        final String reason)
    {
        Objects.requireNonNull(log, "log");
        Objects.requireNonNull(quarantineDir, "quarantineDir");
        Objects.requireNonNull(reason, "reason");
        final byte[] reasonBytes = reason.getBytes(StandardCharsets.UTF_8);
        if (reasonBytes.length > MAX_REASON_BYTES)
        {
            throw new IllegalArgumentException("quarantine reason of " + reasonBytes.length + " UTF-8 bytes exceeds " +
                MAX_REASON_BYTES);
        }
        final long endOffset = log.logEndOffset();
        if (fromOffset >= endOffset)
        {
            return null;
        }
        if (fromOffset < log.logStartOffset())
        {
            throw new OffsetOutOfRangeException(fromOffset, log.logStartOffset(), endOffset);
        }
        synchronized (SAVE_LOCK)
        {
            return write(log, fromOffset, endOffset, quarantineDir, nodeId, newLeaderId, newLeaderEpoch, reasonBytes);
        }
    }

    private static Path write(
        final SegmentedLog log,
        final long requestedOffset,
        final long endOffset,
        final Path quarantineDir,
        final int nodeId,
        final int newLeaderId,
        final int newLeaderEpoch,
        final byte[] reason)
    {
        final long createdAtMillis = System.currentTimeMillis();
        final int headerLength = FIXED_HEADER_LENGTH + reason.length;
        Path target = null;
        Path temp = null;
        boolean renamed = false;
        try
        {
            final long fromOffset = log.slice(requestedOffset, 1).firstBatchOffset();
            createDirectoryDurably(quarantineDir);
            removeStaleTempFiles(quarantineDir);
            target = freeName(quarantineDir, createdAtMillis, fromOffset, endOffset);
            temp = target.resolveSibling(target.getFileName() + TEMP_SUFFIX);
            final long batchBytes;
            try (FileChannel channel = FileChannel.open(temp,
                StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING))
            {
                batchBytes = copyBatches(log, fromOffset, endOffset, channel, headerLength);
                final Header header = new Header(FORMAT_VERSION, nodeId, newLeaderId, newLeaderEpoch, requestedOffset,
                    fromOffset, endOffset, batchBytes, createdAtMillis, new String(reason, StandardCharsets.UTF_8),
                    headerLength);
                writeFully(channel, encodeHeader(header, reason), 0);
                DurableFiles.force(channel, temp, channel.size(), true);
            }
            DurableFiles.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
            renamed = true;
            AtomicFile.fsyncDirectory(quarantineDir);
            return target;
        }
        catch (final IOException | RuntimeException ex)
        {
            final String leftover = discard(renamed ? target : temp);
            final String cause = ex instanceof AtomicMoveNotSupportedException ?
                "the file system cannot rename atomically (" + ex + ")" : ex.toString();
            throw new LogshipException("cannot quarantine offsets [" + requestedOffset + ", " + endOffset +
                ") of log " + log.directory() + " into " + (null == target ? quarantineDir : target) + ": " + cause +
                leftover + "; the suffix was not saved, so the log must not be truncated",
                LogshipException.Category.ERROR, ex);
        }
    }

    /** Appends the batches [fromOffset, endOffset) to {@code channel} from {@code position}; returns their bytes. */
    private static long copyBatches(
        final SegmentedLog log,
        final long fromOffset,
        final long endOffset,
        final FileChannel channel,
        final long position) throws IOException
    {
        ByteBuffer chunk = ByteBuffer.allocate(COPY_CHUNK_BYTES);
        final UnsafeBuffer view = new UnsafeBuffer(chunk.array());
        long next = fromOffset;
        long written = 0;
        while (next < endOffset)
        {
            // read() refuses a buffer smaller than the first batch; a batch can be up to 16 MiB.
            final int firstLength = log.slice(next, chunk.capacity()).lengthBytes();
            if (firstLength > chunk.capacity())
            {
                chunk = ByteBuffer.allocate(firstLength);
                view.wrap(chunk.array());
            }
            chunk.clear();
            final int read = log.read(next, chunk.capacity(), chunk);
            if (0 == read)
            {
                throw new IOException("the log ended at offset " + next + ", before the end offset " + endOffset +
                    " it had when the save began");
            }
            // The owner thread saves, so nothing is appended meanwhile; stop at endOffset regardless.
            int keep = 0;
            while (keep < read && BatchDescriptor.baseOffset(view, keep) < endOffset)
            {
                next = BatchDescriptor.nextOffset(view, keep);
                keep += BatchDescriptor.length(view, keep);
            }
            chunk.flip().limit(keep);
            writeFully(channel, chunk, position + written);
            written += keep;
        }
        if (next != endOffset)
        {
            throw new IOException("the last batch copied ends at offset " + next + ", not at the log end " + endOffset);
        }
        return written;
    }

    static ByteBuffer encodeHeader(final Header header, final byte[] reason)
    {
        final ByteBuffer buffer = ByteBuffer.allocate(header.headerLength()).order(BYTE_ORDER);
        buffer.putInt(MAGIC_OFFSET, MAGIC)
            .putShort(VERSION_OFFSET, (short)header.formatVersion())
            .putShort(FLAGS_OFFSET, header.requestedInsideBatch() ? FLAG_REQUESTED_INSIDE_BATCH : 0)
            .putInt(HEADER_LENGTH_OFFSET, header.headerLength())
            .putInt(NODE_ID_OFFSET, header.nodeId())
            .putInt(NEW_LEADER_ID_OFFSET, header.newLeaderId())
            .putInt(NEW_LEADER_EPOCH_OFFSET, header.newLeaderEpoch())
            .putLong(REQUESTED_OFFSET_OFFSET, header.requestedOffset())
            .putLong(FROM_OFFSET_OFFSET, header.fromOffset())
            .putLong(END_OFFSET_OFFSET, header.endOffset())
            .putLong(BATCH_BYTES_OFFSET, header.batchBytes())
            .putLong(CREATED_AT_OFFSET, header.createdAtMillis())
            .putInt(REASON_LENGTH_OFFSET, reason.length)
            .put(REASON_OFFSET, reason);
        final int crcAt = header.headerLength() - Integer.BYTES;
        buffer.putInt(crcAt, crc(buffer.array(), crcAt));
        return buffer;
    }

    private static int crc(final byte[] bytes, final int length)
    {
        final CRC32C crc = new CRC32C();
        crc.update(bytes, 0, length);
        return (int)crc.getValue();
    }

    private static void writeFully(final FileChannel channel, final ByteBuffer buffer, final long position)
        throws IOException
    {
        long at = position;
        while (buffer.hasRemaining())
        {
            at += channel.write(buffer, at);
        }
    }

    /** Creates {@code directory} and any missing parents, fsyncing each parent so the new entries survive a crash. */
    private static void createDirectoryDurably(final Path directory) throws IOException
    {
        final Deque<Path> missing = new ArrayDeque<>();
        for (Path dir = directory.toAbsolutePath(); null != dir && !Files.isDirectory(dir); dir = dir.getParent())
        {
            missing.push(dir);
        }
        if (missing.isEmpty())
        {
            return;
        }
        Files.createDirectories(directory);
        for (final Path created : missing)
        {
            AtomicFile.fsyncDirectory(created.getParent());
        }
    }

    private static void removeStaleTempFiles(final Path directory) throws IOException
    {
        try (DirectoryStream<Path> stream =
            Files.newDirectoryStream(directory, FILE_PREFIX + "*" + FILE_SUFFIX + TEMP_SUFFIX))
        {
            for (final Path stale : stream)
            {
                DurableFiles.deleteIfExists(stale);
            }
        }
    }

    /** The name for a file created at {@code createdAtMillis}, or the next free millisecond's if taken. */
    static Path freeName(final Path directory, final long createdAtMillis, final long from, final long end)
    {
        long millis = createdAtMillis;
        while (true)
        {
            final Path candidate = directory.resolve(
                FILE_PREFIX + NAME_TIME.format(Instant.ofEpochMilli(millis)) + "Z-" + from + "-" + end + FILE_SUFFIX);
            if (!Files.exists(candidate))
            {
                return candidate;
            }
            millis++;
        }
    }

    /** Deletes what a failed save left; returns "" or a note that the file could not be removed. */
    private static String discard(final Path file)
    {
        if (null == file)
        {
            return "";
        }
        try
        {
            DurableFiles.deleteIfExists(file);
            return "";
        }
        catch (final IOException ex)
        {
            return "; could not remove the incomplete " + file + " either (" + ex + "): delete it by hand";
        }
    }

    /**
     * The quarantine files in {@code quarantineDir}, oldest first (by the creation time in their names).
     * Temp files of saves in progress or interrupted, and files not named like quarantine files, are
     * left out. An absent directory has none.
     *
     * @throws LogshipException if the directory cannot be listed.
     */
    public static List<Path> list(final Path quarantineDir)
    {
        if (!Files.exists(quarantineDir))
        {
            return List.of();
        }
        final List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(quarantineDir, FILE_PREFIX + "*" + FILE_SUFFIX))
        {
            for (final Path path : stream)
            {
                if (NAME.matcher(path.getFileName().toString()).matches() && Files.isRegularFile(path))
                {
                    files.add(path);
                }
            }
        }
        catch (final IOException ex)
        {
            throw new LogshipException("cannot list quarantine directory " + quarantineDir + ": " + ex,
                LogshipException.Category.ERROR, ex);
        }
        files.sort(Comparator.comparing((Path p) -> nameField(p, 1))
            .thenComparing((Path p) -> nameField(p, 2), Quarantine::compareDigits)
            .thenComparing((Path p) -> nameField(p, 3), Quarantine::compareDigits));
        return files;
    }

    private static String nameField(final Path file, final int group)
    {
        final Matcher matcher = NAME.matcher(file.getFileName().toString());
        return matcher.matches() ? matcher.group(group) : "";
    }

    /** Numeric order of unsigned decimal strings without parsing them (a name could hold any digits). */
    private static int compareDigits(final String a, final String b)
    {
        final String x = a.replaceFirst("^0+(?=.)", "");
        final String y = b.replaceFirst("^0+(?=.)", "");
        return x.length() != y.length() ? Integer.compare(x.length(), y.length()) : x.compareTo(y);
    }

    /**
     * Opens a quarantine file and checks its header; the records then come from {@link Reader#next()},
     * one batch in memory at a time, each batch checked before any of its records is returned.
     *
     * @throws CorruptLogException if the header is damaged, truncated or not a quarantine header,
     *                             naming the file and byte position.
     * @throws LogshipException    (ERROR) if the file cannot be opened or read.
     */
    public static Reader read(final Path file)
    {
        final FileChannel channel;
        try
        {
            channel = FileChannel.open(file, StandardOpenOption.READ);
        }
        catch (final NoSuchFileException ex)
        {
            throw new LogshipException("no quarantine file " + file, LogshipException.Category.ERROR, ex);
        }
        catch (final IOException ex)
        {
            throw new LogshipException("cannot open quarantine file " + file + ": " + ex,
                LogshipException.Category.ERROR, ex);
        }
        try
        {
            return new Reader(file, channel);
        }
        catch (final RuntimeException ex)
        {
            try
            {
                channel.close();
            }
            catch (final IOException closeFailure)
            {
                ex.addSuppressed(closeFailure);
            }
            throw ex;
        }
    }

    /**
     * Reads one quarantine file: {@link #header()}, then {@link #next()} until it returns null. Not
     * thread-safe.
     */
    public static final class Reader implements AutoCloseable
    {
        private final Path file;
        private final FileChannel channel;
        private final long fileSize;
        private final Header header;
        private final long batchesEnd;
        private final RecordCursor cursor = new RecordCursor();
        private final UnsafeBuffer view;
        private ByteBuffer batch = ByteBuffer.allocate(64 * 1024);
        private long position;
        private long batchPosition;
        private long expectedOffset;
        private boolean inBatch;
        private boolean finished;
        private int batchEpoch;
        private long batchTimestampMs;

        private Reader(final Path file, final FileChannel channel)
        {
            this.file = file;
            this.channel = channel;
            this.view = new UnsafeBuffer(batch.array());
            try
            {
                this.fileSize = channel.size();
            }
            catch (final IOException ex)
            {
                throw new LogshipException("cannot read quarantine file " + file + ": " + ex,
                    LogshipException.Category.ERROR, ex);
            }
            this.header = readHeader();
            this.batchesEnd = header.headerLength() + header.batchBytes();
            this.position = header.headerLength();
            this.expectedOffset = header.fromOffset();
        }

        public Path file()
        {
            return file;
        }

        public Header header()
        {
            return header;
        }

        /**
         * The next record, or {@code null} after the last one, once the file has been checked to end
         * exactly where its header says.
         *
         * @throws CorruptLogException at the first damaged, missing or extra byte, naming the position
         *                             of the batch (or header) it belongs to. Records already returned
         *                             came from batches that passed their CRC32C.
         */
        public Record next()
        {
            while (true)
            {
                if (inBatch)
                {
                    final boolean more;
                    try
                    {
                        more = cursor.next();
                    }
                    catch (final LogshipException ex)
                    {
                        // A batch whose CRC passed but whose records do not add up: a writer bug, still named.
                        throw corrupt(batchPosition, ex.getMessage());
                    }
                    if (more)
                    {
                        return new Record(cursor.offset(), batchEpoch, batchTimestampMs, cursor.type(),
                            cursor.keyBytes(), cursor.valueBytes(), cursor.idempotent(), cursor.clientId(),
                            cursor.sequence());
                    }
                    inBatch = false;
                }
                if (finished || !loadBatch())
                {
                    finished = true;
                    return null;
                }
            }
        }

        @Override
        public void close()
        {
            try
            {
                channel.close();
            }
            catch (final IOException ex)
            {
                throw new LogshipException("cannot close quarantine file " + file + ": " + ex,
                    LogshipException.Category.WARN, ex);
            }
        }

        private Header readHeader()
        {
            if (fileSize < FIXED_HEADER_LENGTH)
            {
                throw corrupt(0, "the file is " + fileSize + " bytes, shorter than the smallest header (" +
                    FIXED_HEADER_LENGTH + " bytes): truncated, or not a quarantine file");
            }
            final ByteBuffer fixed = ByteBuffer.allocate(REASON_OFFSET).order(BYTE_ORDER);
            readFully(fixed, 0);
            final int magic = fixed.getInt(MAGIC_OFFSET);
            if (magic != MAGIC)
            {
                throw corrupt(MAGIC_OFFSET, String.format("magic 0x%08x, expected 0x%08x (\"LSQF\"): not a " +
                    "quarantine file, or its header is damaged", magic, MAGIC));
            }
            final int version = fixed.getShort(VERSION_OFFSET);
            if (version != FORMAT_VERSION)
            {
                throw corrupt(VERSION_OFFSET, "format version " + version + "; this build reads version " +
                    FORMAT_VERSION);
            }
            final int reasonLength = fixed.getInt(REASON_LENGTH_OFFSET);
            if (reasonLength < 0 || reasonLength > MAX_REASON_BYTES)
            {
                throw corrupt(REASON_LENGTH_OFFSET, "reason length " + reasonLength + " outside [0, " +
                    MAX_REASON_BYTES + "]");
            }
            final int headerLength = fixed.getInt(HEADER_LENGTH_OFFSET);
            if (headerLength != FIXED_HEADER_LENGTH + reasonLength)
            {
                throw corrupt(HEADER_LENGTH_OFFSET, "header length " + headerLength + ", but a reason of " +
                    reasonLength + " bytes makes it " + (FIXED_HEADER_LENGTH + reasonLength));
            }
            if (fileSize < headerLength)
            {
                throw corrupt(0, "the file is " + fileSize + " bytes, shorter than its " + headerLength +
                    "-byte header: truncated");
            }
            final ByteBuffer whole = ByteBuffer.allocate(headerLength).order(BYTE_ORDER);
            readFully(whole, 0);
            final int crcAt = headerLength - Integer.BYTES;
            final int stored = whole.getInt(crcAt);
            final int computed = crc(whole.array(), crcAt);
            if (stored != computed)
            {
                throw corrupt(0, "header (bytes [0, " + headerLength + ")) fails its CRC32C: stored 0x" +
                    Integer.toHexString(stored) + " at byte " + crcAt + ", computed 0x" +
                    Integer.toHexString(computed));
            }
            final Header read = new Header(version, whole.getInt(NODE_ID_OFFSET), whole.getInt(NEW_LEADER_ID_OFFSET),
                whole.getInt(NEW_LEADER_EPOCH_OFFSET), whole.getLong(REQUESTED_OFFSET_OFFSET),
                whole.getLong(FROM_OFFSET_OFFSET), whole.getLong(END_OFFSET_OFFSET), whole.getLong(BATCH_BYTES_OFFSET),
                whole.getLong(CREATED_AT_OFFSET),
                new String(whole.array(), REASON_OFFSET, reasonLength, StandardCharsets.UTF_8), headerLength);
            // The CRC passed, so these can only be wrong if the writer was: still refuse to guess.
            final boolean flagged = (whole.getShort(FLAGS_OFFSET) & FLAG_REQUESTED_INSIDE_BATCH) != 0;
            if (read.fromOffset() < 0 || read.requestedOffset() < read.fromOffset() ||
                read.requestedOffset() >= read.endOffset() || flagged != read.requestedInsideBatch() ||
                read.batchBytes() < BatchDescriptor.HEADER_LENGTH || read.batchBytes() > Long.MAX_VALUE - headerLength)
            {
                throw corrupt(0, "inconsistent header: requested offset " + read.requestedOffset() + ", from offset " +
                    read.fromOffset() + ", end offset " + read.endOffset() + ", inside-batch flag " + flagged +
                    ", batch bytes " + read.batchBytes());
            }
            return read;
        }

        /** Loads and checks the next batch; false at the end of the file, once checked to be the end. */
        private boolean loadBatch()
        {
            if (position == batchesEnd)
            {
                if (expectedOffset != header.endOffset())
                {
                    throw corrupt(position, "the batches end at offset " + expectedOffset + " but the header's end " +
                        "offset is " + header.endOffset());
                }
                if (fileSize > batchesEnd)
                {
                    throw corrupt(batchesEnd, (fileSize - batchesEnd) + " bytes after the last batch, where the " +
                        "header says the file ends");
                }
                return false;
            }
            final long available = Math.min(fileSize, batchesEnd) - position;
            if (available < BatchDescriptor.HEADER_LENGTH)
            {
                throw corrupt(position, fileSize < batchesEnd ? truncated() :
                    "only " + available + " bytes left for a batch, less than a batch header");
            }
            readBatch(BatchDescriptor.HEADER_LENGTH);
            final int length = BatchDescriptor.length(view, 0);
            if (length < BatchDescriptor.HEADER_LENGTH || length > BatchDescriptor.MAX_BATCH_LENGTH)
            {
                throw corrupt(position, "batch length " + length + " outside [" + BatchDescriptor.HEADER_LENGTH + ", " +
                    BatchDescriptor.MAX_BATCH_LENGTH + "]");
            }
            if (length > available)
            {
                throw corrupt(position, position + length > fileSize && fileSize < batchesEnd ? truncated() :
                    "batch length " + length + " runs past the end of the batches at byte " + batchesEnd);
            }
            readBatch(length);
            final String problem = BatchDescriptor.validate(view, 0, length);
            if (null != problem)
            {
                throw corrupt(position, "batch: " + problem);
            }
            final long base = BatchDescriptor.baseOffset(view, 0);
            if (base != expectedOffset)
            {
                throw corrupt(position, "batch base offset " + base + ", expected " + expectedOffset +
                    " (offsets run densely from " + header.fromOffset() + ")");
            }
            final long nextOffset = BatchDescriptor.nextOffset(view, 0);
            if (nextOffset > header.endOffset())
            {
                throw corrupt(position, "batch ends at offset " + nextOffset + ", past the header's end offset " +
                    header.endOffset());
            }
            batchPosition = position;
            position += length;
            expectedOffset = nextOffset;
            batchEpoch = BatchDescriptor.epoch(view, 0);
            batchTimestampMs = BatchDescriptor.firstTimestamp(view, 0);
            cursor.wrap(view, 0);
            inBatch = true;
            return true;
        }

        private String truncated()
        {
            return "the file ends at byte " + fileSize + " but its header says the batches run to byte " +
                batchesEnd + ": the file is truncated";
        }

        /** Reads {@code length} bytes of the batch at {@link #position} into {@link #batch} and views them. */
        private void readBatch(final int length)
        {
            if (batch.capacity() < length)
            {
                batch = ByteBuffer.allocate(
                    Math.max(length, Math.min(2 * batch.capacity(), BatchDescriptor.MAX_BATCH_LENGTH)));
            }
            batch.clear().limit(length);
            readFully(batch, position);
            view.wrap(batch.array(), 0, length);
        }

        private void readFully(final ByteBuffer buffer, final long from)
        {
            long at = from;
            try
            {
                while (buffer.hasRemaining())
                {
                    final int read = channel.read(buffer, at);
                    if (read < 0)
                    {
                        throw corrupt(at, "unexpected end of file (the file shrank while being read?)");
                    }
                    at += read;
                }
            }
            catch (final IOException ex)
            {
                throw new LogshipException("cannot read quarantine file " + file + " at byte position " + at + ": " +
                    ex, LogshipException.Category.ERROR, ex);
            }
        }

        private CorruptLogException corrupt(final long at, final String detail)
        {
            return new CorruptLogException(file, at, detail);
        }
    }
}
