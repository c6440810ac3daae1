package io.shardkv.chaos;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The test network, all of it made and removed here: a hub namespace ({@code skvcN-hub}) holding a
 * bridge; one namespace per server ({@code skvcN-m1}, {@code skvcN-k3}, ...) joined to the bridge by
 * a veth pair, with one address in {@code 10.77.N.0/24}; and one veth pair from the driver's own
 * namespace to the bridge ({@code skvcN-link}, address {@code 10.77.N.1}), through which the
 * driver's clients reach every server.
 *
 * <p>{@code bin/kv-chaos} runs the driver in a namespace of its own ({@code skvcN-drv}, named by
 * {@code SHARDKV_CHAOS_DRIVER_NS}) with no other route, so nothing it sends can leave these
 * namespaces, not even after the link is gone, and the root namespace is not touched. (Run
 * without the script, the driver's link is in the root namespace.) The bridge lives in its own
 * namespace too, so that no host firewall (a FORWARD policy of DROP, as Docker leaves it, with
 * bridged traffic passed through iptables) sees server-to-server traffic. Cuts are
 * {@code iptables} rules inside the servers' namespaces: they vanish with them.
 *
 * <p>Every name starts with the prefix {@code skvcN-}: {@link #removeAll} removes whatever an
 * earlier run with the same N left (killing the processes still in its namespaces), except the
 * driver's own namespace, and is what both the start and the end of a run call.
 */
final class Network {
    private final int net;
    private final String prefix;
    /** The namespace the driver runs in, which it must neither empty nor delete; empty when it is the root one. */
    private final String driverNamespace;
    private final List<Node> nodes = new ArrayList<>();
    /** The rules each namespace holds now, so a change rewrites only the tables that change. */
    private final Map<Node, String> installed = new HashMap<>();

    /** @param net 0..99: the namespace prefix {@code skvcN-} and the subnet {@code 10.77.N.0/24} */
    Network(int net) {
        if (net < 0 || net > 99) {
            throw new IllegalArgumentException("net must be in 0..99, got " + net);
        }
        this.net = net;
        this.prefix = "skvc" + net + "-";
        this.driverNamespace = System.getenv().getOrDefault("SHARDKV_CHAOS_DRIVER_NS", "");
    }

    /** The address of the driver's end, where its clients are. */
    String driverAddress() {
        return "10.77." + net + ".1";
    }

    /** meta-i gets 10.77.N.(10+i), kv-j gets 10.77.N.(100+j). */
    Node node(String name) {
        boolean meta = name.startsWith("meta-");
        int id = Integer.parseInt(name.substring(name.indexOf('-') + 1));
        if (id < 1 || (meta && id > 9) || (!meta && id > 99)) {
            throw new IllegalArgumentException("no address for " + name + ": at most 9 meta-servers and 99 kv-servers");
        }
        return new Node(name, prefix + (meta ? "m" : "k") + id, "10.77." + net + "." + ((meta ? 10 : 100) + id));
    }

    /** Creates the hub, the driver's link and one namespace per node. Call {@link #removeAll} first. */
    void create(List<Node> servers) {
        String hub = prefix + "hub";
        Shell.run("ip", "netns", "add", hub);
        Shell.run("ip", "netns", "exec", hub, "ip", "link", "set", "lo", "up");
        Shell.run("ip", "netns", "exec", hub, "ip", "link", "add", "br0", "type", "bridge");
        Shell.run("ip", "netns", "exec", hub, "ip", "link", "set", "br0", "up");
        String driverLink = prefix + "link";
        Shell.run("ip", "link", "add", driverLink, "type", "veth", "peer", "name", "driver", "netns", hub);
        Shell.run("ip", "addr", "add", driverAddress() + "/24", "dev", driverLink);
        Shell.run("ip", "link", "set", driverLink, "up");
        Shell.run("ip", "netns", "exec", hub, "ip", "link", "set", "driver", "master", "br0", "up");
        for (Node node : servers) {
            String port = node.namespace().substring(prefix.length());
            Shell.run("ip", "netns", "add", node.namespace());
            Shell.run("ip", "netns", "exec", hub, "ip", "link", "add", port, "type", "veth",
                    "peer", "name", "eth0", "netns", node.namespace());
            Shell.run("ip", "netns", "exec", hub, "ip", "link", "set", port, "master", "br0", "up");
            Shell.run("ip", "netns", "exec", node.namespace(), "ip", "addr", "add", node.address() + "/24", "dev", "eth0");
            Shell.run("ip", "netns", "exec", node.namespace(), "ip", "link", "set", "eth0", "up");
            Shell.run("ip", "netns", "exec", node.namespace(), "ip", "link", "set", "lo", "up");
            nodes.add(node);
            installed.put(node, Cut.NONE.rulesFor(node));
        }
    }

    /** Makes {@code cut} the whole set of dropped links: rules of an earlier cut that are not in it go. */
    void apply(Cut cut) {
        for (Node node : nodes) {
            String rules = cut.rulesFor(node);
            if (!rules.equals(installed.get(node))) {
                Shell.runWithInput(rules, "ip", "netns", "exec", node.namespace(), "iptables-restore");
                installed.put(node, rules);
            }
        }
    }

    /** Removes every cut. */
    void heal() {
        apply(Cut.NONE);
    }

    /**
     * Kills every process in a namespace of this prefix and deletes the namespaces and the driver's
     * link; quiet when there is nothing to remove. Returns what it removed, for the log.
     */
    List<String> removeAll() {
        List<String> removed = new ArrayList<>();
        for (String ns : namespaces()) {
            Shell.Result pids = Shell.tryRun(null, "ip", "netns", "pids", ns);
            for (String pid : pids.output().split("\\s+")) {
                if (pid.matches("[0-9]+")) {
                    // SIGCONT too: a stopped process dies of SIGKILL anyway, but say what we mean.
                    Shell.tryRun(null, "kill", "-KILL", pid);
                    removed.add("process " + pid + " in " + ns);
                }
            }
        }
        for (String ns : namespaces()) {
            Shell.Result r = Shell.tryRun(null, "ip", "netns", "del", ns);
            if (!r.ok()) {
                throw new ChaosException("cannot delete namespace " + ns + ": " + r.output().strip());
            }
            removed.add("namespace " + ns);
        }
        String driverLink = prefix + "link";
        if (Shell.tryRun(null, "ip", "link", "show", driverLink).ok()) {
            Shell.tryRun(null, "ip", "link", "del", driverLink);
            removed.add("link " + driverLink);
        }
        nodes.clear();
        installed.clear();
        return removed;
    }

    private List<String> namespaces() {
        List<String> found = new ArrayList<>();
        for (String line : Shell.run("ip", "netns", "list").split("\n")) {
            String name = line.strip().split("\\s+")[0];
            if (name.startsWith(prefix) && !name.equals(driverNamespace)) {
                found.add(name);
            }
        }
        return found;
    }
}
