package io.shardkv.meta.map;

import com.google.protobuf.InvalidProtocolBufferException;
import io.shardkv.meta.proto.AddGroup;
import io.shardkv.meta.proto.Bootstrap;
import io.shardkv.meta.proto.MemberChange;
import io.shardkv.meta.proto.MetaLogCommand;
import io.shardkv.meta.proto.MoveAbort;
import io.shardkv.meta.proto.MoveCommit;
import io.shardkv.meta.proto.MoveSlots;
import io.shardkv.meta.proto.RegisterServer;
import io.shardkv.meta.proto.RemoveGroup;
import io.shardkv.meta.proto.ServerState;
import io.shardkv.meta.proto.SetServerState;
import io.shardkv.meta.proto.ShardGroupInfo;
import io.shardkv.meta.proto.TaskComplete;
import io.shardkv.meta.proto.TaskFail;
import io.shardkv.meta.proto.TaskProgress;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * One change to the cluster map, as it travels through the meta Raft log: a {@link MetaLogCommand},
 * whose oneof says which change it is ({@code meta_log.proto}).
 *
 * <p>On the log an entry is a format byte, {@link #FORMAT}, then the command. Logs written before
 * this format began with a command type byte (1 to 11) and an admin API message; those still
 * decode ({@link LegacyMetaCommand}), so a meta-server upgraded in place replays its own log.
 *
 * @param proto the command
 */
public record MetaCommand(MetaLogCommand proto) {

    /** The first byte of every entry in this format; no legacy type byte is 0. */
    static final byte FORMAT = 0;

    public MetaCommand {
        Objects.requireNonNull(proto, "proto");
        if (proto.getCommandCase() == MetaLogCommand.CommandCase.COMMAND_NOT_SET) {
            throw new IllegalArgumentException("a meta command must say what it does");
        }
    }

    /** Which change this is, for logs and dispatch. */
    public MetaLogCommand.CommandCase type() {
        return proto.getCommandCase();
    }

    public static MetaCommand registerServer(long id, String address, String raftAddress) {
        return registerServer(id, address, raftAddress, "");
    }

    /** A server's addresses; {@code clientAddress} empty when clients use {@code address}. */
    public static MetaCommand registerServer(long id, String address, String raftAddress, String clientAddress) {
        return of(MetaLogCommand.newBuilder().setRegisterServer(RegisterServer.newBuilder().setId(id)
                .setAddress(address).setRaftAddress(raftAddress).setClientAddress(clientAddress)));
    }

    public static MetaCommand setServerState(long id, ServerState state) {
        return of(MetaLogCommand.newBuilder().setSetServerState(SetServerState.newBuilder().setId(id).setState(state)));
    }

    /** The initial groups, each given as its voter server ids. */
    public static MetaCommand bootstrap(List<List<Long>> groupVoters) {
        Bootstrap.Builder b = Bootstrap.newBuilder();
        for (List<Long> voters : groupVoters) {
            ShardGroupInfo.Builder g = ShardGroupInfo.newBuilder();
            voters.forEach(id -> g.addReplicasBuilder().setServerId(id));
            b.addGroups(g);
        }
        return of(MetaLogCommand.newBuilder().setBootstrap(b));
    }

    public static MetaCommand addGroup(List<Long> serverIds, long configVersion) {
        return of(MetaLogCommand.newBuilder().setAddGroup(AddGroup.newBuilder().addAllServerIds(serverIds)
                .setConfigVersion(configVersion)));
    }

    public static MetaCommand removeGroup(long groupId, long configVersion) {
        return of(MetaLogCommand.newBuilder().setRemoveGroup(RemoveGroup.newBuilder().setGroupId(groupId)
                .setConfigVersion(configVersion)));
    }

    public static MetaCommand addMember(long groupId, long serverId, long configVersion) {
        return of(MetaLogCommand.newBuilder().setAddMember(member(groupId, serverId, configVersion)));
    }

    public static MetaCommand removeMember(long groupId, long serverId, long configVersion) {
        return of(MetaLogCommand.newBuilder().setRemoveMember(member(groupId, serverId, configVersion)));
    }

    public static MetaCommand transferLeader(long groupId, long serverId, long configVersion) {
        return of(MetaLogCommand.newBuilder().setTransferLeader(member(groupId, serverId, configVersion)));
    }

    /** The task finished {@code step}. */
    public static MetaCommand taskProgress(long taskId, String step) {
        return taskProgress(taskId, step, "", "");
    }

    /** The task stands at {@code step}; its last attempt failed with {@code lastError} ({@code lastErrorCode}). */
    public static MetaCommand taskProgress(long taskId, String step, String lastError, String lastErrorCode) {
        return of(MetaLogCommand.newBuilder().setTaskProgress(TaskProgress.newBuilder().setId(taskId).setStep(step)
                .setLastError(lastError).setLastErrorCode(lastErrorCode)));
    }

    public static MetaCommand taskComplete(long taskId) {
        return of(MetaLogCommand.newBuilder().setTaskComplete(TaskComplete.newBuilder().setId(taskId)));
    }

    public static MetaCommand taskFail(long taskId, String why) {
        return of(MetaLogCommand.newBuilder().setTaskFail(TaskFail.newBuilder().setId(taskId).setLastError(why)));
    }

    /** Plans moving {@code slots} to {@code targetGroupId}: a MOVE_SLOTS task per group they come from. */
    public static MetaCommand moveSlots(List<Integer> slots, long targetGroupId, long configVersion) {
        return of(MetaLogCommand.newBuilder().setMoveSlots(MoveSlots.newBuilder().addAllSlots(slots)
                .setTargetGroupId(targetGroupId).setConfigVersion(configVersion)));
    }

    /** The slots of MOVE_SLOTS task {@code taskId} change owner. */
    public static MetaCommand moveCommit(long taskId) {
        return of(MetaLogCommand.newBuilder().setMoveCommit(MoveCommit.newBuilder().setTaskId(taskId)));
    }

    /** MOVE_SLOTS task {@code taskId} is to be undone, for {@code reason}. */
    public static MetaCommand moveAbort(long taskId, String reason) {
        return of(MetaLogCommand.newBuilder().setMoveAbort(MoveAbort.newBuilder().setTaskId(taskId).setReason(reason)));
    }

    private static MemberChange member(long groupId, long serverId, long configVersion) {
        return MemberChange.newBuilder().setGroupId(groupId).setServerId(serverId).setConfigVersion(configVersion)
                .build();
    }

    private static MetaCommand of(MetaLogCommand.Builder b) {
        return new MetaCommand(b.build());
    }

    public byte[] encode() {
        byte[] body = proto.toByteArray();
        byte[] out = new byte[body.length + 1];
        out[0] = FORMAT;
        System.arraycopy(body, 0, out, 1, body.length);
        return out;
    }

    /** Decodes a log entry's data; throws {@link IllegalArgumentException} for bytes no command encodes to. */
    public static MetaCommand decode(byte[] data) {
        if (data.length == 0) {
            throw new IllegalArgumentException("empty meta command");
        }
        if (data[0] != FORMAT) {
            return LegacyMetaCommand.decode(data);
        }
        try {
            return new MetaCommand(MetaLogCommand.parseFrom(Arrays.copyOfRange(data, 1, data.length)));
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("malformed meta command: " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return type() + " " + proto.toString().replace('\n', ' ').trim();
    }
}
