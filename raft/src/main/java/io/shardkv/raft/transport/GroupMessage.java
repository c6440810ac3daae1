package io.shardkv.raft.transport;

import io.shardkv.raft.core.Message;

/** A Raft message with the group it belongs to; replica ids are server ids. */
public record GroupMessage(long groupId, Message message) {
}
