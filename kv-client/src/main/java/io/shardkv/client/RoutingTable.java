package io.shardkv.client;

import io.shardkv.common.Slots;
import io.shardkv.meta.proto.ClusterMap;
import io.shardkv.meta.proto.Replica;
import io.shardkv.meta.proto.ReplicaRole;
import io.shardkv.meta.proto.ServerInfo;
import io.shardkv.meta.proto.ShardGroupInfo;
import io.shardkv.meta.proto.SlotInfo;
import io.shardkv.meta.proto.SlotState;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * What the client needs from one version of the cluster map, indexed for routing: slot to
 * group, group to voters, server to address. Immutable; a refresh builds a new one.
 */
final class RoutingTable {
    private final long version;
    // Invariant: slotGroup.length == slotEpoch.length == Slots.COUNT; 0 means no owner.
    private final long[] slotGroup;
    private final long[] slotEpoch;
    private final Map<Long, List<Long>> groupVoters;
    private final Map<Long, String> serverAddresses;
    private final List<Long> groupsWithSlots;

    private RoutingTable(long version, long[] slotGroup, long[] slotEpoch, Map<Long, List<Long>> groupVoters,
            Map<Long, String> serverAddresses, List<Long> groupsWithSlots) {
        this.version = version;
        this.slotGroup = slotGroup;
        this.slotEpoch = slotEpoch;
        this.groupVoters = groupVoters;
        this.serverAddresses = serverAddresses;
        this.groupsWithSlots = groupsWithSlots;
    }

    static RoutingTable from(ClusterMap map) {
        long[] slotGroup = new long[Slots.COUNT];
        long[] slotEpoch = new long[Slots.COUNT];
        TreeSet<Long> owners = new TreeSet<>();
        for (int slot = 0; slot < Math.min(map.getSlotsCount(), Slots.COUNT); slot++) {
            SlotInfo info = map.getSlots(slot);
            slotEpoch[slot] = info.getEpoch();
            // A MIGRATING slot is still served by its owner, which answers SLOT_MIGRATING
            // while it is frozen; IMPORTING entries name the source as owner the same way.
            if (info.getState() != SlotState.UNSET && info.getGroupId() != 0) {
                slotGroup[slot] = info.getGroupId();
                owners.add(info.getGroupId());
            }
        }
        Map<Long, List<Long>> voters = new HashMap<>();
        for (ShardGroupInfo group : map.getGroupsList()) {
            List<Long> ids = new ArrayList<>();
            for (Replica replica : group.getReplicasList()) {
                if (replica.getRole() == ReplicaRole.VOTER) {
                    ids.add(replica.getServerId());
                }
            }
            voters.put(group.getId(), List.copyOf(ids));
        }
        Map<Long, String> addresses = new HashMap<>();
        for (ServerInfo server : map.getServersList()) {
            // A server behind a published port or NAT advertises the address clients must dial.
            addresses.put(server.getId(), server.getClientAddress().isEmpty() ? server.getAddress()
                    : server.getClientAddress());
        }
        return new RoutingTable(map.getConfigVersion(), slotGroup, slotEpoch, Map.copyOf(voters), Map.copyOf(addresses),
                List.copyOf(owners));
    }

    long version() {
        return version;
    }

    /** The group owning {@code slot}, 0 when the slot has no owner in this map. */
    long groupOfSlot(int slot) {
        return slotGroup[slot];
    }

    /** The slot's epoch in this map: how many times its owner changed. */
    long epochOfSlot(int slot) {
        return slotEpoch[slot];
    }

    boolean hasGroup(long groupId) {
        return groupVoters.containsKey(groupId);
    }

    /** The group's voters in map order; empty for an unknown group. */
    List<Long> voters(long groupId) {
        return groupVoters.getOrDefault(groupId, List.of());
    }

    Optional<String> address(long serverId) {
        String address = serverAddresses.get(serverId);
        return address == null || address.isEmpty() ? Optional.empty() : Optional.of(address);
    }

    /** The slots {@code groupId} owns in this map, ascending. */
    List<Integer> slotsOf(long groupId) {
        List<Integer> out = new ArrayList<>();
        for (int slot = 0; slot < Slots.COUNT; slot++) {
            if (slotGroup[slot] == groupId) {
                out.add(slot);
            }
        }
        return out;
    }

    /** {@code slots} by their owner in this map (slots without an owner under 0), owners ascending. */
    java.util.SortedMap<Long, List<Integer>> owners(List<Integer> slots) {
        java.util.TreeMap<Long, List<Integer>> out = new java.util.TreeMap<>();
        for (int slot : slots) {
            out.computeIfAbsent(slotGroup[slot], g -> new ArrayList<>()).add(slot);
        }
        return out;
    }

    /** Groups owning at least one slot, ascending: the groups a full scan must read. */
    List<Long> groupsWithSlots() {
        return groupsWithSlots;
    }
}
