package io.logship.log;

import org.junit.jupiter.api.extension.AnnotatedElementContext;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.io.TempDirFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Temporary directories in memory (/dev/shm) where the machine has it: tests that open, roll and
 * truncate logs tens of thousands of times check logic, not the disk, and every fsync there is free.
 * Falls back to the default temporary directory.
 */
public final class ShmTempDirFactory implements TempDirFactory
{
    @Override
    public Path createTempDirectory(final AnnotatedElementContext elementContext,
        final ExtensionContext extensionContext) throws IOException
    {
        final Path shm = Path.of("/dev/shm");
        if (Files.isDirectory(shm) && Files.isWritable(shm))
        {
            return Files.createTempDirectory(shm, "logship-test-");
        }
        return Files.createTempDirectory("logship-test-");
    }
}
