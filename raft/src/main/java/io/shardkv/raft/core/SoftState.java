package io.shardkv.raft.core;

/** Volatile state worth telling the owner about when it changes; never persisted. */
public record SoftState(long leaderId, Role role) {
}
