package io.shardkv.raft.runtime;

import io.shardkv.raft.core.RawNode;
import io.shardkv.raft.transport.GroupMessage;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * Maps group ids to their peers and delivers inputs to mailboxes, queueing a group for the
 * pollers when it goes from idle to having work. A full mailbox drops Raft messages (Raft
 * tolerates loss) but refuses client requests with SERVER_BUSY: a client is never dropped
 * silently.
 */
final class Router {
    private final Map<Long, GroupPeer> peers = new ConcurrentHashMap<>();
    /** Groups with work, each at most once (guarded by GroupPeer.scheduled). */
    private final BlockingQueue<GroupPeer> readyQueue = new LinkedBlockingQueue<>();
    private final RuntimeMetrics metrics;
    private final MailboxBytes mailboxBytes;

    private final Runnable workQueued;

    /** @param workQueued told each time a group is queued for the pollers */
    Router(RuntimeMetrics metrics, MailboxBytes mailboxBytes, Runnable workQueued) {
        this.metrics = metrics;
        this.mailboxBytes = mailboxBytes;
        this.workQueued = workQueued;
    }

    void register(GroupPeer peer) {
        if (peers.putIfAbsent(peer.groupId, peer) != null) {
            throw new IllegalArgumentException("group " + peer.groupId + " is already hosted here");
        }
        schedule(peer);
    }

    GroupPeer remove(long groupId) {
        return peers.remove(groupId);
    }

    GroupPeer peer(long groupId) {
        return peers.get(groupId);
    }

    Collection<GroupPeer> peers() {
        return peers.values();
    }

    BlockingQueue<GroupPeer> readyQueue() {
        return readyQueue;
    }

    /** Offers an input; returns false if the group is unknown, failed or its mailbox is full. */
    boolean deliver(long groupId, PeerInput input) {
        GroupPeer peer = peers.get(groupId);
        if (peer == null || peer.isFailed()) {
            return false;
        }
        return deliver(peer, input);
    }

    boolean deliver(GroupPeer peer, PeerInput input) {
        long bytes = MailboxBytes.weigh(input);
        if (!mailboxBytes.tryAcquire(peer, bytes)) {
            return false;
        }
        if (!peer.mailbox.offer(input)) {
            mailboxBytes.release(peer, bytes);
            return false;
        }
        schedule(peer);
        return true;
    }

    /** The next input of a group's mailbox, its bytes given back; null when empty. */
    PeerInput take(GroupPeer peer) {
        PeerInput input = peer.mailbox.poll();
        if (input != null) {
            mailboxBytes.release(peer, MailboxBytes.weigh(input));
        }
        return input;
    }

    /** Empties the mailbox of a group that stopped; what was in it is given back and returned. */
    java.util.List<PeerInput> drain(GroupPeer peer) {
        java.util.List<PeerInput> left = new java.util.ArrayList<>();
        PeerInput input;
        while ((input = take(peer)) != null) {
            left.add(input);
        }
        return left;
    }

    void schedule(GroupPeer peer) {
        if (peer.scheduled.compareAndSet(false, true)) {
            readyQueue.add(peer);
            workQueued.run();
        }
    }

    /**
     * Delivers messages from the network; a SNAPSHOT message that cannot be delivered has its
     * data (a reference to received files) handed to {@code undeliveredSnapshot}.
     */
    void onMessages(List<GroupMessage> messages, java.util.function.Consumer<byte[]> undeliveredSnapshot) {
        for (GroupMessage gm : messages) {
            if (!deliver(gm.groupId(), new PeerInput.Step(gm.message()))) {
                metrics.messageDropped();
                if (gm.message().snapshot() != null) {
                    undeliveredSnapshot.accept(gm.message().snapshot().data());
                }
            }
        }
    }

    /**
     * The node-level failure detector: a server stopped answering. Followers whose leader lives
     * there may be quiesced and would otherwise never notice; leaders stop pipelining to it.
     */
    void onServerUnreachable(long server) {
        for (GroupPeer peer : peers.values()) {
            GroupPeer.Summary s = peer.summary;
            if (s == null || peer.isFailed()) {
                continue;
            }
            if (s.leaderId() == server && s.leaderId() != RawNode.NONE) {
                if (deliver(peer, new PeerInput.LeaderDown())) {
                    metrics.leaderDown();
                }
            } else if (peer.isLeader()) {
                deliver(peer, new PeerInput.Unreachable(server));
            }
        }
    }
}
