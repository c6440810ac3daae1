package io.shardkv.kv.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.shardkv.raft.core.ConfState;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every gauge a kv-server exports reads as a number, also after a garbage collection: Micrometer
 * holds a gauge's object weakly, and a gauge whose supplier nothing else holds reads NaN once it
 * is collected (as raft_groups and raft_transport_peers_unreachable did).
 */
class GaugeValuesTest {
    @TempDir
    Path dir;

    @Test
    void everyGaugeIsANumberAfterAGarbageCollection() throws Exception {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try (KvServer server = KvServer.start(KvServerConfig.local(1, dir.resolve("kv-1"), 50), registry)) {
            server.replicas().create(7, ConfState.ofVoters(1L));
            for (int i = 0; i < 3; i++) {
                System.gc();
            }
            List<String> gauges = new ArrayList<>();
            List<String> notNumbers = new ArrayList<>();
            String type = "";
            for (String line : registry.scrape().split("\n")) {
                if (line.startsWith("# TYPE ")) {
                    type = line.substring(line.lastIndexOf(' ') + 1);
                    continue;
                }
                if (line.startsWith("#") || line.isBlank() || !type.equals("gauge")) {
                    continue;
                }
                gauges.add(line);
                String value = line.substring(line.lastIndexOf(' ') + 1);
                if (!value.matches("-?[0-9.]+(E-?[0-9]+)?")) {
                    notNumbers.add(line);
                }
            }
            assertThat(gauges).as("gauges exported").anyMatch(l -> l.startsWith("raft_groups "))
                    .anyMatch(l -> l.startsWith("raft_transport_peers_unreachable "))
                    .anyMatch(l -> l.startsWith("shardkv_kv_groups "));
            assertThat(notNumbers).as("gauges that do not read as a number").isEmpty();
        }
    }
}
