package io.shardkv.kv.migration;

import com.google.common.net.HostAndPort;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.shardkv.security.ClientSecurity;
import io.shardkv.common.HostPorts;
import io.shardkv.common.Limits;
import io.shardkv.kv.metalink.ClusterView;
import io.shardkv.kv.proto.ErrorCode;
import io.shardkv.kv.proto.KvAdminGrpc;
import io.shardkv.kv.proto.PullRequest;
import io.shardkv.kv.proto.PullResponse;
import io.shardkv.meta.proto.Replica;
import io.shardkv.meta.proto.ServerInfo;
import io.shardkv.meta.proto.ShardGroupInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Pulls pages of a migration from the source group's replicas (KvAdmin.Pull). Any replica that
 * applied the migration's BEGIN can answer, so there is no leader to find: it keeps to the one
 * that answered last and moves to the next replica of the map on any failure. Channels are kept
 * per address and shared by the server's importers. Thread-safe.
 */
public final class SourcePuller implements PullSource, AutoCloseable {
    private static final long PULL_DEADLINE_MILLIS = 10_000;

    private final ClusterView view;
    private final long selfId;
    private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();
    // Pulls go to kv-servers only: a source must show a kv-server's certificate.
    private final ChannelCredentials credentials;

    public SourcePuller(ClusterView view, long selfId, ClientSecurity security) {
        this.credentials = security.forKvServers();
        this.view = view;
        this.selfId = selfId;
    }

    /** The replica to ask next, per source group (an index into its replicas in the map). */
    private final Map<Long, Integer> preferred = new ConcurrentHashMap<>();

    /**
     * Sends {@code request} to a replica of its group; a replica that cannot answer (unreachable,
     * no such migration yet) is skipped for the next.
     *
     * @throws PullException when no replica answered; the message says what each one said
     */
    @Override
    public PullResponse pull(PullRequest request) throws PullException {
        long group = request.getGroupId();
        List<String> addresses = addresses(group);
        if (addresses.isEmpty()) {
            throw new PullException("the map (version " + view.version() + ") lists no replica of source group "
                    + group);
        }
        int start = preferred.getOrDefault(group, 0);
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < addresses.size(); i++) {
            int index = Math.floorMod(start + i, addresses.size());
            String address = addresses.get(index);
            try {
                PullResponse r = KvAdminGrpc.newBlockingStub(channel(address))
                        .withDeadlineAfter(PULL_DEADLINE_MILLIS, TimeUnit.MILLISECONDS).pull(request);
                if (r.getError().getCode() == ErrorCode.OK) {
                    preferred.put(group, index);
                    return r;
                }
                failures.add(address + ": " + r.getError().getCode() + " " + r.getError().getMessage());
            } catch (StatusRuntimeException e) {
                failures.add(address + ": " + e.getStatus().getCode() + " " + e.getStatus().getDescription());
            }
        }
        preferred.put(group, Math.floorMod(start + 1, addresses.size()));
        throw new PullException("no replica of source group " + group + " answered " + request.getKind() + ": "
                + failures);
    }

    /** The KvAdmin addresses of the group's replicas in the map, this server's own first if it hosts one. */
    private List<String> addresses(long group) {
        List<String> out = new ArrayList<>();
        for (ShardGroupInfo g : view.map().getGroupsList()) {
            if (g.getId() != group) {
                continue;
            }
            for (Replica r : g.getReplicasList()) {
                for (ServerInfo s : view.map().getServersList()) {
                    if (s.getId() == r.getServerId() && !s.getAddress().isEmpty()) {
                        if (s.getId() == selfId) {
                            out.add(0, s.getAddress());
                        } else {
                            out.add(s.getAddress());
                        }
                    }
                }
            }
        }
        return out;
    }

    private ManagedChannel channel(String address) {
        return channels.computeIfAbsent(address, a -> {
            HostAndPort hp = HostPorts.parse(a, false);
            return Grpc.newChannelBuilderForAddress(hp.getHost(), hp.getPort(), credentials)
                    .maxInboundMessageSize(Limits.MAX_MESSAGE_BYTES).build();
        });
    }

    @Override
    public void close() {
        channels.values().forEach(ManagedChannel::shutdownNow);
        channels.clear();
    }

    /** No source replica answered a pull. */
    public static final class PullException extends Exception {
        public PullException(String message) {
            super(message);
        }
    }
}
