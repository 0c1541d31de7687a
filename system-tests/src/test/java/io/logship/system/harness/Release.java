package io.logship.system.harness;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The release tarball the reactor built ({@code dist/target/logship-VERSION.tar.gz}, system property
 * {@code logship.release.tarball}), unpacked the way an operator does: {@code tar xzf} and the single top directory
 * {@code logship-VERSION/} moved to where the install wants it.
 */
public final class Release
{
    private Release()
    {
    }

    public static Path tarball()
    {
        final String property = System.getProperty("logship.release.tarball");
        if (null == property)
        {
            throw new AssertionError("system property logship.release.tarball is not set: run the system tests " +
                "through Maven (system-tests/pom.xml sets it)");
        }
        final Path tarball = Path.of(property);
        if (!Files.isRegularFile(tarball))
        {
            throw new AssertionError(tarball + " does not exist: build it with mvn -B -pl dist -am package");
        }
        return tarball;
    }

    /** Unpacks the release into {@code target} (which must not exist yet): target/bin, target/lib, ... */
    public static Path unpack(final Path target)
    {
        try
        {
            final Path staging = Files.createTempDirectory(target.toAbsolutePath().getParent(), "unpack");
            Shell.run(Duration.ofSeconds(120), "tar", "-xzf", tarball().toString(), "-C", staging.toString()).check();
            try (var entries = Files.list(staging))
            {
                final Path top = entries.findFirst().orElseThrow(() -> new AssertionError(tarball() + " is empty"));
                Files.move(top, target);
            }
            Files.delete(staging);
            return target;
        }
        catch (final java.io.IOException ex)
        {
            throw new java.io.UncheckedIOException("cannot unpack " + tarball() + " to " + target, ex);
        }
    }
}
