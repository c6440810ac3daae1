package io.shardkv.raft.runtime;

import io.shardkv.raft.core.Message;
import io.shardkv.raft.core.ReadMode;
import io.shardkv.raft.core.confchange.ConfChange;
import java.util.concurrent.CompletableFuture;

/** Something for a group's poller to hand its core: everything a group does enters here. */
sealed interface PeerInput {
    /** Wakes a group so its poller runs the ticks its {@link TickClock} says are due. */
    record Tick() implements PeerInput {
        static final Tick INSTANCE = new Tick();
    }

    record Step(Message message) implements PeerInput {
    }

    /** {@code queuedNanos}: when it was handed to the group, to time its wait in the mailbox. */
    record Propose(byte[] command, CompletableFuture<byte[]> result, long queuedNanos) implements PeerInput {
        Propose(byte[] command, CompletableFuture<byte[]> result) {
            this(command, result, System.nanoTime());
        }
    }

    record ProposeConfChange(ConfChange change, CompletableFuture<byte[]> result, long queuedNanos)
            implements PeerInput {
        ProposeConfChange(ConfChange change, CompletableFuture<byte[]> result) {
            this(change, result, System.nanoTime());
        }
    }

    record ReadIndex(ReadMode mode, CompletableFuture<Long> result) implements PeerInput {
    }

    record TransferLeader(long target, CompletableFuture<Void> result) implements PeerInput {
    }

    record Unreachable(long replica) implements PeerInput {
    }

    record SnapshotStatus(long replica, boolean success) implements PeerInput {
    }

    record LeaderDown() implements PeerInput {
    }

    /** Compact the log up to an index the state machine has made durable. */
    record Compact(long index) implements PeerInput {
    }

    record Status(CompletableFuture<io.shardkv.raft.core.RaftStatus> result) implements PeerInput {
    }
}
