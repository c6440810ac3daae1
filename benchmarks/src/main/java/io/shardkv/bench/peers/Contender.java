package io.shardkv.bench.peers;

import java.util.List;

/** A running store under test: its client and the processes whose CPU it costs. */
interface Contender extends AutoCloseable {

    String name();

    StoreClient client();

    /** The store's server processes, for their CPU time. */
    List<Long> serverPids();

    /** Stops the client and the servers and deletes their data. Safe to call twice. */
    @Override
    void close();
}
