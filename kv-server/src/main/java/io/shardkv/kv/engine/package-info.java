/** The one KV RocksDB of a kv-server: key layout, slots, atomic batches, merged scans. */
package io.shardkv.kv.engine;
