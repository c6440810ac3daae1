package io.shardkv.meta.map;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.shardkv.meta.proto.ClusterMap;
import io.shardkv.meta.proto.ClusterShardgroupChangeRequest;
import io.shardkv.meta.proto.ServerInfo;
import io.shardkv.meta.proto.ServerState;
import io.shardkv.meta.proto.ShardGroupInfo;
import io.shardkv.meta.proto.ShardgroupMembersChangeRequest;
import io.shardkv.meta.proto.Task;
import java.util.Arrays;
import java.util.List;

/**
 * One change to the cluster map, as it travels through the meta Raft log: a type byte followed
 * by a serialized protobuf message of the meta protocol. The proto files stay untouched; the
 * type byte says which message follows and what to do with it.
 *
 * @param type    what the command does
 * @param payload its argument; the message class is fixed per type
 */
public record MetaCommand(Type type, Message payload) {

    /** The commands, with their wire byte. Bytes are persisted in the log: never renumber. */
    public enum Type {
        /** Payload {@link ServerInfo}: registers a server or updates its addresses. */
        REGISTER_SERVER(1),
        /** Payload {@link ServerInfo} (id, state): marks a server RUNNING or DOWN. */
        SET_SERVER_STATE(2),
        /** Payload {@link ClusterMap} with only groups (their replicas): the initial layout. */
        BOOTSTRAP(3),
        /** Payload {@link ClusterShardgroupChangeRequest} with the chosen server_ids. */
        ADD_GROUP(4),
        /** Payload {@link ClusterShardgroupChangeRequest} (group_id, config_version). */
        REMOVE_GROUP(5),
        /** Payload {@link ShardgroupMembersChangeRequest}. */
        ADD_MEMBER(6),
        /** Payload {@link ShardgroupMembersChangeRequest}. */
        REMOVE_MEMBER(7),
        /** Payload {@link Task} (id, step, last_error): the scheduler's progress on a task. */
        TASK_PROGRESS(8),
        /** Payload {@link Task} (id): the task's last step succeeded; its map effect applies. */
        TASK_COMPLETE(9),
        /** Payload {@link Task} (id, last_error): the task cannot be carried out. */
        TASK_FAIL(10),
        /** Payload {@link ShardgroupMembersChangeRequest}: the new leader of the group. */
        TRANSFER_LEADER(11);

        final byte code;

        Type(int code) {
            this.code = (byte) code;
        }

        static Type ofCode(byte code) {
            for (Type t : values()) {
                if (t.code == code) {
                    return t;
                }
            }
            throw new IllegalArgumentException("unknown meta command type " + code);
        }
    }

    public MetaCommand {
        if (type == null || payload == null) {
            throw new IllegalArgumentException("command type and payload are required");
        }
    }

    public static MetaCommand registerServer(long id, String address, String raftAddress) {
        return new MetaCommand(Type.REGISTER_SERVER, ServerInfo.newBuilder().setId(id).setAddress(address)
                .setRaftAddress(raftAddress).build());
    }

    public static MetaCommand setServerState(long id, ServerState state) {
        return new MetaCommand(Type.SET_SERVER_STATE, ServerInfo.newBuilder().setId(id).setState(state).build());
    }

    /** The initial groups, each given as its voter server ids. */
    public static MetaCommand bootstrap(List<List<Long>> groupVoters) {
        ClusterMap.Builder b = ClusterMap.newBuilder();
        for (List<Long> voters : groupVoters) {
            ShardGroupInfo.Builder g = ShardGroupInfo.newBuilder();
            voters.forEach(id -> g.addReplicasBuilder().setServerId(id));
            b.addGroups(g);
        }
        return new MetaCommand(Type.BOOTSTRAP, b.build());
    }

    public static MetaCommand addGroup(List<Long> serverIds, long configVersion) {
        return new MetaCommand(Type.ADD_GROUP, ClusterShardgroupChangeRequest.newBuilder().addAllServerIds(serverIds)
                .setConfigVersion(configVersion).build());
    }

    public static MetaCommand removeGroup(long groupId, long configVersion) {
        return new MetaCommand(Type.REMOVE_GROUP, ClusterShardgroupChangeRequest.newBuilder().setGroupId(groupId)
                .setConfigVersion(configVersion).build());
    }

    public static MetaCommand addMember(long groupId, long serverId, long configVersion) {
        return new MetaCommand(Type.ADD_MEMBER, ShardgroupMembersChangeRequest.newBuilder().setGroupId(groupId)
                .setServerId(serverId).setConfigVersion(configVersion).build());
    }

    public static MetaCommand removeMember(long groupId, long serverId, long configVersion) {
        return new MetaCommand(Type.REMOVE_MEMBER, ShardgroupMembersChangeRequest.newBuilder().setGroupId(groupId)
                .setServerId(serverId).setConfigVersion(configVersion).build());
    }

    public static MetaCommand transferLeader(long groupId, long serverId, long configVersion) {
        return new MetaCommand(Type.TRANSFER_LEADER, ShardgroupMembersChangeRequest.newBuilder().setGroupId(groupId)
                .setServerId(serverId).setConfigVersion(configVersion).build());
    }

    public static MetaCommand taskProgress(long taskId, String step, String lastError) {
        return new MetaCommand(Type.TASK_PROGRESS, Task.newBuilder().setId(taskId).setStep(step)
                .setLastError(lastError).build());
    }

    public static MetaCommand taskComplete(long taskId) {
        return new MetaCommand(Type.TASK_COMPLETE, Task.newBuilder().setId(taskId).build());
    }

    public static MetaCommand taskFail(long taskId, String why) {
        return new MetaCommand(Type.TASK_FAIL, Task.newBuilder().setId(taskId).setLastError(why).build());
    }

    public byte[] encode() {
        byte[] body = payload.toByteArray();
        byte[] out = new byte[body.length + 1];
        out[0] = type.code;
        System.arraycopy(body, 0, out, 1, body.length);
        return out;
    }

    /** Decodes a log entry's data; throws {@link IllegalArgumentException} for bytes no command encodes to. */
    public static MetaCommand decode(byte[] data) {
        if (data.length == 0) {
            throw new IllegalArgumentException("empty meta command");
        }
        Type type = Type.ofCode(data[0]);
        byte[] body = Arrays.copyOfRange(data, 1, data.length);
        try {
            return new MetaCommand(type, parse(type, body));
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("malformed " + type + " command: " + e.getMessage(), e);
        }
    }

    private static Message parse(Type type, byte[] body) throws InvalidProtocolBufferException {
        switch (type) {
            case REGISTER_SERVER:
            case SET_SERVER_STATE:
                return ServerInfo.parseFrom(body);
            case BOOTSTRAP:
                return ClusterMap.parseFrom(body);
            case ADD_GROUP:
            case REMOVE_GROUP:
                return ClusterShardgroupChangeRequest.parseFrom(body);
            case ADD_MEMBER:
            case REMOVE_MEMBER:
            case TRANSFER_LEADER:
                return ShardgroupMembersChangeRequest.parseFrom(body);
            case TASK_PROGRESS:
            case TASK_COMPLETE:
            case TASK_FAIL:
                return Task.parseFrom(body);
            default:
                throw new IllegalStateException("no payload parser for " + type);
        }
    }

    @Override
    public String toString() {
        return type + "{" + payload.toString().replace('\n', ' ').trim() + "}";
    }
}
