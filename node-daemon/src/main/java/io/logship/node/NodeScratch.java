package io.logship.node;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The node's scratch directory, {@code <logship.node.data.dir>/tmp}, made the JVM's {@code java.io.tmpdir} before the
 * node opens anything (docs/DESIGN.md#data-directory).
 *
 * <p>Why: the store's hash library (lz4, which MapDB loads) unpacks its native code into {@code java.io.tmpdir} as
 * {@code liblz4-java*.so} and deletes it only at a normal JVM exit. A node is built to be SIGKILLed, so every kill of
 * a node started outside systemd (whose unit has {@code PrivateTmp=yes}) left 59 KB in /tmp, for ever. Under the data
 * directory the node's next start removes what its last run left, as PostgreSQL removes its {@code pgsql_tmp} files at
 * start. Only files of that library are removed: the directory is the node's, but an operator may have put something
 * there, and an Aeron directory that falls back to {@code java.io.tmpdir} (no /dev/shm) is a directory, left alone.
 *
 * <p>This replaces a {@code -Djava.io.tmpdir} given on the command line: a killed node must not leak into any shared
 * directory. It must run before anything in the JVM creates a temporary file, because the JDK reads the property
 * once, at the first {@code File.createTempFile}; {@link NodeDaemon#main} calls it before the node starts.
 */
final class NodeScratch
{
    /** The directory's name inside the data directory. */
    static final String DIRECTORY = "tmp";
    /** What lz4 1.3's {@code Native.load} names the library it unpacks ({@code File.createTempFile} prefix). */
    static final String LZ4_PREFIX = "liblz4-java";

    private NodeScratch()
    {
    }

    /**
     * Creates {@code dataDirectory/tmp}, removes the native libraries earlier runs of this node left in it, and points
     * {@code java.io.tmpdir} at it.
     *
     * @return how many files an earlier run had left
     * @throws IOException if the directory cannot be created or a leftover cannot be removed; the property is not
     *                     changed then
     */
    static int prepare(final Path dataDirectory) throws IOException
    {
        final Path scratch = dataDirectory.resolve(DIRECTORY).toAbsolutePath();
        Files.createDirectories(scratch);
        int removed = 0;
        try (DirectoryStream<Path> leftovers = Files.newDirectoryStream(scratch, LZ4_PREFIX + "*"))
        {
            for (final Path leftover : leftovers)
            {
                // A library another live JVM has loaded stays mapped after its name is gone: removing it is safe even
                // if a second node was wrongly started on this data directory (it then fails on the log's lock).
                if (Files.isRegularFile(leftover) && Files.deleteIfExists(leftover))
                {
                    removed++;
                }
            }
        }
        System.setProperty("java.io.tmpdir", scratch.toString());
        return removed;
    }
}
