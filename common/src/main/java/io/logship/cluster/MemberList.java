package io.logship.cluster;

import io.logship.LogshipException;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Parses a member list such as {@code 1@10.0.0.1:7001,2@10.0.0.2:7001}: the value of
 * {@link ClusterKeys#CLUSTER_NODES} in a node's config, and of the CLI's {@code --cluster}. One parser, so the
 * node and the operator tool can never disagree on what a config file says. Stateless and thread-safe.
 */
public final class MemberList
{
    /** One entry: {@code id} is null where ids are optional and the entry gave none ({@code host:port}). */
    public record Entry(Integer id, String host, int port)
    {
        /** {@code host:port}, as a socket address is written. */
        public String address()
        {
            return host + ":" + port;
        }

        @Override
        public String toString()
        {
            return (null == id ? "" : id + "@") + host + ":" + port;
        }
    }

    private MemberList()
    {
    }

    /**
     * Parses {@code value}; empty entries (a trailing comma) are ignored.
     *
     * @param value      the comma-separated list.
     * @param source     where it came from, quoted at the start of every error (e.g. {@code node.conf:
     *                   logship.cluster.nodes} or {@code --cluster}).
     * @param requireIds true where every entry must be {@code id@host:port} (a node's config); false where a
     *                   bare {@code host:port} is enough (the CLI learns the id from the node).
     * @return the entries in the order given, unmodifiable, never empty.
     * @throws LogshipException (ERROR) naming the source, the entry and the form expected, for a malformed
     *                          entry, an id below 1, a port outside [1, 65535], an id or address listed twice, or
     *                          an empty list.
     */
    public static List<Entry> parse(final String value, final String source, final boolean requireIds)
    {
        final String expected = requireIds ? "id@host:port" : "host:port or id@host:port";
        final List<Entry> entries = new ArrayList<>();
        for (final String part : value.split(","))
        {
            final String entry = part.trim();
            if (entry.isEmpty())
            {
                continue;
            }
            final int at = entry.indexOf('@');
            final int colon = entry.lastIndexOf(':');
            if ((requireIds && at <= 0) || at == 0 || colon <= at + 1 || colon == entry.length() - 1)
            {
                throw bad(source + " entry '" + entry + "' is not " + expected);
            }
            final Integer id;
            final int port;
            try
            {
                id = at < 0 ? null : Integer.valueOf(entry.substring(0, at));
                port = Integer.parseInt(entry.substring(colon + 1));
            }
            catch (final NumberFormatException ex)
            {
                throw bad(source + " entry '" + entry + "' needs a numeric id and port, as in 1@127.0.0.1:7001");
            }
            if ((null != id && id < 1) || port < 1 || port > 65535)
            {
                throw bad(source + " entry '" + entry + "' needs an id ≥ 1 and a port in [1, 65535]");
            }
            final Entry parsed = new Entry(id, entry.substring(at + 1, colon), port);
            for (final Entry other : entries)
            {
                if (null != id && id.equals(other.id()))
                {
                    throw bad(source + " lists node " + id + " twice");
                }
                if (other.address().equals(parsed.address()))
                {
                    throw bad(source + " lists " + parsed.address() + " twice");
                }
            }
            entries.add(parsed);
        }
        if (entries.isEmpty())
        {
            throw bad(source + " lists no nodes: expected " + expected + " entries separated by commas");
        }
        return Collections.unmodifiableList(entries);
    }

    private static LogshipException bad(final String message)
    {
        return new LogshipException(message, LogshipException.Category.ERROR);
    }
}
