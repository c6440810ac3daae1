/** Wiring of a kv-server: hosted replicas, their raft runtime, gRPC, periodic tasks. */
package io.shardkv.kv.server;
