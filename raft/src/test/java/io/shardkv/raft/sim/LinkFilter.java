package io.shardkv.raft.sim;

import java.util.Collection;
import java.util.HashSet;
import java.util.Set;

/**
 * Which directed links of the simulated network are cut. A symmetric partition cuts both
 * directions; an asymmetric one cuts only one, which is the case that trips up leases and
 * failure detectors (a leader that can send but not hear, or the reverse).
 */
public final class LinkFilter {
    private record Link(long from, long to) {
    }

    private final Set<Link> blocked = new HashSet<>();

    public boolean isBlocked(long from, long to) {
        return !blocked.isEmpty() && blocked.contains(new Link(from, to));
    }

    /** Cuts the link from {@code from} to {@code to} only. */
    public void block(long from, long to) {
        if (from != to) {
            blocked.add(new Link(from, to));
        }
    }

    public void unblock(long from, long to) {
        blocked.remove(new Link(from, to));
    }

    /** Cuts every link between {@code node} and {@code others}, both ways. */
    public void isolate(long node, Collection<Long> others) {
        for (long other : others) {
            block(node, other);
            block(other, node);
        }
    }

    /** Cuts every link between the two sides, both ways. */
    public void split(Collection<Long> sideA, Collection<Long> sideB) {
        for (long a : sideA) {
            for (long b : sideB) {
                block(a, b);
                block(b, a);
            }
        }
    }

    public void healAll() {
        blocked.clear();
    }

    public int blockedCount() {
        return blocked.size();
    }

    @Override
    public String toString() {
        return blocked.isEmpty() ? "healed" : blocked.size() + " links cut";
    }
}
