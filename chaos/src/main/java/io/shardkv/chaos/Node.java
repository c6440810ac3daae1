package io.shardkv.chaos;

/**
 * One server's place in the test network: its own namespace with one address on the hub's bridge.
 *
 * @param name      the server's name, {@code meta-1} or {@code kv-3}
 * @param namespace the network namespace it runs in, e.g. {@code skvc0-k3}
 * @param address   its one IPv4 address, which it binds and advertises
 */
record Node(String name, String namespace, String address) {
    boolean isMeta() {
        return name.startsWith("meta-");
    }

    /** The server id: 3 for {@code kv-3}. */
    long id() {
        return Long.parseLong(name.substring(name.indexOf('-') + 1));
    }

    @Override
    public String toString() {
        return name;
    }
}
