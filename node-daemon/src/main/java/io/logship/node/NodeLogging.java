package io.logship.node;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LoggerContext;

import java.util.Locale;

/**
 * logshipd's logging: every log line goes to stdout (journald keeps it under systemd), as text or as one JSON object
 * per line ({@code logship.node.log.format}), at {@code logship.node.log.level} and above.
 *
 * <p>The path of a log call: the node's code (and log-store's) logs through {@link System.Logger}, the JDK's facade,
 * so log-store, a library, needs no logging dependency; {@code slf4j-jdk-platform-logging} is the JDK's
 * {@code System.LoggerFinder} on logshipd's class path and hands each call to SLF4J; Log4j2 ({@code log4j-slf4j2-impl})
 * writes it. Log4j2 was chosen over Logback for its async loggers: the calling thread (the duty thread among them)
 * only copies the event into a preallocated LMAX Disruptor ring (Log4j 2.26 supports Disruptor [3.4, 5), so the
 * Disruptor 4.0.0 the write pipeline already uses), with no lock and no allocation for the common message types,
 * and a background thread formats and writes. {@code log4j2.component.properties} selects the async loggers and
 * {@link DroppingLogQueuePolicy} (a full ring drops the event and counts it, never blocks); {@code log4j2.xml} holds
 * both layouts, picked by the system properties {@link #configure} sets.
 *
 * <p>In logshipd, Log4j2's own shutdown hook is off ({@link #disableShutdownHook()}): it would race the node's
 * controlled stop, which runs in the signal's shutdown hook and logs as it goes; {@link NodeDaemon} calls
 * {@link #stop()} once the node is closed, which drains the ring to stdout. Other JVMs with this jar on their class
 * path (the release's CLI, tests) keep the hook and log text to stderr ({@code log4j2.xml}). Main thread only.
 */
public final class NodeLogging
{
    /** System properties that {@code log4j2.xml} reads; set from the config file, not meant to be set by hand. */
    static final String FORMAT_SYSTEM_PROP = "logship.node.log.format";
    static final String LEVEL_SYSTEM_PROP = "logship.node.log.level";

    private NodeLogging()
    {
    }

    /**
     * Leaves the flush at exit to {@link #stop()}. Must run before anything logs: Log4j decides when it starts.
     */
    static void disableShutdownHook()
    {
        System.setProperty("log4j2.shutdownHookEnabled", "false");
    }

    /**
     * Applies the config file's format and level: later log events use them. Events logged before (while the
     * config was read) went out in the defaults, text at info.
     */
    public static void configure(final NodeConfig config)
    {
        configure(config.logFormat(), config.logLevel());
    }

    /** {@code format} text or json, {@code level} a level name, both as {@link NodeConfig} validated them. */
    static void configure(final String format, final String level)
    {
        System.setProperty(FORMAT_SYSTEM_PROP, format);
        System.setProperty(LEVEL_SYSTEM_PROP, level.toUpperCase(Locale.ROOT));
        // Re-reads log4j2.xml, whose arbiters and level read the properties just set; also the first start
        // of Log4j if nothing has logged yet.
        ((LoggerContext)LogManager.getContext(false)).reconfigure();
    }

    /** Writes out every queued event and stops the logging threads; later events are lost. Call last. */
    public static void stop()
    {
        LogManager.shutdown();
    }
}
