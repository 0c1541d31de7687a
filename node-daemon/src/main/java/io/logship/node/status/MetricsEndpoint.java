package io.logship.node.status;

import com.sun.net.httpserver.HttpExchange;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * The node's HTTP endpoint on {@code logship.node.metrics.port}, bound to the node's own host: Prometheus'
 * exporter serves {@code GET /metrics} from the node's {@link PrometheusRegistry} (text or OpenMetrics, by the
 * scraper's Accept header), and the health checks load balancers use, as Patroni's REST API does:
 * <ul>
 *   <li>{@code /health}: 200 when the node serves its role (not fenced, not stopping), else 503;</li>
 *   <li>{@code /ready}: 200 once it leads or knows a leader;</li>
 *   <li>{@code /leader}: 200 only on the leader holding its lease;</li>
 *   <li>{@code /replica?lag=N}: 200 on a follower at most N records behind the leader's commit offset
 *       (no {@code lag}: any ready follower).</li>
 * </ul>
 * Every answer carries {@code {"node":1,"role":"leader","epoch":3,"leader":1,"lag":0}}. The exporter's
 * threads serve it; nothing here calls into the conductor. Off when the port is 0.
 */
public final class MetricsEndpoint implements AutoCloseable
{
    private final HTTPServer server;
    private final NodeHealth health;

    public MetricsEndpoint(final String host, final int port, final PrometheusRegistry registry, final NodeHealth health)
        throws IOException
    {
        this.health = health;
        server = HTTPServer.builder().hostname(host).port(port).registry(registry)
            .defaultHandler(this::onRequest).buildAndStart();
    }

    public int port()
    {
        return server.getPort();
    }

    private void onRequest(final HttpExchange exchange) throws IOException
    {
        try (exchange)
        {
            final URI uri = exchange.getRequestURI();
            final boolean ok;
            switch (uri.getPath())
            {
                case "/health" -> ok = health.isHealthy();
                case "/ready" -> ok = health.isReady();
                case "/leader" -> ok = health.isLeaderWithLease();
                case "/replica" ->
                {
                    final long maxLag = lagParameter(uri.getRawQuery());
                    if (maxLag < -1)
                    {
                        send(exchange, 400, "{\"error\":\"lag must be a whole number >= 0, got " +
                            uri.getRawQuery().replace('"', '\'') + "\"}");
                        return;
                    }
                    final long lag = health.replicaLagRecords();
                    ok = lag >= 0 && (maxLag == -1 || lag <= maxLag);
                }
                default ->
                {
                    send(exchange, 404, "{\"error\":\"no such path " + uri.getPath().replace('"', '\'') +
                        "; try /metrics, /health, /ready, /leader, /replica?lag=N\"}");
                    return;
                }
            }
            send(exchange, ok ? 200 : 503, "{\"node\":" + health.nodeId() + ",\"role\":\"" +
                health.role().name().toLowerCase(Locale.ROOT) + "\",\"epoch\":" + health.epoch() +
                ",\"leader\":" + health.leaderId() + ",\"lag\":" + health.replicaLagRecords() + "}");
        }
    }

    /** -1 when absent, -2 when malformed, else the value of {@code lag=}. */
    private static long lagParameter(final String query)
    {
        if (null == query || query.isEmpty())
        {
            return -1;
        }
        for (final String pair : query.split("&"))
        {
            if (pair.startsWith("lag="))
            {
                try
                {
                    final long lag = Long.parseLong(pair.substring(4));
                    return lag >= 0 ? lag : -2;
                }
                catch (final NumberFormatException ex)
                {
                    return -2;
                }
            }
        }
        return -1;
    }

    private static void send(final HttpExchange exchange, final int status, final String json) throws IOException
    {
        final byte[] body = (json + "\n").getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, "HEAD".equals(exchange.getRequestMethod()) ? -1 : body.length);
        if (!"HEAD".equals(exchange.getRequestMethod()))
        {
            try (OutputStream out = exchange.getResponseBody())
            {
                out.write(body);
            }
        }
    }

    @Override
    public void close()
    {
        server.close();
    }
}
