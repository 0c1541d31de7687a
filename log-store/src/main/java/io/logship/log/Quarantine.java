package io.logship.log;

import io.logship.format.BatchDescriptor;
import io.logship.format.RecordDescriptor;
import io.logship.format.RecordType;

import io.logship.LogshipException;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
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
 * <p>This class holds the public API, the layout constants and the file naming; the work is done by
 * {@link QuarantineSaver} (durable saving), {@link QuarantineWriter} (the bytes of a file) and
 * {@link QuarantineReader} (parsing and checking one).
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
     * {@code quarantineDir} (created if missing), durably. Call it right before
     * {@link SegmentedLog#truncateTo truncateTo(fromOffset)}, on the log's owner thread or on another while the
     * owner neither appends nor truncates (it only reads: {@link SegmentedLog#slice}, any thread); truncate only
     * if it returns.
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
            return QuarantineSaver.write(log, fromOffset, endOffset, quarantineDir, nodeId, newLeaderId,
                newLeaderEpoch, reasonBytes);
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
            return new QuarantineReader(file, channel);
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
    public interface Reader extends AutoCloseable
    {
        Path file();

        Header header();

        /**
         * The next record, or {@code null} after the last one, once the file has been checked to end
         * exactly where its header says.
         *
         * @throws CorruptLogException at the first damaged, missing or extra byte, naming the position
         *                             of the batch (or header) it belongs to. Records already returned
         *                             came from batches that passed their CRC32C.
         */
        Record next();

        /** Closes the file; a failure is a {@link LogshipException} (WARN). */
        @Override
        void close();
    }

    /** CRC32C of {@code bytes[0, length)}: the checksum that ends a header. */
    static int headerCrc(final byte[] bytes, final int length)
    {
        final CRC32C crc = new CRC32C();
        crc.update(bytes, 0, length);
        return (int)crc.getValue();
    }
}
