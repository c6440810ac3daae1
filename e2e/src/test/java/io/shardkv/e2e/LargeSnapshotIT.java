package io.shardkv.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.shardkv.client.KvClient;
import io.shardkv.client.MetaAdmin;
import io.shardkv.kv.proto.ErrorCode;
import io.shardkv.kv.proto.GetRequest;
import io.shardkv.kv.proto.GetResponse;
import io.shardkv.kv.proto.KvServiceGrpc;
import io.shardkv.kv.proto.ReadConsistency;
import io.shardkv.kv.proto.RequestHeader;
import io.shardkv.meta.proto.ReplicaRole;
import io.shardkv.meta.proto.Task;
import io.shardkv.meta.proto.TaskState;
import io.shardkv.raft.testing.Await;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A group far larger than any server's heap gains a replica (DESIGN 2.5): 1 GiB in one group,
 * every kv-server at -Xmx256m, then {@code member add} of a fourth server whose process is killed
 * -9 while the snapshot streams in, and started again; then the sending leader is killed -9
 * mid-stream too, and started again. The snapshot is built, sent, received and
 * installed as files; no server runs out of memory, the new voter serves the data, and no
 * partial snapshot is left behind.
 */
class LargeSnapshotIT {
    private static final int KEYS = 65_536;
    private static final int VALUE_BYTES = 16 * 1024;
    private static final Duration DEADLINE = Duration.ofMinutes(3);

    @TempDir
    Path dir;
    private LocalCluster cluster;

    @AfterEach
    void down() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static String key(int i) {
        return String.format("big-%08d", i);
    }

    /** A value that says which key it belongs to, padded to VALUE_BYTES with bytes drawn from the key. */
    private static byte[] value(int i) {
        byte[] v = new byte[VALUE_BYTES];
        new Random(i).nextBytes(v);
        byte[] head = key(i).getBytes(StandardCharsets.UTF_8);
        System.arraycopy(head, 0, v, 0, head.length);
        return v;
    }

    @Test
    void aOneGibGroupGainsAReplicaWhileEveryServerHasA256MibHeap() throws Exception {
        cluster = LocalCluster.up(dir.resolve("cluster"), 3, 4, 1, 3, Map.of("SHARDKV_JAVA_OPTS", "-Xmx256m"));
        try (KvClient client = KvClient.builder().metaEndpoints(cluster.metaEndpoints()).security(cluster.clientSecurity())
                .requestDeadline(Duration.ofSeconds(60)).build()) {
            BulkLoad.put(client, KEYS, 64, LargeSnapshotIT::key, LargeSnapshotIT::value);
            MetaAdmin admin = client.admin();
            // The one kv-server of the four that the group was not placed on.
            long newServer = LongStream.rangeClosed(1, 4).filter(id -> admin.getClusterMap().getGroups(0)
                    .getReplicasList().stream().noneMatch(r -> r.getServerId() == id)).findFirst().orElseThrow();
            String receiver = "kv-" + newServer;
            long task = admin.addMember(1, newServer).getTaskId();

            // Once a good part of the snapshot is on the new server's disk, kill it; the leader sends again.
            Path incoming = cluster.dir.resolve(receiver).resolve("snapshots").resolve("tmp");
            Await.until(DEADLINE, () -> "64 MiB of the snapshot written on " + receiver + " under " + incoming,
                    () -> bytesUnder(incoming) >= 64L << 20);
            cluster.kill(receiver);
            cluster.start(receiver);
            // And once the leader streams it again, kill the sender: another leader sends its own.
            Await.until(DEADLINE, () -> "64 MiB of the snapshot written again on " + receiver,
                    () -> bytesUnder(incoming) >= 64L << 20);
            long sender = leaderOf(admin, 1);
            cluster.kill("kv-" + sender);
            cluster.start("kv-" + sender);

            Task done = admin.awaitTask(task, DEADLINE);
            assertThat(done.getState()).as("member add: %s", done).isEqualTo(TaskState.DONE);
            assertThat(admin.getClusterMap().getGroups(0).getReplicasList())
                    .anyMatch(r -> r.getServerId() == newServer && r.getRole() == ReplicaRole.VOTER);
            assertStaleReadsOnTheNewVoter(newServer);
        }
        assertThat(cluster.logTails()).doesNotContain("OutOfMemoryError");
        for (int n = 1; n <= 4; n++) {
            assertThat(logOf("kv-" + n)).as("kv-%d's log", n).doesNotContain("OutOfMemoryError");
        }
        for (int n = 1; n <= 4; n++) {
            Path snapshots = cluster.dir.resolve("kv-" + n).resolve("snapshots");
            assertThat(bytesUnder(snapshots.resolve("tmp")) + bytesUnder(snapshots.resolve("received")))
                    .as("snapshot files being received or installed on kv-%d after the install", n).isZero();
        }
    }

    private static long leaderOf(MetaAdmin admin, long groupId) {
        long[] leader = new long[1];
        Await.until(DEADLINE, () -> "a leader for group " + groupId, () -> {
            leader[0] = admin.clusterStatus().getLeadersList().stream()
                    .filter(l -> l.getGroupId() == groupId).mapToLong(l -> l.getLeaderServerId()).findFirst().orElse(0);
            return leader[0] != 0;
        });
        return leader[0];
    }


    /** Sampled keys, read STALE from the new voter itself, hold exactly what was written. */
    private void assertStaleReadsOnTheNewVoter(long serverId) {
        ManagedChannel channel = Grpc.newChannelBuilder(cluster.kvClientAddress(serverId), cluster.clientSecurity().forKvServers()).maxInboundMessageSize(64 << 20).build();
        try {
            KvServiceGrpc.KvServiceBlockingStub stub = KvServiceGrpc.newBlockingStub(channel);
            Random random = new Random(5);
            for (int n = 0; n < 200; n++) {
                int i = n == 0 ? KEYS - 1 : random.nextInt(KEYS);
                GetRequest request = GetRequest.newBuilder()
                        .setHeader(RequestHeader.newBuilder().setGroupId(1).setTimeoutMillis(5_000))
                        .setKey(ByteString.copyFromUtf8(key(i))).setConsistency(ReadConsistency.STALE).build();
                GetResponse r = stub.withDeadlineAfter(10, TimeUnit.SECONDS).get(request);
                assertThat(r.getError().getCode()).as("STALE get of %s on kv-%d: %s", key(i), serverId, r.getError())
                        .isEqualTo(ErrorCode.OK);
                assertThat(r.getFound()).as("%s on kv-%d", key(i), serverId).isTrue();
                assertThat(r.getValue().toByteArray()).as("%s on kv-%d", key(i), serverId).isEqualTo(value(i));
            }
        } finally {
            channel.shutdownNow();
        }
    }

    private String logOf(String name) throws IOException {
        return Files.readString(cluster.dir.resolve(name).resolve("server.log"));
    }

    private static long bytesUnder(Path root) {
        if (!Files.exists(root)) {
            return 0;
        }
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(Files::isRegularFile).mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (IOException e) {
                    return 0; // deleted while we looked
                }
            }).sum();
        } catch (IOException | UncheckedIOException e) {
            return 0;
        }
    }
}
