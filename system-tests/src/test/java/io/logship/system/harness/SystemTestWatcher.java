package io.logship.system.harness;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.AfterTestExecutionCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.util.ArrayList;
import java.util.List;

/**
 * Owns the clusters of one test ({@code @RegisterExtension final SystemTestWatcher watcher = new SystemTestWatcher();}).
 * After the test method it notes whether the test failed (its exception, a timeout included); after each test it
 * closes every cluster the test made (see {@link TestCluster#close}) and fails the test if a node exited uncleanly or
 * logged an error the test did not expect — the test's own failure, if any, stays the primary one.
 */
public final class SystemTestWatcher implements BeforeEachCallback, AfterTestExecutionCallback, AfterEachCallback
{
    private final List<TestCluster> clusters = new ArrayList<>();
    private String testName = "system-test";
    private boolean failed;

    @Override
    public void beforeEach(final ExtensionContext context)
    {
        testName = context.getRequiredTestClass().getSimpleName() + "." + context.getRequiredTestMethod().getName();
        failed = false;
    }

    /** A cluster of {@code nodeCount} nodes (ids 1..n, leader 1 unless set) for this test; configure, then start. */
    public TestCluster.Builder cluster(final int nodeCount)
    {
        return TestCluster.builder(testName, nodeCount, this);
    }

    void register(final TestCluster cluster)
    {
        clusters.add(cluster);
    }

    @Override
    public void afterTestExecution(final ExtensionContext context)
    {
        failed = context.getExecutionException().isPresent();
    }

    @Override
    public void afterEach(final ExtensionContext context)
    {
        final List<String> problems = new ArrayList<>();
        // A timed-out test leaves its thread interrupted; clean-up must still wait for processes and thread dumps.
        final boolean interrupted = Thread.interrupted();
        for (final TestCluster cluster : clusters)
        {
            try
            {
                problems.addAll(cluster.close(failed));
            }
            catch (final RuntimeException | AssertionError ex)
            {
                problems.add("closing " + cluster + " failed: " + ex);
            }
        }
        clusters.clear();
        if (interrupted)
        {
            Thread.currentThread().interrupt();
        }
        if (!problems.isEmpty())
        {
            throw new AssertionError(testName + ": " + String.join(System.lineSeparator(), problems));
        }
    }
}
