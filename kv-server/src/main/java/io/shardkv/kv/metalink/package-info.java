/** The kv-server's link to the meta-server: leader-finding client, heartbeats, the watched cluster map. */
package io.shardkv.kv.metalink;
