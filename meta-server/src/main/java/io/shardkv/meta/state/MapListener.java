package io.shardkv.meta.state;

import io.shardkv.meta.proto.ClusterMap;

/** Told about every new map right after it is applied (on the apply thread: must not block). */
@FunctionalInterface
public interface MapListener {
    void onMapApplied(ClusterMap map);
}
