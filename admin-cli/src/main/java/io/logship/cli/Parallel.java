package io.logship.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * Runs one blocking call per element on its own thread and collects the results in order. The common
 * fork-join pool has a single thread on a 2-core machine, which would ask nodes one after another.
 */
final class Parallel
{
    private Parallel()
    {
    }

    static <T, R> List<R> map(final List<T> inputs, final Function<T, R> call)
    {
        final List<CompletableFuture<R>> futures = new ArrayList<>();
        for (final T input : inputs)
        {
            final CompletableFuture<R> future = new CompletableFuture<>();
            final Thread thread = new Thread(() ->
            {
                try
                {
                    future.complete(call.apply(input));
                }
                catch (final Throwable ex)
                {
                    future.completeExceptionally(ex);
                }
            }, "logship-cli-call");
            thread.setDaemon(true);
            thread.start();
            futures.add(future);
        }
        final List<R> results = new ArrayList<>();
        for (final CompletableFuture<R> future : futures)
        {
            results.add(future.join());
        }
        return results;
    }
}
