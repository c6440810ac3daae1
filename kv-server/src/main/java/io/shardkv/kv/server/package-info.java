/**
 * Wiring of a kv-server: its settings, raft runtime, gRPC services and periodic tasks. The
 * replicas themselves live in {@code kv.replica}.
 */
package io.shardkv.kv.server;
