package io.logship.log;

import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The command line of a child JVM that runs a main class of this module's tests on their class path (the module's
 * classes, its test classes and {@code target/test-classpath.txt}, which the build writes in
 * generate-test-resources): the crash tests' children, killed or left to fail on their own.
 */
public final class ChildJvm
{
    private ChildJvm()
    {
    }

    /**
     * {@code java --add-exports java.base/jdk.internal.misc=ALL-UNNAMED JVM_OPTIONS -cp CLASS_PATH MAIN ARGS}, as a
     * mutable list so a caller can append per-run arguments.
     */
    public static List<String> command(final List<String> jvmOptions, final Class<?> mainClass, final String... args)
        throws IOException
    {
        final Path testClasses;
        try
        {
            testClasses = Path.of(ChildJvm.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        }
        catch (final URISyntaxException ex)
        {
            throw new IOException("cannot locate this module's test classes: " + ex.getMessage(), ex);
        }
        final Path target = testClasses.getParent();
        final Path classpathFile = target.resolve("test-classpath.txt");
        if (!Files.exists(classpathFile))
        {
            throw new IOException(classpathFile + " is missing: the build writes it (maven-dependency-plugin, " +
                "generate-test-resources); run the tests through Maven");
        }
        final List<String> command = new ArrayList<>(List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED"));
        command.addAll(jvmOptions);
        command.add("-cp");
        command.add(target.resolve("classes") + File.pathSeparator + testClasses + File.pathSeparator +
            Files.readString(classpathFile).trim());
        command.add(mainClass.getName());
        command.addAll(List.of(args));
        return command;
    }
}
