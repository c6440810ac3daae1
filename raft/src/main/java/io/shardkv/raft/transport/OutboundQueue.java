package io.shardkv.raft.transport;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The messages waiting for one destination, bounded by count and by payload bytes. When full
 * it drops the OLDEST messages: Raft tolerates loss, and the newest messages carry the
 * freshest terms, commits and heartbeat rounds. Thread-safe; pollers add, a sender drains.
 */
final class OutboundQueue {
    /** What a message costs beyond its entries: envelope and fixed fields, roughly. */
    static final long MESSAGE_OVERHEAD_BYTES = 64;

    private final int maxMessages;
    private final long maxBytes;
    private final ArrayDeque<GroupMessage> messages = new ArrayDeque<>();
    // Invariant: bytes == sum of sizeOf(m) over messages; messages.size() <= maxMessages and
    // bytes <= maxBytes after every public method, except that one message larger than
    // maxBytes may sit alone in the queue.
    private long bytes;

    OutboundQueue(int maxMessages, long maxBytes) {
        if (maxMessages <= 0 || maxBytes <= 0) {
            throw new IllegalArgumentException("queue bounds must be positive: " + maxMessages + ", " + maxBytes);
        }
        this.maxMessages = maxMessages;
        this.maxBytes = maxBytes;
    }

    static long sizeOf(GroupMessage m) {
        return m.message().payloadBytes() + MESSAGE_OVERHEAD_BYTES;
    }

    /** Appends all messages in order; returns how many (older) messages were dropped to fit. */
    synchronized int offerAll(List<GroupMessage> batch) {
        for (GroupMessage m : batch) {
            messages.addLast(m);
            bytes += sizeOf(m);
        }
        int dropped = 0;
        while (messages.size() > maxMessages || (bytes > maxBytes && messages.size() > 1)) {
            bytes -= sizeOf(messages.removeFirst());
            dropped++;
        }
        return dropped;
    }

    /**
     * Takes messages from the head, in order, until their sizes reach {@code budgetBytes}; at
     * least one message if any is queued, so a large message is never stuck.
     */
    synchronized List<GroupMessage> drain(long budgetBytes) {
        List<GroupMessage> out = new ArrayList<>(Math.min(messages.size(), 1024));
        long taken = 0;
        while (!messages.isEmpty()) {
            long size = sizeOf(messages.peekFirst());
            if (!out.isEmpty() && taken + size > budgetBytes) {
                break;
            }
            out.add(messages.removeFirst());
            bytes -= size;
            taken += size;
        }
        return out;
    }

    /** Empties the queue; returns how many messages it held. */
    synchronized int clear() {
        int n = messages.size();
        messages.clear();
        bytes = 0;
        return n;
    }

    synchronized boolean isEmpty() {
        return messages.isEmpty();
    }

    synchronized int size() {
        return messages.size();
    }

    synchronized long bytes() {
        return bytes;
    }
}
