package io.shardkv.raft.transport;

import java.time.Instant;
import java.util.Optional;

/**
 * What one server's transport knows about a peer, for status pages.
 *
 * @param serverId          the peer
 * @param address           where the directory says it listens, if it is there
 * @param dialer            true if this server dials the peer (it has the lower id); false if
 *                          it waits for the peer to dial
 * @param reachable         true while a stream to the peer is open and greeted
 * @param since             when {@code reachable} last changed (or the transport started)
 * @param reconnectAttempts failed dials since the stream was last up (0 for the accepting side)
 * @param queuedMessages    messages waiting for the peer
 * @param droppedMessages   messages for the peer dropped since the transport started
 */
public record PeerStatus(long serverId, Optional<PeerAddress> address, boolean dialer, boolean reachable,
                         Instant since, int reconnectAttempts, int queuedMessages, long droppedMessages) {
}
