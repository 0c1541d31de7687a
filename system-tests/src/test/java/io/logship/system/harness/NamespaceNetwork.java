package io.logship.system.harness;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small network of Linux network namespaces standing in for hosts: one namespace per host, each with one veth
 * link to a bridge that lives in a namespace of its own, addresses in {@code 10.77.0.0/24}. Nothing is added to the
 * namespace this JVM runs in, so those addresses exist and route only between the test's namespaces. Every name
 * starts with {@code lsmh-<pid>-} (pid of this JVM): {@link #removeStale()} deletes what a crashed earlier run left
 * (namespaces whose pid is no longer alive) and {@link #close()} deletes this run's, killing what still runs in
 * them. Needs root and iproute2's {@code ip}. Used from the test thread only.
 */
public final class NamespaceNetwork implements AutoCloseable
{
    public static final String PREFIX = "lsmh-";
    public static final String SUBNET_PREFIX = "10.77.0.";
    private static final Duration IP_TIMEOUT = Duration.ofSeconds(30);

    private final String prefix = PREFIX + ProcessHandle.current().pid() + "-";
    private final String bridgeNamespace = prefix + "br";
    private final Map<String, Host> hosts = new LinkedHashMap<>();
    private final List<String> namespaces = new ArrayList<>();

    /** One host: its namespace, its address, and the bridge port that is its cable. */
    public record Host(String name, String namespace, String address, String bridgePort)
    {
    }

    /** Why this machine cannot run the network (not root, no ip, no namespaces), or null if it can. */
    public static String unavailableReason()
    {
        if (null == Shell.which("ip"))
        {
            return "the ip command (iproute2) is not installed";
        }
        if (!Shell.isRoot())
        {
            return "network namespaces need root and this JVM runs as uid " +
                Shell.run(Duration.ofSeconds(10), "id", "-u").stdout().strip();
        }
        final String probe = PREFIX + ProcessHandle.current().pid() + "-probe";
        final Shell.Result add = Shell.run(IP_TIMEOUT, "ip", "netns", "add", probe);
        if (!add.ok())
        {
            return "cannot create a network namespace: " + add.stderr().strip();
        }
        Shell.run(IP_TIMEOUT, "ip", "netns", "delete", probe);
        return null;
    }

    /** Deletes namespaces (and kills their processes) of earlier runs whose JVM is gone. */
    public static void removeStale()
    {
        for (final String namespace : list())
        {
            final String rest = namespace.substring(PREFIX.length());
            final int dash = rest.indexOf('-');
            long pid = -1;
            try
            {
                pid = Long.parseLong(dash < 0 ? rest : rest.substring(0, dash));
            }
            catch (final NumberFormatException ignored)
            {
                // Not one of ours after all: the prefix matched by chance; leave it alone.
                continue;
            }
            if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false))
            {
                continue;
            }
            System.out.println("NamespaceNetwork: removing stale namespace " + namespace + " of a run that died");
            delete(namespace);
        }
    }

    public NamespaceNetwork()
    {
        addNamespace(bridgeNamespace);
        ip("-n", bridgeNamespace, "link", "add", "br0", "type", "bridge");
        ip("-n", bridgeNamespace, "link", "set", "br0", "up");
    }

    /** Adds a host at {@code 10.77.0.<octet>} wired to the bridge; its loopback is up too. */
    public Host addHost(final String name, final int octet)
    {
        final String namespace = prefix + name;
        final String bridgePort = "p-" + name;
        final String address = SUBNET_PREFIX + octet;
        addNamespace(namespace);
        ip("link", "add", "eth0", "netns", namespace, "type", "veth", "peer", "name", bridgePort, "netns",
            bridgeNamespace);
        ip("-n", bridgeNamespace, "link", "set", bridgePort, "master", "br0");
        ip("-n", bridgeNamespace, "link", "set", bridgePort, "up");
        ip("-n", namespace, "addr", "add", address + "/24", "dev", "eth0");
        ip("-n", namespace, "link", "set", "eth0", "up");
        ip("-n", namespace, "link", "set", "lo", "up");
        final Host host = new Host(name, namespace, address, bridgePort);
        hosts.put(name, host);
        return host;
    }

    /** Pulls the host's cable at the switch: its bridge port goes down, every packet to or from it is lost. */
    public void cut(final Host host)
    {
        ip("-n", bridgeNamespace, "link", "set", host.bridgePort(), "down");
    }

    /** Plugs the cable back in. */
    public void heal(final Host host)
    {
        ip("-n", bridgeNamespace, "link", "set", host.bridgePort(), "up");
    }

    /** {@code command} run inside the host's namespace ({@code ip netns exec NS command...}). */
    public List<String> inHost(final Host host, final List<String> command)
    {
        final List<String> wrapped = new ArrayList<>(List.of(Shell.which("ip").toString(), "netns", "exec",
            host.namespace()));
        wrapped.addAll(command);
        return wrapped;
    }

    @Override
    public void close()
    {
        for (int i = namespaces.size() - 1; i >= 0; i--)
        {
            delete(namespaces.get(i));
        }
        namespaces.clear();
    }

    private void addNamespace(final String namespace)
    {
        ip("netns", "add", namespace);
        namespaces.add(namespace);
    }

    private static List<String> list()
    {
        final List<String> names = new ArrayList<>();
        for (final String line : Shell.run(IP_TIMEOUT, "ip", "netns", "list").stdout().split("\n"))
        {
            final String name = line.strip().split(" ")[0];
            if (name.startsWith(PREFIX))
            {
                names.add(name);
            }
        }
        return names;
    }

    /** Kills every process left in the namespace, then deletes it (its links go with it). */
    private static void delete(final String namespace)
    {
        final String pids = Shell.run(IP_TIMEOUT, "ip", "netns", "pids", namespace).stdout();
        for (final String pid : pids.split("\\s+"))
        {
            if (!pid.isBlank())
            {
                ProcessHandle.of(Long.parseLong(pid.strip())).ifPresent(ProcessHandle::destroyForcibly);
            }
        }
        for (final String pid : pids.split("\\s+"))
        {
            if (!pid.isBlank())
            {
                ProcessHandle.of(Long.parseLong(pid.strip())).ifPresent((p) -> p.onExit().orTimeout(
                    10, java.util.concurrent.TimeUnit.SECONDS).exceptionally((t) -> p).join());
            }
        }
        Shell.run(IP_TIMEOUT, "ip", "netns", "delete", namespace);
    }

    private static void ip(final String... args)
    {
        final List<String> command = new ArrayList<>(List.of("ip"));
        command.addAll(List.of(args));
        Shell.run(IP_TIMEOUT, Map.of(), command).check();
    }
}
