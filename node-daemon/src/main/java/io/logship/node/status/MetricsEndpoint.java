package io.logship.node.status;

import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.function.Consumer;

/**
 * A Prometheus text endpoint ({@code GET /metrics}) on {@code logship.node.metrics.port}, bound to the
 * node's own host. It renders a snapshot taken by the {@link MetricsSource} on the HTTP thread: values
 * may be a few microseconds stale, never torn (all are 64-bit reads of single fields). One daemon
 * thread; off when the port is 0.
 */
public final class MetricsEndpoint implements AutoCloseable
{
    /** Writes every metric line of the node into the builder. */
    public interface MetricsSource extends Consumer<StringBuilder>
    {
    }

    private final HttpServer server;

    public MetricsEndpoint(final String host, final int port, final MetricsSource source) throws IOException
    {
        server = HttpServer.create(new InetSocketAddress(host, port), 8);
        server.createContext("/metrics", (exchange) ->
        {
            final StringBuilder text = new StringBuilder(4096);
            source.accept(text);
            final byte[] body = text.toString().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody())
            {
                out.write(body);
            }
        });
        server.setExecutor(Executors.newSingleThreadExecutor((runnable) ->
        {
            final Thread thread = new Thread(runnable, "metrics-http");
            thread.setDaemon(true);
            return thread;
        }));
        server.start();
    }

    public int port()
    {
        return server.getAddress().getPort();
    }

    public static void gauge(final StringBuilder text, final String name, final String help, final long value)
    {
        text.append("# HELP ").append(name).append(' ').append(help).append('\n')
            .append("# TYPE ").append(name).append(" gauge\n")
            .append(name).append(' ').append(value).append('\n');
    }

    public static void counter(final StringBuilder text, final String name, final String help, final long value)
    {
        text.append("# HELP ").append(name).append(' ').append(help).append('\n')
            .append("# TYPE ").append(name).append(" counter\n")
            .append(name).append(' ').append(value).append('\n');
    }

    @Override
    public void close()
    {
        server.stop(0);
    }
}
