package io.shardkv.client;

import io.shardkv.common.Slots;
import io.shardkv.meta.proto.ClusterMap;
import io.shardkv.meta.proto.GroupLeader;
import io.shardkv.meta.proto.Replica;
import io.shardkv.meta.proto.ReplicaRole;
import io.shardkv.meta.proto.ServerInfo;
import io.shardkv.meta.proto.ServerState;
import io.shardkv.meta.proto.ShardGroupInfo;
import io.shardkv.meta.proto.SlotInfo;
import io.shardkv.meta.proto.SlotState;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A small cluster of test servers for the client tests: kv servers ({@link TestKvServer}),
 * shard groups ({@link TestGroup}) and meta servers ({@link TestMetaServer}), the first of
 * which leads unless told otherwise.
 */
public final class TestCluster implements AutoCloseable {
    private final Map<Long, TestKvServer> servers = new ConcurrentHashMap<>();
    private final Map<Long, TestGroup> groups = new ConcurrentHashMap<>();
    private final List<TestMetaServer> metas = new ArrayList<>();
    private final AtomicLong version = new AtomicLong(1);
    private volatile boolean publishLeaders = true;
    private volatile boolean advertiseOnly;

    /** {@code groupCount} groups of {@code replicas} over {@code serverCount} servers, slots split evenly. */
    public static TestCluster start(int serverCount, int groupCount, int replicas, int metaCount) throws IOException {
        TestCluster cluster = new TestCluster();
        for (long id = 1; id <= serverCount; id++) {
            cluster.servers.put(id, new TestKvServer(id, cluster));
        }
        for (long g = 1; g <= groupCount; g++) {
            List<Long> members = new ArrayList<>();
            for (int r = 0; r < replicas; r++) {
                members.add(((g - 1 + r) % serverCount) + 1);
            }
            TestGroup group = new TestGroup(g, members);
            int from = (int) ((g - 1) * Slots.COUNT / groupCount);
            int to = (int) (g * Slots.COUNT / groupCount);
            for (int slot = from; slot < to; slot++) {
                group.slots().add(slot);
            }
            cluster.groups.put(g, group);
        }
        for (int i = 0; i < metaCount; i++) {
            cluster.metas.add(new TestMetaServer(cluster, i == 0));
        }
        return cluster;
    }

    public TestGroup group(long id) {
        return groups.get(id);
    }

    TestGroup groupOfKey(String key) {
        int slot = Slots.of(key.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        for (TestGroup group : groups.values()) {
            if (group.ownsSlot(slot)) {
                return group;
            }
        }
        throw new IllegalStateException("no group owns slot " + slot);
    }

    TestKvServer server(long id) {
        return servers.get(id);
    }

    /** Starts a closed server again on its old port (the map keeps its address). */
    void restartServer(long id, int port) throws IOException {
        servers.put(id, new TestKvServer(id, this, port));
    }

    public List<TestMetaServer> metas() {
        return metas;
    }

    long version() {
        return version.get();
    }

    /** Whether GetClusterMap carries leader hints (without, clients must find leaders themselves). */
    /**
     * Publishes each server's real address only as its advertised client address, with an
     * address nothing listens on in its place (as for a server behind a published port).
     */
    void advertiseOnly() {
        advertiseOnly = true;
        version.incrementAndGet();
    }

    void publishLeaders(boolean publish) {
        publishLeaders = publish;
    }

    /** Moves a slot between groups, bumps its epoch and the map version. */
    void moveSlot(int slot, long from, long to) {
        groups.get(from).slots().remove(slot);
        groups.get(to).slots().add(slot);
        epochs.merge(slot, 1L, Long::sum);
        version.incrementAndGet();
    }

    /**
     * Moves a slot as the groups see it, before the meta-server's map does: the old group answers
     * WRONG_GROUP naming the new owner and epoch, the map still names the old group.
     */
    void moveSlotAheadOfTheMap(int slot, long from, long to, long epoch) {
        groups.get(from).slots().remove(slot);
        groups.get(from).givenAway.put(slot, new long[] {to, epoch});
        groups.get(to).slots().add(slot);
    }

    /** Each moved slot's epoch (the others are at 0). */
    private final java.util.Map<Integer, Long> epochs = new java.util.concurrent.ConcurrentHashMap<>();

    void addGroup(TestGroup group) {
        groups.put(group.id(), group);
        version.incrementAndGet();
    }

    void removeGroup(long id) {
        groups.remove(id);
        version.incrementAndGet();
    }

    public String metaEndpoints() {
        List<String> endpoints = new ArrayList<>();
        for (TestMetaServer meta : metas) {
            endpoints.add(meta.address());
        }
        return String.join(",", endpoints);
    }

    ClusterMap map() {
        ClusterMap.Builder map = ClusterMap.newBuilder().setConfigVersion(version.get());
        for (TestKvServer server : servers.values()) {
            map.addServers(ServerInfo.newBuilder().setId(server.id())
                    .setAddress(advertiseOnly ? "127.0.0.1:1" : server.address())
                    .setClientAddress(advertiseOnly ? server.address() : "")
                    .setRaftAddress("127.0.0.1:1").setState(ServerState.SERVER_RUNNING));
        }
        SlotInfo[] slots = new SlotInfo[Slots.COUNT];
        for (TestGroup group : groups.values()) {
            ShardGroupInfo.Builder info = ShardGroupInfo.newBuilder().setId(group.id());
            for (long member : group.members()) {
                info.addReplicas(Replica.newBuilder().setServerId(member).setRole(ReplicaRole.VOTER));
            }
            map.addGroups(info);
            for (int slot : group.slots()) {
                slots[slot] = SlotInfo.newBuilder().setState(SlotState.RUNNING).setGroupId(group.id())
                        .setEpoch(epochs.getOrDefault(slot, 0L)).build();
            }
        }
        for (SlotInfo slot : slots) {
            map.addSlots(slot == null ? SlotInfo.getDefaultInstance() : slot);
        }
        return map.build();
    }

    List<GroupLeader> leaders() {
        List<GroupLeader> leaders = new ArrayList<>();
        if (publishLeaders) {
            for (TestGroup group : groups.values()) {
                leaders.add(GroupLeader.newBuilder().setGroupId(group.id()).setLeaderServerId(group.leaderId())
                        .setTerm(2).build());
            }
        }
        return leaders;
    }

    @Override
    public void close() throws InterruptedException {
        for (TestKvServer server : servers.values()) {
            server.close();
        }
        for (TestMetaServer meta : metas) {
            meta.close();
        }
    }
}
