package io.logship.system.harness;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Where the reactor built {@code logshipd} (and {@code logship}, see {@link #adminCli()}): {@code node-daemon/target/node-daemon-*.jar} and the
 * {@code runtime-classpath.txt} that node-daemon's pom writes in the package phase. The directory comes from the
 * system property {@code logship.nodeDaemon.target} (set by failsafe to {@code ${project.basedir}/../node-daemon/target}),
 * else {@code ../node-daemon/target} relative to the working directory (the module directory under Maven).
 */
public final class NodeBinaries
{
    public static final String TARGET_PROP = "logship.nodeDaemon.target";
    public static final String ADMIN_CLI_TARGET_PROP = "logship.adminCli.target";

    private static volatile NodeBinaries instance;
    private static volatile NodeBinaries adminCli;

    private final String classPath;

    private NodeBinaries(final String classPath)
    {
        this.classPath = classPath;
    }

    public static NodeBinaries locate()
    {
        NodeBinaries found = instance;
        if (null == found)
        {
            final Path target = Path.of(System.getProperty(TARGET_PROP, "../node-daemon/target")).toAbsolutePath()
                .normalize();
            found = new NodeBinaries(classPathIn(target, "node-daemon"));
            instance = found;
        }
        return found;
    }

    /** The same for {@code logship} (admin-cli): {@code admin-cli/target/admin-cli-*.jar} + its runtime class path. */
    public static NodeBinaries adminCli()
    {
        NodeBinaries found = adminCli;
        if (null == found)
        {
            final Path target = Path.of(System.getProperty(ADMIN_CLI_TARGET_PROP, "../admin-cli/target")).toAbsolutePath()
                .normalize();
            found = new NodeBinaries(classPathIn(target, "admin-cli"));
            adminCli = found;
        }
        return found;
    }

    public String classPath()
    {
        return classPath;
    }

    private static String classPathIn(final Path target, final String module)
    {
        final String hint = " (build it first: mvn -B -o package -pl " + module + " -am -DskipTests)";
        if (!Files.isDirectory(target))
        {
            throw new IllegalStateException(module + " build directory " + target + " does not exist" + hint);
        }
        final List<Path> jars;
        try (Stream<Path> files = Files.list(target))
        {
            jars = files.filter(path ->
                {
                    final String name = path.getFileName().toString();
                    return name.startsWith(module + "-") && name.endsWith(".jar") &&
                        !name.endsWith("-sources.jar") && !name.endsWith("-tests.jar") && !name.endsWith("-javadoc.jar");
                })
                .sorted()
                .collect(Collectors.toList());
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        if (jars.size() != 1)
        {
            throw new IllegalStateException("expected exactly one " + module + "-*.jar in " + target + ", found " + jars + hint);
        }
        final Path classPathFile = target.resolve("runtime-classpath.txt");
        if (!Files.isRegularFile(classPathFile))
        {
            throw new IllegalStateException(classPathFile + " is missing" + hint);
        }
        try
        {
            final String dependencies = Files.readString(classPathFile, StandardCharsets.UTF_8).trim();
            return jars.get(0) + (dependencies.isEmpty() ? "" : java.io.File.pathSeparator + dependencies);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }
}
