package io.logship.log;

import org.junit.jupiter.api.Assumptions;

import java.util.Arrays;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * What a test needs from the machine (a tmpfs mount, a packaged jar...). A test that cannot run its
 * real check FAILS, naming what is missing, so a green build never hides a check that did not run.
 * Skipping is a deliberate choice: {@code -Dlogship.test.allowSkip=NAME[,NAME...]} (or {@code all})
 * turns that failure into a skip, printed on the console and counted by {@code .ci/run}.
 *
 * <p>Names in use: {@code tmpfs} (log-store's full-disk tests mount a 1 MiB tmpfs: root or
 * CAP_SYS_ADMIN). Called from the test thread only.
 */
public final class RequiredEnvironment
{
    public static final String ALLOW_SKIP_PROPERTY = "logship.test.allowSkip";

    private RequiredEnvironment()
    {
    }

    /**
     * Returns if {@code available}; otherwise skips the test when {@code name} is allowed to be
     * skipped, and fails it when not.
     */
    public static void require(final boolean available, final String name, final Supplier<String> missing)
    {
        if (available)
        {
            return;
        }
        final String why = missing.get();
        if (allowed(name))
        {
            System.out.println("SKIPPED (allowed by -D" + ALLOW_SKIP_PROPERTY + "=" + name + "): " + why);
            Assumptions.abort(why + " (skip allowed by -D" + ALLOW_SKIP_PROPERTY + "=" + name + ")");
        }
        fail(why + ". This test cannot run its check here; to skip it on purpose, run with -D" +
            ALLOW_SKIP_PROPERTY + "=" + name);
    }

    /** Whether {@code -Dlogship.test.allowSkip} names {@code name} (or {@code all}). */
    public static boolean allowed(final String name)
    {
        final String value = System.getProperty(ALLOW_SKIP_PROPERTY, "");
        return Arrays.stream(value.split(",")).map(String::strip).anyMatch(v -> v.equals(name) || v.equals("all"));
    }

    /**
     * For tests the build was asked to leave out ({@code -DskipCrashTests=true}): skips the test with a
     * printed line, so the skip shows on the console and in the skipped count rather than passing
     * silently. Call it from a {@code @BeforeEach}: a class aborted in {@code @BeforeAll} is reported
     * as zero tests, not as skipped ones.
     */
    public static void skipIfAsked(final String property, final String what)
    {
        if (Boolean.getBoolean(property))
        {
            final String why = what + " skipped: -D" + property + "=true";
            System.out.println("SKIPPED " + why);
            Assumptions.abort(why);
        }
    }
}
