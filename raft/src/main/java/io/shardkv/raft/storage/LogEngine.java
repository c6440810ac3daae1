package io.shardkv.raft.storage;

import io.shardkv.raft.core.ConfState;
import io.shardkv.raft.core.Snapshot;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a server's multi-raft runtime needs of its log engine: the logs and persisted state of
 * every group it hosts, written with one durable write per poller cycle. {@link RocksLogEngine}
 * is the one servers use; the runtime simulation has an in-memory one that loses what a
 * simulated crash interrupts.
 *
 * <p>Every write is durable when it returns and atomic: after a crash either all of it or none
 * of it is there. A write that does not fit a group's log changes nothing and throws {@link
 * IllegalStateException}; one the storage refused throws {@link LogEngineException} naming the
 * groups.
 */
public interface LogEngine {

    /**
     * Creates a group whose initial members are {@code initialMembers}, or with {@link
     * ConfState#EMPTY} a replica that will receive a snapshot from its leader.
     *
     * @throws IllegalStateException if the group already exists
     */
    GroupLog createGroup(long groupId, ConfState initialMembers);

    /** Creates an empty group: a replica added later, which starts from its leader's snapshot. */
    default GroupLog createGroup(long groupId) {
        return createGroup(groupId, ConfState.EMPTY);
    }

    /** The group's log, if the group exists. */
    Optional<? extends GroupLog> group(long groupId);

    /** The ids of all groups, in increasing order. */
    List<Long> groupIds();

    /** Deletes the group's log and state; its log object refuses all use afterwards. */
    void destroyGroup(long groupId);

    /**
     * Empties a group's log as if the replica had just been added, keeping its term and vote (so
     * it can never vote twice in a term). Its old log object refuses all use afterwards.
     */
    GroupLog resetGroup(long groupId);

    /**
     * The snapshot last installed into the group's log, with its data, if the log still starts
     * right after it: what a state machine found behind the log's start on restart restores.
     */
    Optional<Snapshot> installedSnapshot(long groupId);

    /** The data of every kept snapshot copy, by group: what must not be deleted before the groups open. */
    Map<Long, byte[]> keptSnapshotData();

    /** Makes everything in {@code batch} durable at once, then empties the batch (also on failure). */
    void write(LogBatch batch);

    /**
     * Deletes the group's entries up to and including {@code index}, which becomes the truncation
     * point; it must be within the log and not beyond the persisted commit.
     *
     * @throws IllegalArgumentException if {@code index} is outside those bounds
     */
    void compact(long groupId, long index);
}
