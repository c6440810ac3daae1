package io.shardkv.chaos;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The directed links between servers that drop every packet. A link {@code a -> b} is one
 * {@code OUTPUT -d b -j DROP} rule in {@code a}'s namespace, so a two-way cut is two links and a
 * one-way drop is one. The driver's own address (clients, admin calls) is never cut.
 */
final class Cut {
    /** Packets from {@code from} to {@code to} are dropped. */
    record Link(Node from, Node to) {
    }

    static final Cut NONE = new Cut(Set.of());

    private final Set<Link> links;

    private Cut(Set<Link> links) {
        this.links = Set.copyOf(links);
    }

    /** Every link between the two sides, both ways. */
    static Cut between(Collection<Node> a, Collection<Node> b) {
        return oneWay(a, b).plus(oneWay(b, a));
    }

    /** Every link from a node of {@code from} to a node of {@code to}, that direction only. */
    static Cut oneWay(Collection<Node> from, Collection<Node> to) {
        Set<Link> links = new LinkedHashSet<>();
        for (Node f : from) {
            for (Node t : to) {
                if (!f.equals(t)) {
                    links.add(new Link(f, t));
                }
            }
        }
        return new Cut(links);
    }

    Cut plus(Cut other) {
        Set<Link> all = new LinkedHashSet<>(links);
        all.addAll(other.links);
        return new Cut(all);
    }

    boolean isEmpty() {
        return links.isEmpty();
    }

    Set<Link> links() {
        return links;
    }

    /**
     * The {@code iptables-restore} input that makes {@code node}'s filter table exactly this cut's
     * rules for it (an empty table when it has none).
     */
    String rulesFor(Node node) {
        StringBuilder sb = new StringBuilder("*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n");
        links.stream().filter(l -> l.from().equals(node)).map(l -> l.to().address()).sorted().distinct()
                .forEach(address -> sb.append("-A OUTPUT -d ").append(address).append("/32 -j DROP\n"));
        return sb.append("COMMIT\n").toString();
    }

    /** For the log: {@code kv-1 -> kv-2, meta-1} per sending node. */
    @Override
    public String toString() {
        Map<String, List<String>> bySender = new TreeMap<>();
        for (Link l : links) {
            bySender.computeIfAbsent(l.from().name(), k -> new ArrayList<>()).add(l.to().name());
        }
        List<String> parts = new ArrayList<>();
        bySender.forEach((from, to) -> parts.add(from + " -/-> " + String.join(",", to.stream().sorted().toList())));
        return parts.isEmpty() ? "no cut" : String.join("; ", parts);
    }
}
