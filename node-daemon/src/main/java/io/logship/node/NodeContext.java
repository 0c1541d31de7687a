package io.logship.node;

import io.logship.LogshipException;
import io.logship.transport.ConductorIdleStrategy;
import io.logship.transport.IdleStrategyKind;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SleepingIdleStrategy;
import org.agrona.concurrent.SystemNanoClock;

import java.util.concurrent.TimeUnit;

/**
 * What one {@link Node} is started with (Aeron's Context pattern): the configuration read from the properties
 * file, and what is injected rather than configured — the nano clock every conductor collaborator reads, the
 * idle strategies of the conductor and apply threads, and the logger. Each has a default, set by
 * {@link #conclude()}; tests swap in a fake clock. Settings come from {@link NodeConfig}; its keys are the
 * only configuration of a node.
 *
 * <p>Fluent setters, used on one thread before {@link Node#start(NodeContext)}; read-only after
 * {@link #conclude()}.
 */
public final class NodeContext
{
    private NodeConfig config;
    private NanoClock nanoClock;
    private IdleStrategy conductorIdleStrategy;
    private IdleStrategy applyIdleStrategy;
    private System.Logger logger;
    private boolean concluded;

    public NodeContext config(final NodeConfig config)
    {
        checkNotConcluded();
        this.config = config;
        return this;
    }

    public NodeContext nanoClock(final NanoClock nanoClock)
    {
        checkNotConcluded();
        this.nanoClock = nanoClock;
        return this;
    }

    public NodeContext conductorIdleStrategy(final IdleStrategy idleStrategy)
    {
        checkNotConcluded();
        this.conductorIdleStrategy = idleStrategy;
        return this;
    }

    public NodeContext applyIdleStrategy(final IdleStrategy idleStrategy)
    {
        checkNotConcluded();
        this.applyIdleStrategy = idleStrategy;
        return this;
    }

    public NodeContext logger(final System.Logger logger)
    {
        checkNotConcluded();
        this.logger = logger;
        return this;
    }

    /**
     * Checks the context and fills in the defaults: the system nano clock, the conductor idle strategy named by
     * {@code logship.node.idle.strategy} ({@code backoff}: a {@link ConductorIdleStrategy} with shared threading, else Agrona's), 1 ms parks for the apply thread (it is throughput work, and on 2
     * cores its spinning would steal from the conductor; a park, not {@code Thread.sleep}, so the conductor's
     * {@link ApplyAgent#wake()} cuts it short), the logger {@code io.logship.node.<id>}. Once only.
     */
    public NodeContext conclude()
    {
        checkNotConcluded();
        if (null == config)
        {
            throw new LogshipException("node context: config is null; expected the NodeConfig read from the " +
                "node's properties file", LogshipException.Category.FATAL);
        }
        if (null == nanoClock)
        {
            nanoClock = SystemNanoClock.INSTANCE;
        }
        if (null == conductorIdleStrategy)
        {
            // The short-park back-off only with shared threading: there the duty thread also runs the media driver,
            // and the parks it saves are the network's. With dedicated threads on 2 cores it measured worse (three
            // conductors parking 50 µs beside three driver threads: 85.6 k vs 112 k writes/s, elections in one
            // 10 k/s run of three; perf/README.md, sitting of 2026-12-05 04:56), so dedicated keeps Agrona's back-off.
            conductorIdleStrategy = config.idleStrategy() == IdleStrategyKind.BACKOFF && config.sharedThreading() ?
                new ConductorIdleStrategy(SystemNanoClock.INSTANCE) : config.idleStrategy().newInstance();
        }
        if (null == applyIdleStrategy)
        {
            applyIdleStrategy = new SleepingIdleStrategy(TimeUnit.MILLISECONDS.toNanos(1));
        }
        if (null == logger)
        {
            logger = System.getLogger("io.logship.node." + config.nodeId());
        }
        concluded = true;
        return this;
    }

    public NodeConfig config()
    {
        return config;
    }

    public NanoClock nanoClock()
    {
        return nanoClock;
    }

    public IdleStrategy conductorIdleStrategy()
    {
        return conductorIdleStrategy;
    }

    public IdleStrategy applyIdleStrategy()
    {
        return applyIdleStrategy;
    }

    public System.Logger logger()
    {
        return logger;
    }

    private void checkNotConcluded()
    {
        if (concluded)
        {
            throw new LogshipException("node context already concluded: it cannot be changed once a node uses it",
                LogshipException.Category.FATAL);
        }
    }
}
