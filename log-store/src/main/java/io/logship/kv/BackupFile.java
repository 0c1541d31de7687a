package io.logship.kv;

import io.logship.LogshipException;
import io.logship.log.DurableFiles;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * The file {@code logship snapshot save} writes and {@code snapshot restore} reads: one store snapshot (in
 * {@link SnapshotDescriptor}'s format, unchanged) wrapped with what a restore needs to know and checksums over
 * everything. Little-endian, like the snapshot it carries.
 *
 * <pre>
 *  header, HEADER_LENGTH (72) bytes
 *    0  Magic (int64, ASCII "LGSHBKUP")
 *    8  Format Version (int32, 1)          12  Header Length (int32, 72)
 *   16  Snapshot Offset (int64): the store covers records [0, offset); a restored log starts here
 *   24  Epoch (int32): the saving node's epoch  28  Node Id (int32): the node that took the snapshot
 *   32  Key Count (int64)                  40  De-duplication Entry Count (int64)
 *   48  Created (int64, epoch ms)          56  Snapshot Length (int64, bytes of the body)
 *   64  Reserved (int32, 0)                68  Header CRC32C of bytes [0, 68)
 *  body: the store snapshot file, Snapshot Length bytes (its own header, trailer and CRCs inside)
 *  trailer, TRAILER_LENGTH (16) bytes
 *    0  Body CRC32C (int32)    4  Reserved (int32, 0)    8  End Magic (int64, ASCII "BKUPEND.")
 * </pre>
 *
 * Why a wrapper and not the snapshot file alone: the snapshot names only its applied offset, while a restore
 * must also seed the epoch, and an operator wants to see where a file came from before trusting it. One CRC
 * over the whole body (the header has its own) is enough: a file is checked as a whole before anything is
 * restored from it, and any truncation, flipped byte or foreign file fails one of the length, magic or CRC
 * checks. {@link #verify} also checks the embedded snapshot's header
 * against this one; {@link #extractSnapshot} checks every entry with the snapshot's own CRCs before a node may use it. Stateless; all methods are safe from any thread.
 */
public final class BackupFile
{
    public static final ByteOrder BYTE_ORDER = ByteOrder.LITTLE_ENDIAN;
    /** "LGSHBKUP" read as a little-endian int64. */
    public static final long MAGIC = ascii("LGSHBKUP");
    /** "BKUPEND." read as a little-endian int64. */
    public static final long END_MAGIC = ascii("BKUPEND.");
    public static final int VERSION = 1;

    static final int MAGIC_OFFSET = 0;
    static final int VERSION_OFFSET = 8;
    static final int HEADER_LENGTH_OFFSET = 12;
    static final int SNAPSHOT_OFFSET_OFFSET = 16;
    static final int EPOCH_OFFSET = 24;
    static final int NODE_ID_OFFSET = 28;
    static final int KEY_COUNT_OFFSET = 32;
    static final int DEDUP_COUNT_OFFSET = 40;
    static final int CREATED_OFFSET = 48;
    static final int SNAPSHOT_LENGTH_OFFSET = 56;
    static final int RESERVED_OFFSET = 64;
    static final int HEADER_CRC_OFFSET = 68;
    public static final int HEADER_LENGTH = 72;

    static final int TRAILER_BODY_CRC_OFFSET = 0;
    static final int TRAILER_RESERVED_OFFSET = 4;
    static final int TRAILER_END_MAGIC_OFFSET = 8;
    public static final int TRAILER_LENGTH = 16;

    /** Suffix of the file being written; renamed to the target name only once complete and fsync'd. */
    public static final String TEMP_SUFFIX = ".tmp";

    private static final int COPY_BYTES = 1024 * 1024;

    private BackupFile()
    {
    }

    private static long ascii(final String eight)
    {
        return ByteBuffer.wrap(eight.getBytes(StandardCharsets.US_ASCII)).order(BYTE_ORDER).getLong();
    }

    /**
     * Writes {@code target} from a received store snapshot file: verifies {@code snapshotFile} in full, writes
     * {@code target + ".tmp"} (header, the snapshot, trailer), fsyncs it and renames it to {@code target}. On any
     * failure the temp file is deleted and {@code target} is not created.
     *
     * @throws CorruptSnapshotException if {@code snapshotFile} does not verify.
     */
    public static BackupInfo write(final Path target, final Path snapshotFile, final int epoch, final int nodeId,
        final long createdMs)
    {
        final SnapshotInfo snapshot = SnapshotParser.verify(snapshotFile);
        final Path temp = target.resolveSibling(target.getFileName() + TEMP_SUFFIX);
        boolean done = false;
        try (FileChannel out = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING);
            FileChannel in = FileChannel.open(snapshotFile, StandardOpenOption.READ))
        {
            final long snapshotBytes = in.size();
            final ByteBuffer header = ByteBuffer.allocate(HEADER_LENGTH).order(BYTE_ORDER);
            header.putLong(MAGIC_OFFSET, MAGIC).putInt(VERSION_OFFSET, VERSION).putInt(HEADER_LENGTH_OFFSET, HEADER_LENGTH)
                .putLong(SNAPSHOT_OFFSET_OFFSET, snapshot.appliedOffset()).putInt(EPOCH_OFFSET, epoch)
                .putInt(NODE_ID_OFFSET, nodeId).putLong(KEY_COUNT_OFFSET, snapshot.entryCount())
                .putLong(DEDUP_COUNT_OFFSET, snapshot.dedupCount()).putLong(CREATED_OFFSET, createdMs)
                .putLong(SNAPSHOT_LENGTH_OFFSET, snapshotBytes).putInt(RESERVED_OFFSET, 0);
            header.putInt(HEADER_CRC_OFFSET, crc(header, HEADER_CRC_OFFSET));
            writeFully(out, header);

            final CRC32C bodyCrc = new CRC32C();
            final ByteBuffer buffer = ByteBuffer.allocateDirect(COPY_BYTES);
            long position = 0;
            while (position < snapshotBytes)
            {
                buffer.clear();
                final int read = in.read(buffer, position);
                if (read < 0)
                {
                    throw new IOException(snapshotFile + " ended at byte " + position + ", expected " + snapshotBytes);
                }
                buffer.flip();
                bodyCrc.update(buffer.duplicate());
                writeFully(out, buffer);
                position += read;
            }
            final ByteBuffer trailer = ByteBuffer.allocate(TRAILER_LENGTH).order(BYTE_ORDER);
            trailer.putInt(TRAILER_BODY_CRC_OFFSET, (int)bodyCrc.getValue()).putInt(TRAILER_RESERVED_OFFSET, 0)
                .putLong(TRAILER_END_MAGIC_OFFSET, END_MAGIC);
            writeFully(out, trailer);
            final long sizeBytes = out.size();
            DurableFiles.force(out, temp, sizeBytes, true);
            out.close();
            FileSupport.renameDurably(temp, target.toAbsolutePath());
            done = true;
            return new BackupInfo(target, snapshot.appliedOffset(), epoch, nodeId, snapshot.entryCount(),
                snapshot.dedupCount(), createdMs, snapshotBytes, sizeBytes, bodyCrc.getValue());
        }
        catch (final IOException ex)
        {
            throw new LogshipException("cannot write backup " + target + ": " + ex, LogshipException.Category.ERROR, ex);
        }
        finally
        {
            if (!done)
            {
                deleteQuietly(temp);
            }
        }
    }

    /**
     * Reads {@code file} in full and checks header, lengths, trailer and body CRC, then the embedded snapshot's own
     * header and its agreement with this header. Reads nothing else and writes nothing.
     *
     * @throws CorruptSnapshotException naming the file, the check that failed, the value found and what was expected.
     */
    public static BackupInfo verify(final Path file)
    {
        try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ))
        {
            final long sizeBytes = in.size();
            if (sizeBytes < HEADER_LENGTH + TRAILER_LENGTH)
            {
                throw new CorruptSnapshotException(file, "file length " + sizeBytes + " bytes, a backup has at least " +
                    (HEADER_LENGTH + TRAILER_LENGTH) + " (truncated, or not a logship backup)");
            }
            final ByteBuffer header = ByteBuffer.allocate(HEADER_LENGTH).order(BYTE_ORDER);
            readFully(in, header, 0, file);
            final long magic = header.getLong(MAGIC_OFFSET);
            if (magic != MAGIC)
            {
                throw new CorruptSnapshotException(file, "magic 0x" + Long.toHexString(magic) + ", expected 0x" +
                    Long.toHexString(MAGIC) + " (\"LGSHBKUP\"): not a logship backup");
            }
            final int version = header.getInt(VERSION_OFFSET);
            if (version != VERSION)
            {
                throw new CorruptSnapshotException(file, "format version " + version + ", expected " + VERSION);
            }
            final int headerLength = header.getInt(HEADER_LENGTH_OFFSET);
            final int storedHeaderCrc = header.getInt(HEADER_CRC_OFFSET);
            final int headerCrc = crc(header, HEADER_CRC_OFFSET);
            if (headerLength != HEADER_LENGTH || storedHeaderCrc != headerCrc)
            {
                throw new CorruptSnapshotException(file, "header CRC32C stored 0x" + Integer.toHexString(storedHeaderCrc) +
                    ", computed 0x" + Integer.toHexString(headerCrc) + " (header length " + headerLength + ", expected " +
                    HEADER_LENGTH + ")");
            }
            final long snapshotBytes = header.getLong(SNAPSHOT_LENGTH_OFFSET);
            if (snapshotBytes < 0 || HEADER_LENGTH + snapshotBytes + TRAILER_LENGTH != sizeBytes)
            {
                throw new CorruptSnapshotException(file, "file length " + sizeBytes + " bytes, expected " +
                    (HEADER_LENGTH + snapshotBytes + TRAILER_LENGTH) + " (header " + HEADER_LENGTH + " + snapshot " +
                    snapshotBytes + " + trailer " + TRAILER_LENGTH + "): truncated or extended");
            }
            final ByteBuffer trailer = ByteBuffer.allocate(TRAILER_LENGTH).order(BYTE_ORDER);
            readFully(in, trailer, HEADER_LENGTH + snapshotBytes, file);
            final long endMagic = trailer.getLong(TRAILER_END_MAGIC_OFFSET);
            if (endMagic != END_MAGIC)
            {
                throw new CorruptSnapshotException(file, "end magic 0x" + Long.toHexString(endMagic) + ", expected 0x" +
                    Long.toHexString(END_MAGIC) + " (\"BKUPEND.\")");
            }
            final CRC32C bodyCrc = new CRC32C();
            final ByteBuffer buffer = ByteBuffer.allocateDirect(COPY_BYTES);
            final ByteBuffer snapshotHeader = ByteBuffer.allocate(SnapshotDescriptor.HEADER_LENGTH);
            long position = 0;
            while (position < snapshotBytes)
            {
                buffer.clear().limit((int)Math.min(COPY_BYTES, snapshotBytes - position));
                final int read = in.read(buffer, HEADER_LENGTH + position);
                if (read < 0)
                {
                    throw new CorruptSnapshotException(file, "ended at byte " + (HEADER_LENGTH + position));
                }
                buffer.flip();
                if (position < SnapshotDescriptor.HEADER_LENGTH)
                {
                    final ByteBuffer head = buffer.duplicate();
                    head.limit(Math.min(head.limit(), SnapshotDescriptor.HEADER_LENGTH - (int)position));
                    snapshotHeader.put(head);
                }
                bodyCrc.update(buffer);
                position += read;
            }
            final int storedBodyCrc = trailer.getInt(TRAILER_BODY_CRC_OFFSET);
            if (storedBodyCrc != (int)bodyCrc.getValue())
            {
                throw new CorruptSnapshotException(file, "body CRC32C stored 0x" + Integer.toHexString(storedBodyCrc) +
                    ", computed 0x" + Long.toHexString(bodyCrc.getValue()) + " over " + snapshotBytes + " bytes");
            }
            final BackupInfo info = new BackupInfo(file, header.getLong(SNAPSHOT_OFFSET_OFFSET), header.getInt(EPOCH_OFFSET),
                header.getInt(NODE_ID_OFFSET), header.getLong(KEY_COUNT_OFFSET), header.getLong(DEDUP_COUNT_OFFSET),
                header.getLong(CREATED_OFFSET), snapshotBytes, sizeBytes, bodyCrc.getValue());
            checkEmbeddedHeader(file, snapshotHeader, info);
            return info;
        }
        catch (final IOException ex)
        {
            throw new LogshipException("cannot read backup " + file + ": " + ex, LogshipException.Category.ERROR, ex);
        }
    }

    private static void checkEmbeddedHeader(final Path file, final ByteBuffer snapshotHeader, final BackupInfo info)
    {
        if (snapshotHeader.position() < SnapshotDescriptor.HEADER_LENGTH)
        {
            throw new CorruptSnapshotException(file, "embedded snapshot of " + info.snapshotBytes() + " bytes is " +
                "shorter than a snapshot header (" + SnapshotDescriptor.HEADER_LENGTH + ")");
        }
        final String problem = SnapshotDescriptor.validateHeader(snapshotHeader.flip());
        if (null != problem)
        {
            throw new CorruptSnapshotException(file, "embedded snapshot: " + problem);
        }
        final long applied = snapshotHeader.getLong(SnapshotDescriptor.APPLIED_OFFSET_OFFSET);
        final long entries = snapshotHeader.getLong(SnapshotDescriptor.ENTRY_COUNT_OFFSET);
        final long dedups = snapshotHeader.getLong(SnapshotDescriptor.DEDUP_COUNT_OFFSET);
        if (applied != info.snapshotOffset() || entries != info.entryCount() || dedups != info.dedupCount())
        {
            throw new CorruptSnapshotException(file, "embedded snapshot says offset " + applied + ", " + entries +
                " keys, " + dedups + " dedup entries; the backup header says " + info.snapshotOffset() + ", " +
                info.entryCount() + ", " + info.dedupCount());
        }
    }

    /**
     * Verifies {@code backup} and copies its store snapshot into {@code snapshotDirectory} as
     * {@code <offset>.snap} (temp file, full snapshot verification with its own CRCs, fsync, rename), where a
     * node opening that directory rebuilds its store from it.
     *
     * @return the installed snapshot.
     * @throws CorruptSnapshotException if either the backup or the snapshot inside does not verify; nothing is
     *                                  left in {@code snapshotDirectory} then.
     */
    public static SnapshotInfo extractSnapshot(final Path backup, final Path snapshotDirectory)
    {
        final BackupInfo info = verify(backup);
        final Path target = snapshotDirectory.resolve(SnapshotDescriptor.fileName(info.snapshotOffset()));
        final Path temp = snapshotDirectory.resolve("restore-" + ProcessHandle.current().pid() +
            SnapshotDescriptor.TEMP_SUFFIX);
        boolean done = false;
        try
        {
            Files.createDirectories(snapshotDirectory);
            try (FileChannel in = FileChannel.open(backup, StandardOpenOption.READ);
                FileChannel out = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING))
            {
                long copied = 0;
                while (copied < info.snapshotBytes())
                {
                    copied += in.transferTo(HEADER_LENGTH + copied, info.snapshotBytes() - copied, out);
                }
                DurableFiles.force(out, temp, copied, true);
            }
            final SnapshotInfo snapshot = SnapshotParser.verify(temp);
            FileSupport.renameDurably(temp, target);
            done = true;
            return new SnapshotInfo(target, snapshot.appliedOffset(), snapshot.entryCount(), snapshot.dedupCount(),
                snapshot.sizeBytes());
        }
        catch (final IOException ex)
        {
            throw new LogshipException("cannot extract the snapshot of " + backup + " into " + snapshotDirectory + ": " +
                ex, LogshipException.Category.ERROR, ex);
        }
        finally
        {
            if (!done)
            {
                deleteQuietly(temp);
            }
        }
    }

    private static int crc(final ByteBuffer buffer, final int length)
    {
        final CRC32C crc = new CRC32C();
        crc.update(buffer.duplicate().position(0).limit(length));
        return (int)crc.getValue();
    }

    private static void writeFully(final FileChannel out, final ByteBuffer src) throws IOException
    {
        while (src.hasRemaining())
        {
            out.write(src);
        }
    }

    private static void readFully(final FileChannel in, final ByteBuffer dst, final long position, final Path file)
        throws IOException
    {
        long p = position;
        while (dst.hasRemaining())
        {
            final int read = in.read(dst, p);
            if (read < 0)
            {
                throw new CorruptSnapshotException(file, "ended at byte " + p + " while reading " + dst.capacity() +
                    " bytes from byte " + position);
            }
            p += read;
        }
        dst.flip();
    }

    private static void deleteQuietly(final Path file)
    {
        try
        {
            DurableFiles.deleteIfExists(file);
        }
        catch (final IOException ignored)
        {
            // Best effort: the caller is already failing with the reason that matters.
        }
    }
}
