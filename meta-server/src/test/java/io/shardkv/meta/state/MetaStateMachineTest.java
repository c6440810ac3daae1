package io.shardkv.meta.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.shardkv.meta.map.MetaCommand;
import io.shardkv.meta.proto.ClusterMap;
import io.shardkv.meta.proto.ClusterShardgroupChangeResponse;
import io.shardkv.meta.proto.MetaErrorCode;
import io.shardkv.raft.core.ConfState;
import io.shardkv.raft.core.Entry;
import io.shardkv.raft.runtime.SnapshotBuilder;
import io.shardkv.raft.snapshot.SnapshotFiles;
import io.shardkv.raft.snapshot.SnapshotStore;
import java.io.IOException;
import io.shardkv.raft.core.SnapshotMetadata;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetaStateMachineTest {
    @TempDir
    Path dir;

    private static Entry entry(long index, MetaCommand c) {
        return Entry.normal(1, index, c.encode());
    }

    private static ClusterShardgroupChangeResponse result(byte[] bytes) throws Exception {
        return ClusterShardgroupChangeResponse.parseFrom(bytes);
    }

    @Test
    void appliesCommandsWithTypedResultsAndSkipsNonCommands() throws Exception {
        try (MetaStateMachine sm = MetaStateMachine.open(dir, 100)) {
            List<ClusterMap> seen = new ArrayList<>();
            sm.addListener(seen::add);
            List<byte[]> results = sm.apply(List.of(
                    Entry.noOp(1, 1),
                    entry(2, MetaCommand.registerServer(1, "h:1", "h:2")),
                    entry(3, MetaCommand.removeGroup(5, 0)),
                    Entry.normal(1, 4, new byte[] {42})));
            assertThat(results).hasSize(4);
            assertThat(results.get(0)).isEmpty();
            assertThat(result(results.get(1)).getError().getCode()).isEqualTo(MetaErrorCode.OK);
            assertThat(result(results.get(1)).getConfigVersion()).isEqualTo(1);
            assertThat(result(results.get(2)).getError().getCode()).isEqualTo(MetaErrorCode.NOT_FOUND);
            assertThat(result(results.get(3)).getError().getCode()).isEqualTo(MetaErrorCode.INVALID_ARGUMENT);
            assertThat(sm.appliedIndex()).isEqualTo(4);
            assertThat(sm.currentMap().getServersCount()).isEqualTo(1);
            assertThat(seen).extracting(ClusterMap::getConfigVersion).containsExactly(1L);
        }
    }

    @Test
    void durableIndexAdvancesWithSyncedWritesAndReopenResumes() {
        try (MetaStateMachine sm = MetaStateMachine.open(dir, 10)) {
            for (long i = 1; i <= 9; i++) {
                sm.apply(List.of(entry(i, MetaCommand.registerServer(i, "h:" + i, "r:" + i))));
            }
            assertThat(sm.durableAppliedIndex()).isZero();
            sm.apply(List.of(entry(10, MetaCommand.registerServer(10, "h:10", "r:10"))));
            assertThat(sm.durableAppliedIndex()).isEqualTo(10);
            sm.apply(List.of(entry(11, MetaCommand.registerServer(11, "h:11", "r:11"))));
            assertThat(sm.durableAppliedIndex()).isEqualTo(10);
        }
        try (MetaStateMachine reopened = MetaStateMachine.open(dir, 10)) {
            assertThat(reopened.appliedIndex()).isEqualTo(11);
            assertThat(reopened.durableAppliedIndex()).isEqualTo(11);
            assertThat(reopened.currentMap().getServersCount()).isEqualTo(11);
            assertThat(reopened.currentMap().getConfigVersion()).isEqualTo(11);
            assertThatThrownBy(() -> reopened.apply(List.of(entry(11, MetaCommand.registerServer(1, "a:1", "b:1")))))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("already applied");
        }
    }

    @Test
    void snapshotRestoresIntoAnotherReplica() throws IOException {
        SnapshotFiles image;
        SnapshotMetadata metadata = new SnapshotMetadata(7, 2, ConfState.ofVoters(1L, 2L, 3L));
        SnapshotStore store = SnapshotStore.open(dir.resolve("snapshots"));
        ClusterMap original;
        try (MetaStateMachine sm = MetaStateMachine.open(dir.resolve("a"), 100)) {
            sm.apply(List.of(entry(1, MetaCommand.registerServer(1, "h:1", "r:1")),
                    entry(2, MetaCommand.addGroup(List.of(1L), 0))));
            image = store.files(SnapshotBuilder.writeToStore(store, 1, metadata, sm.captureImage()));
            original = sm.currentMap();
        }
        try (MetaStateMachine other = MetaStateMachine.open(dir.resolve("b"), 100)) {
            List<ClusterMap> seen = new ArrayList<>();
            other.addListener(seen::add);
            other.restore(metadata, image);
            assertThat(other.currentMap()).isEqualTo(original);
            assertThat(other.appliedIndex()).isEqualTo(7);
            assertThat(other.durableAppliedIndex()).isEqualTo(7);
            assertThat(seen).containsExactly(original);
        }
        try (MetaStateMachine reopened = MetaStateMachine.open(dir.resolve("b"), 100)) {
            assertThat(reopened.currentMap()).isEqualTo(original);
            assertThat(reopened.appliedIndex()).isEqualTo(7);
        }
    }
}
