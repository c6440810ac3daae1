package io.shardkv.client;

import com.google.common.util.concurrent.ListenableFuture;
import io.shardkv.kv.proto.KvError;
import io.shardkv.kv.proto.KvServiceGrpc.KvServiceFutureStub;
import io.shardkv.kv.proto.RequestHeader;

/** One KV request as the retry loop sees it: where it goes, how to send it, its error. */
interface KvCall<R> {
    /**
     * The group to send to under {@code table}; 0 when the map has no owner for it yet (the
     * loop refreshes the map and retries). Throws a {@link KvException} to fail at once.
     */
    long group(RoutingTable table);

    /** Sends one attempt. Writes build their session here, with the current low mark. */
    ListenableFuture<R> send(KvServiceFutureStub stub, RequestHeader header);

    KvError error(R response);

    /** For messages: "put key 'k'" and the like. */
    String describe();

    /**
     * True when only a group's leader serves this call (writes, LINEARIZABLE and LEASE reads), so
     * that a server answering it is the leader; false for STALE reads, which any replica serves.
     */
    default boolean needsLeader() {
        return true;
    }

    /** The slots the request touches, whose epochs in the map go with it; none for a scan page. */
    default int[] slots() {
        return new int[0];
    }
}
