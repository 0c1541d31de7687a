package io.logship.system.harness;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A dynamic class-data-sharing archive ({@code -XX:ArchiveClassesAtExit}, then {@code -XX:SharedArchiveFile}) for each
 * program the system tests launch, {@code logshipd} and {@code logship}. A run starts a few hundred of these JVMs, and
 * on 2 cores most of a node's start-up is loading and verifying the same classes from the same jars: a 3-node cluster
 * took 4.0–5.0 s to print "running" without an archive and 2.3–2.7 s with one (measured on the CI-like machine). The
 * archive changes how fast a JVM starts, nothing of what the program does: same byte code, same JIT.
 *
 * <p>The first launch of a program that finds no archive writes one when its JVM exits normally (a clean stop; about
 * 2 s more for that one exit). Until an archive exists, one launch at a time is the writer; a writer that was killed
 * (SIGKILL writes nothing) gives the turn to the next launch. The archive lives in the directory named by the system
 * property {@value #DIR_PROP} (failsafe sets it under {@code target/}); without it every JVM starts as before.
 */
final class ClassDataArchive
{
    static final String DIR_PROP = "logship.systemTest.cdsDir";

    private static final ConcurrentHashMap<String, ClassDataArchive> BY_PROGRAM = new ConcurrentHashMap<>();
    private static final AtomicInteger ATTEMPTS = new AtomicInteger();

    private final Path archive;
    private Process writer;
    private Path writerFile;

    private ClassDataArchive(final Path archive)
    {
        this.archive = archive;
    }

    /**
     * The archive of one program, or null if none is configured. It is named after the class path and the size and
     * time stamp of each of its entries: a JVM refuses (silently, with cds logging off) an archive whose jars changed
     * since it was written, so a rebuilt jar gets a new archive rather than none.
     */
    static ClassDataArchive forProgram(final String program, final String classPath)
    {
        final String dir = System.getProperty(DIR_PROP);
        if (null == dir || dir.isEmpty())
        {
            return null;
        }
        final StringBuilder stamp = new StringBuilder(classPath);
        for (final String entry : classPath.split(File.pathSeparator))
        {
            final File file = new File(entry);
            stamp.append('|').append(file.length()).append('@').append(file.lastModified());
        }
        final String name = program + "-" + Integer.toHexString(stamp.toString().hashCode());
        return BY_PROGRAM.computeIfAbsent(name, (key) -> new ClassDataArchive(Path.of(dir).resolve(key + ".jsa")));
    }

    /**
     * The JVM options for the next launch, and whether that launch is the one that writes the archive (then pass its
     * process to {@link #launched}). Logging of the cds tags is off: a JVM lists every class it cannot archive
     * (JFR events, generated accessors) as a warning on stdout, which is the node's log.
     */
    synchronized Launch nextLaunch()
    {
        if (null != writer && !writer.isAlive())
        {
            publishWrittenArchive();
        }
        if (Files.isRegularFile(archive))
        {
            return new Launch(List.of("-XX:SharedArchiveFile=" + archive, "-Xlog:cds*=off"), null);
        }
        if (null != writer)
        {
            return new Launch(List.of(), null);
        }
        try
        {
            Files.createDirectories(archive.getParent());
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        final Path file = archive.resolveSibling(archive.getFileName() + "." + ATTEMPTS.incrementAndGet() + ".tmp");
        return new Launch(List.of("-XX:ArchiveClassesAtExit=" + file, "-Xlog:cds*=off"), file);
    }

    /** The launch that got {@link Launch#writerFile()} started this process. */
    synchronized void launched(final Launch launch, final Process process)
    {
        if (null != launch.writerFile())
        {
            writer = process;
            writerFile = launch.writerFile();
        }
    }

    private void publishWrittenArchive()
    {
        final Path written = writerFile;
        writer = null;
        writerFile = null;
        try
        {
            if (Files.isRegularFile(written) && Files.size(written) > 0)
            {
                try
                {
                    Files.move(written, archive, StandardCopyOption.ATOMIC_MOVE);
                }
                catch (final AtomicMoveNotSupportedException ex)
                {
                    Files.move(written, archive, StandardCopyOption.REPLACE_EXISTING);
                }
            }
            else
            {
                Files.deleteIfExists(written);
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot publish the class data archive " + written, ex);
        }
    }

    /** The options of one launch; {@code writerFile} is where it writes the archive, or null if it does not. */
    record Launch(List<String> jvmOptions, Path writerFile)
    {
    }
}
