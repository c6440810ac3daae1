package io.shardkv.raft.runtime;

import io.shardkv.raft.core.Role;

/**
 * A group's state as last published by its poller: cheap to read from any thread.
 *
 * @param failure why the group stopped, or null while it runs
 */
public record GroupSummary(long groupId, Role role, long term, long leaderId, long commit, long applied,
                           long lastIndex, boolean quiesced, String failure) {
}
