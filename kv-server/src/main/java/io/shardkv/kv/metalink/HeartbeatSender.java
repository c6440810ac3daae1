package io.shardkv.kv.metalink;

import io.shardkv.client.MetaCaller;
import io.shardkv.client.MetaException;
import io.shardkv.meta.proto.GroupReport;
import io.shardkv.meta.proto.HeartbeatRequest;
import io.shardkv.meta.proto.HeartbeatResponse;
import io.shardkv.meta.proto.MetaErrorCode;
import io.shardkv.raft.runtime.GroupSummary;
import io.shardkv.raft.runtime.RaftServer;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends {@code MetaService.Heartbeat} with this server's addresses and one report per hosted
 * group. {@link #beat()} is run periodically by the server's scheduler.
 */
public final class HeartbeatSender {
    private static final Logger LOG = LoggerFactory.getLogger(HeartbeatSender.class);

    private final MetaCaller client;
    private final RaftServer raft;
    private final String address;
    private final String raftAddress;
    private final String clientAddress;
    private final Supplier<Iterable<Long>> groups;
    private final long deadlineMillis;
    private volatile long lastSuccessNanos;
    private volatile boolean everSucceeded;
    private boolean warned;

    /**
     * @param clientAddress what clients should dial when not {@code address} (an advertised
     *                      address), or empty
     */
    public HeartbeatSender(MetaCaller client, RaftServer raft, String address, String raftAddress,
                           String clientAddress, Supplier<Iterable<Long>> groups, long deadlineMillis) {
        this.client = client;
        this.raft = raft;
        this.address = address;
        this.raftAddress = raftAddress;
        this.clientAddress = clientAddress;
        this.groups = groups;
        this.deadlineMillis = deadlineMillis;
    }

    /** Sends one heartbeat; failures are logged once per outage, and retried next interval. */
    public void beat() {
        HeartbeatRequest.Builder b = HeartbeatRequest.newBuilder().setServerId(raft.serverId()).setAddress(address)
                .setRaftAddress(raftAddress).setClientAddress(clientAddress);
        for (long g : groups.get()) {
            Optional<GroupSummary> s = raft.summary(g);
            s.ifPresent(summary -> b.addGroups(GroupReport.newBuilder().setGroupId(g).setRole(summary.role().name())
                    .setTerm(summary.term()).setLeaderId(summary.leaderId()).setCommit(summary.commit())
                    .setApplied(summary.applied()).setLastIndex(summary.lastIndex())
                    .setFailure(summary.failure() == null ? "" : summary.failure())));
        }
        HeartbeatRequest request = b.build();
        try {
            HeartbeatResponse r = client.firstAnswer("Heartbeat", Duration.ofMillis(deadlineMillis),
                    stub -> stub.heartbeat(request), HeartbeatResponse::getError);
            if (r.getError().getCode() == MetaErrorCode.OK) {
                lastSuccessNanos = System.nanoTime();
                everSucceeded = true;
                if (warned) {
                    LOG.info("heartbeats to the meta-server succeed again");
                    warned = false;
                }
                return;
            }
            warnOnce("heartbeat refused: " + r.getError().getCode() + " " + r.getError().getMessage());
        } catch (MetaException e) {
            warnOnce(e.getMessage());
        }
    }

    private void warnOnce(String message) {
        if (!warned) {
            LOG.warn("heartbeat to the meta-server failed: {}", message);
            warned = true;
        }
    }

    /** Milliseconds since the last accepted heartbeat, or -1 if none was accepted yet. */
    public long lastSuccessAgeMillis() {
        return everSucceeded ? (System.nanoTime() - lastSuccessNanos) / 1_000_000 : -1;
    }
}
