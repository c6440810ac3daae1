package io.shardkv.raft.transport;

import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The addresses of the servers this server talks to, by server id. The cluster map feeds it
 * and may change it at any time: a transport listens and redials a peer whose address moved.
 * Thread-safe.
 */
public final class PeerDirectory {

    /** Told about every change, on the thread that made it; must not block. */
    @FunctionalInterface
    public interface Listener {
        /** {@code serverId} now listens at {@code address}, or left the directory if empty. */
        void onPeerChanged(long serverId, Optional<PeerAddress> address);
    }

    private final Map<Long, PeerAddress> addresses = new ConcurrentHashMap<>();
    private final CopyOnWriteArrayList<Listener> listeners = new CopyOnWriteArrayList<>();

    /** Sets the address of a server; listeners hear of it only if it changed. */
    public void put(long serverId, PeerAddress address) {
        if (serverId <= 0) {
            throw new IllegalArgumentException("server ids start at 1, got " + serverId);
        }
        PeerAddress previous = addresses.put(serverId, address);
        if (!address.equals(previous)) {
            listeners.forEach(l -> l.onPeerChanged(serverId, Optional.of(address)));
        }
    }

    /** Forgets a server: transports stop dialing it and drop what they hold for it. */
    public void remove(long serverId) {
        if (addresses.remove(serverId) != null) {
            listeners.forEach(l -> l.onPeerChanged(serverId, Optional.empty()));
        }
    }

    public Optional<PeerAddress> lookup(long serverId) {
        return Optional.ofNullable(addresses.get(serverId));
    }

    /** A copy of the directory, ordered by server id. */
    public Map<Long, PeerAddress> snapshot() {
        return new TreeMap<>(addresses);
    }

    public void addListener(Listener listener) {
        listeners.add(listener);
    }

    public void removeListener(Listener listener) {
        listeners.remove(listener);
    }
}
