/** One group's replicated KV state: the log command codec, exactly-once sessions, owned slots, snapshots. */
package io.shardkv.kv.state;
