package io.shardkv.meta.map;

import com.google.protobuf.InvalidProtocolBufferException;
import io.shardkv.meta.proto.ClusterMap;
import io.shardkv.meta.proto.ClusterShardgroupChangeRequest;
import io.shardkv.meta.proto.ServerInfo;
import io.shardkv.meta.proto.ShardGroupInfo;
import io.shardkv.meta.proto.ShardgroupMembersChangeRequest;
import io.shardkv.meta.proto.Task;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reads meta log entries in the format written before {@link MetaCommand}'s: a type byte (1 to
 * 11) followed by an admin API message. A meta-server upgraded in place replays such entries from
 * its log (and from a follower's, before the log is compacted past them); nothing writes them.
 */
final class LegacyMetaCommand {
    private LegacyMetaCommand() {
    }

    static MetaCommand decode(byte[] data) {
        byte type = data[0];
        byte[] body = Arrays.copyOfRange(data, 1, data.length);
        try {
            switch (type) {
                case 1 -> {
                    ServerInfo s = ServerInfo.parseFrom(body);
                    return MetaCommand.registerServer(s.getId(), s.getAddress(), s.getRaftAddress());
                }
                case 2 -> {
                    ServerInfo s = ServerInfo.parseFrom(body);
                    return MetaCommand.setServerState(s.getId(), s.getState());
                }
                case 3 -> {
                    List<List<Long>> groups = new ArrayList<>();
                    for (ShardGroupInfo g : ClusterMap.parseFrom(body).getGroupsList()) {
                        groups.add(g.getReplicasList().stream().map(r -> r.getServerId()).toList());
                    }
                    return MetaCommand.bootstrap(groups);
                }
                case 4 -> {
                    ClusterShardgroupChangeRequest r = ClusterShardgroupChangeRequest.parseFrom(body);
                    return MetaCommand.addGroup(r.getServerIdsList(), r.getConfigVersion());
                }
                case 5 -> {
                    ClusterShardgroupChangeRequest r = ClusterShardgroupChangeRequest.parseFrom(body);
                    return MetaCommand.removeGroup(r.getGroupId(), r.getConfigVersion());
                }
                case 6, 7, 11 -> {
                    ShardgroupMembersChangeRequest r = ShardgroupMembersChangeRequest.parseFrom(body);
                    return type == 6 ? MetaCommand.addMember(r.getGroupId(), r.getServerId(), r.getConfigVersion())
                            : type == 7 ? MetaCommand.removeMember(r.getGroupId(), r.getServerId(), r.getConfigVersion())
                            : MetaCommand.transferLeader(r.getGroupId(), r.getServerId(), r.getConfigVersion());
                }
                case 8 -> {
                    Task t = Task.parseFrom(body);
                    return MetaCommand.taskProgress(t.getId(), t.getStep(), t.getLastError(), "");
                }
                case 9 -> {
                    return MetaCommand.taskComplete(Task.parseFrom(body).getId());
                }
                case 10 -> {
                    Task t = Task.parseFrom(body);
                    return MetaCommand.taskFail(t.getId(), t.getLastError());
                }
                default -> throw new IllegalArgumentException("unknown meta command type " + type);
            }
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("malformed meta command of type " + type + ": " + e.getMessage(), e);
        }
    }
}
