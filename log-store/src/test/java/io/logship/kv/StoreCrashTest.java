package io.logship.kv;

import io.logship.log.ChildJvm;
import io.logship.log.LogConfig;
import io.logship.log.RequiredEnvironment;
import io.logship.log.SegmentedLog;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static io.logship.kv.StoreAssertions.assertStoreMatches;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * SIGKILLs a child JVM ({@link StoreCrashChild}) that appends to a real log and applies to the store
 * while taking snapshots, at a seeded random moment, round after round on the same directory. After
 * each kill the parent reopens log and store (which must rebuild: no clean-shutdown marker),
 * replays the log, and checks every key of the key space and the de-duplication table against a
 * model computed from the generator. Then it closes cleanly, so the next child also exercises the
 * clean reopen path.
 */
class StoreCrashTest
{
    private static final int ROUNDS = 20;
    private static final int KEY_SPACE = 2_000;
    private static final long SEED = 20_261_127L;

    @BeforeEach
    void skipWhenAsked()
    {
        // -DskipCrashTests=true (local runs only; CI never sets it) prints the skip instead of hiding it.
        RequiredEnvironment.skipIfAsked("logship.skipCrashTests", "StoreCrashTest (the store SIGKILL loops)");
    }

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 150, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void storeEqualsTheModelAfterEverySigkill() throws Exception
    {
        final SplittableRandom killTimes = new SplittableRandom(SEED);
        final DeterministicBatches batches = new DeterministicBatches(SEED, KEY_SPACE);
        final List<String> command = childCommand();
        long previousOffset = -1;
        int rebuilds = 0;
        for (int round = 0; round < ROUNDS; round++)
        {
            final long killAfterMs = 50 + killTimes.nextInt(351);
            final Path stderr = dir.resolve("child-" + round + ".err");
            final Process child = new ProcessBuilder(command)
                .redirectError(stderr.toFile())
                .start();
            try
            {
                child.getOutputStream().close();
                final BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
                    StandardCharsets.UTF_8));
                final String line = out.readLine();
                if (null == line || !line.startsWith(StoreCrashChild.STARTED))
                {
                    fail("round " + round + ": child said " + line + " instead of " + StoreCrashChild.STARTED +
                        "; stderr:\n" + Files.readString(stderr));
                }
                final String progress = out.readLine();
                if (null == progress || !progress.startsWith(StoreCrashChild.APPLIED))
                {
                    fail("round " + round + ": child said " + progress + " instead of " + StoreCrashChild.APPLIED +
                        "; stderr:\n" + Files.readString(stderr));
                }
                if (child.waitFor(killAfterMs, TimeUnit.MILLISECONDS))
                {
                    fail("round " + round + ": child exited with " + child.exitValue() + " before the kill; stderr:\n" +
                        Files.readString(stderr));
                }
            }
            finally
            {
                child.destroyForcibly();
                child.waitFor();
            }

            try (SegmentedLog log = SegmentedLog.open(new LogConfig().directory(dir.resolve("log")).segmentBytes(256 * 1024));
                KeyValueStore store = KeyValueStore.open(dir.resolve("store"), new SnapshotStore(dir.resolve("snapshots"), 2)))
            {
                assertThat(store.rebuiltOnOpen()).as("round %d: %s", round, store.openReport()).isTrue();
                rebuilds++;
                assertThat(store.appliedOffset() % DeterministicBatches.RECORDS_PER_BATCH).isZero();
                StoreRecovery.replay(store, log, log.logEndOffset());
                assertThat(store.appliedOffset()).isEqualTo(log.logEndOffset());
                assertThat(store.appliedOffset()).as("round %d made progress", round).isGreaterThan(previousOffset);
                previousOffset = store.appliedOffset();
                assertStoreMatches(store, batches.modelAt(store.appliedOffset()), KEY_SPACE);
                try (Stream<Path> temps = Files.list(dir.resolve("snapshots")))
                {
                    assertThat(temps.filter(p -> p.toString().endsWith(SnapshotDescriptor.TEMP_SUFFIX))).isEmpty();
                }
            }
        }
        assertThat(rebuilds).isEqualTo(ROUNDS);
    }

    private List<String> childCommand() throws IOException
    {
        // MapDB's lz4 hash unpacks a native library into java.io.tmpdir and deletes it only at a normal exit: keep it in
        // this test's directory, or every SIGKILL leaves a file in /tmp.
        return ChildJvm.command(List.of("-Xmx256m", "-XX:TieredStopAtLevel=1", "-Djava.io.tmpdir=" + dir),
            StoreCrashChild.class, dir.toString(), Long.toString(SEED), Integer.toString(KEY_SPACE));
    }
}
