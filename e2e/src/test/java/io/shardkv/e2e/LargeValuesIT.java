package io.shardkv.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.shardkv.client.BatchOp;
import io.shardkv.client.BatchResult;
import io.shardkv.client.KvClient;
import io.shardkv.client.KvException;
import io.shardkv.client.KvPair;
import io.shardkv.kv.proto.ErrorCode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Large values at a small heap (DESIGN 2.5): with its kv-server at -Xmx256m, a scan over 1,000
 * values of 1 MiB comes back in pages bounded in bytes, a batch read of large values works, and
 * one that would answer more than the limit is refused with a clear error instead of
 * exhausting the server's heap.
 */
class LargeValuesIT {
    private static final int VALUES = 1_000;
    private static final int VALUE_BYTES = 1 << 20;

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
        return String.format("v-%04d", i);
    }

    private static byte[] value(int i) {
        byte[] v = new byte[VALUE_BYTES];
        new Random(i).nextBytes(v);
        return v;
    }

    @Test
    void aScanOverAThousandOneMibValuesAndLargeBatchReadsWorkAtA256MibHeap() throws Exception {
        cluster = LocalCluster.up(dir.resolve("cluster"), 1, 1, 1, 1, Map.of("SHARDKV_JAVA_OPTS", "-Xmx256m"));
        try (KvClient client = KvClient.builder().metaEndpoints(cluster.metaEndpoints()).security(cluster.clientSecurity())
                .requestDeadline(Duration.ofSeconds(60)).build()) {
            BulkLoad.put(client, VALUES, 8, LargeValuesIT::key, LargeValuesIT::value);

            Iterator<KvPair> scan = client.scan("v-", "v-~");
            int n = 0;
            while (scan.hasNext()) {
                KvPair pair = scan.next();
                assertThat(new String(pair.key(), StandardCharsets.UTF_8)).isEqualTo(key(n));
                assertThat(pair.value()).as("value of %s", key(n)).isEqualTo(value(n));
                n++;
            }
            assertThat(n).isEqualTo(VALUES);

            List<BatchOp> eight = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                eight.add(BatchOp.get(key(100 + i)));
            }
            List<BatchResult> got = client.batch(eight);
            for (int i = 0; i < 8; i++) {
                assertThat(got.get(i).value()).isEqualTo(value(100 + i));
            }
            List<BatchOp> twenty = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                twenty.add(BatchOp.get(key(200 + i)));
            }
            assertThatThrownBy(() -> client.batch(twenty)).isInstanceOfSatisfying(KvException.class, e -> {
                assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
                assertThat(e.getMessage()).contains("smaller batches");
            });
        }
        assertThat(Files.readString(cluster.dir.resolve("kv-1").resolve("server.log"))).doesNotContain("OutOfMemoryError");
    }
}
