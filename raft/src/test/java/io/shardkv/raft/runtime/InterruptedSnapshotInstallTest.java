package io.shardkv.raft.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardkv.raft.core.ConfState;
import io.shardkv.raft.core.HardState;
import io.shardkv.raft.core.SnapshotMetadata;
import io.shardkv.raft.proto.SnapshotRef;
import io.shardkv.raft.snapshot.SnapshotFixtures;
import io.shardkv.raft.snapshot.SnapshotStore;
import io.shardkv.raft.storage.LogBatch;
import io.shardkv.raft.storage.RocksLogEngine;
import io.shardkv.raft.testing.Await;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A server that died after installing a snapshot into its log but before its state machine
 * restored it: on restart the runtime restores the state machine from the snapshot the log kept,
 * and the group serves again (before, the server refused to start).
 */
class InterruptedSnapshotInstallTest {
    private static final long GROUP = 7;

    @TempDir
    Path dir;

    /** The image RecordingStateMachine restores: a count, then the commands. */
    private static byte[] image(String... commands) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(commands.length);
            for (String c : commands) {
                out.writeUTF(c);
            }
        }
        return bytes.toByteArray();
    }

    /** A snapshot of RecordingStateMachine's state, received into server 1's store as a transfer leaves it. */
    private SnapshotRef receivedOnServer1(SnapshotMetadata metadata, String... commands) throws IOException {
        SnapshotStore leader = SnapshotStore.open(dir.resolve("leader"));
        SnapshotRef built = SnapshotBuilder.writeToStore(leader, GROUP, metadata, new SmallStateImage(image(commands)));
        return SnapshotFixtures.receive(leader, built, SnapshotStore.open(dir.resolve("snapshots-1")));
    }

    @Test
    void theStateMachineIsRestoredFromTheKeptSnapshotAndTheGroupServes() throws Exception {
        ConfState alone = new ConfState(Set.of(1L), Set.of(), Set.of(), false);
        SnapshotMetadata metadata = new SnapshotMetadata(50, 3, alone);
        SnapshotRef kept = receivedOnServer1(metadata, "a", "b");
        SnapshotRef stray = receivedOnServer1(new SnapshotMetadata(60, 3, alone), "never", "installed");
        try (RocksLogEngine engine = RocksLogEngine.open(dir.resolve("server-1"))) {
            engine.createGroup(GROUP, alone);
            // What the poller writes when a snapshot arrives; then the process dies.
            engine.write(new LogBatch().installSnapshot(GROUP, metadata, kept.toByteArray())
                    .setHardState(GROUP, new HardState(3, 0, 50)));
            assertThat(engine.installedSnapshot(GROUP)).hasValueSatisfying(s -> {
                assertThat(s.index()).isEqualTo(50);
                assertThat(s.term()).isEqualTo(3);
            });
        }

        RuntimeTestCluster cluster = RuntimeTestCluster.inMemoryMachines(dir);
        try {
            cluster.restart(1);
            assertThat(cluster.machine(1, GROUP).commands()).containsExactly("a", "b");
            // Restored, the kept files went; a snapshot that arrived but was never installed went at start.
            SnapshotStore store = SnapshotStore.open(dir.resolve("snapshots-1"));
            assertThat(store.dirOf(kept)).doesNotExist();
            assertThat(store.dirOf(stray)).doesNotExist();
            cluster.awaitLeader(GROUP);
            cluster.server(1).propose(GROUP, "c".getBytes(StandardCharsets.UTF_8)).get();
            Await.until(RuntimeTestCluster.DEADLINE, () -> "the new command applied",
                    () -> cluster.machine(1, GROUP).commands().equals(List.of("a", "b", "c")));
        } finally {
            cluster.close();
        }
    }

    @Test
    void aLaterInstallWithoutDataOrACompactedLogKeepsNoStaleSnapshot() throws Exception {
        ConfState alone = new ConfState(Set.of(1L), Set.of(), Set.of(), false);
        try (RocksLogEngine engine = RocksLogEngine.open(dir.resolve("e"))) {
            engine.createGroup(GROUP, alone);
            engine.write(new LogBatch().installSnapshot(GROUP, new SnapshotMetadata(50, 3, alone),
                    receivedOnServer1(new SnapshotMetadata(50, 3, alone), "a").toByteArray()));
            assertThat(engine.installedSnapshot(GROUP)).isPresent();
            engine.write(new LogBatch().installSnapshot(GROUP, new SnapshotMetadata(60, 3, alone)));
            assertThat(engine.installedSnapshot(GROUP)).isEmpty();
            engine.destroyGroup(GROUP);
            engine.createGroup(GROUP, alone);
            assertThat(engine.installedSnapshot(GROUP)).isEmpty();
        }
    }
}
