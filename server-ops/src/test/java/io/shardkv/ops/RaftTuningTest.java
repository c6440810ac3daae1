package io.shardkv.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.shardkv.raft.runtime.RuntimeConfig;
import io.shardkv.raft.storage.RocksLogEngineConfig;
import io.shardkv.raft.transport.GrpcTransportConfig;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The Raft settings reach the runtime, the log engine and the transport, and bad ones are refused at once. */
class RaftTuningTest {

    private static RaftTuning read(String... flags) {
        return RaftTuning.from(Settings.load(RaftTuning.KEYS, flags, Map.of()));
    }

    @Test
    void withNothingSetEveryConfigIsTheLibrarysDefault() {
        RaftTuning t = read();
        assertThat(t).isEqualTo(RaftTuning.defaults());
        assertThat(t.runtime(3)).isEqualTo(RuntimeConfig.defaults(3));
        assertThat(t.logEngine()).isEqualTo(RocksLogEngineConfig.defaults());
        assertThat(t.transport(GrpcTransportConfig.builder()).build())
                .isEqualTo(GrpcTransportConfig.builder().build());
    }

    @Test
    void everySettingReachesItsConfig() {
        RaftTuning t = read("--tick-millis", "50", "--peer-silence-millis", "900", "--poller-threads", "3",
                "--apply-threads", "4", "--mailbox-capacity", "1000", "--election-ticks", "20", "--heartbeat-ticks", "3",
                "--max-inflight-msgs", "64", "--max-inflight-bytes", "1000000", "--max-append-bytes", "500000",
                "--max-uncommitted-bytes", "9000000", "--log-retained-entries", "5000",
                "--entry-cache-bytes-per-group", "2048", "--entry-cache-bytes", "4096",
                "--snapshot-chunk-bytes", "65536", "--max-snapshot-bytes", "100000000",
                "--snapshot-timeout-millis", "60000", "--snapshot-sends", "3", "--snapshot-receives", "5");

        RuntimeConfig runtime = t.runtime(7);
        assertThat(runtime.serverId()).isEqualTo(7);
        assertThat(runtime.tickMillis()).isEqualTo(50);
        assertThat(runtime.pollerThreads()).isEqualTo(3);
        assertThat(runtime.applyThreads()).isEqualTo(4);
        assertThat(runtime.mailboxCapacity()).isEqualTo(1000);
        assertThat(runtime.raft().electionTicks()).isEqualTo(20);
        assertThat(runtime.raft().heartbeatTicks()).isEqualTo(3);
        assertThat(runtime.raft().maxInflightMsgs()).isEqualTo(64);
        assertThat(runtime.raft().maxInflightBytes()).isEqualTo(1_000_000);
        assertThat(runtime.raft().maxSizePerMsgBytes()).isEqualTo(500_000);
        assertThat(runtime.raft().maxUncommittedBytes()).isEqualTo(9_000_000);
        assertThat(runtime.retention().retainedEntries()).isEqualTo(5000);
        assertThat(t.logEngine().maxCacheBytesPerGroup()).isEqualTo(2048);
        assertThat(t.logEngine().maxCacheBytesTotal()).isEqualTo(4096);
        GrpcTransportConfig transport = t.transport(GrpcTransportConfig.builder()).build();
        assertThat(transport.peerSilenceMillis()).isEqualTo(900);
        assertThat(transport.pingIntervalMillis()).isEqualTo(150);
        assertThat(transport.snapshotChunkBytes()).isEqualTo(65536);
        assertThat(transport.maxSnapshotBytes()).isEqualTo(100_000_000);
        assertThat(transport.snapshotTimeoutMillis()).isEqualTo(60_000);
        assertThat(transport.maxConcurrentSnapshotSends()).isEqualTo(3);
        assertThat(transport.maxConcurrentSnapshotReceives()).isEqualTo(5);
    }

    @Test
    void settingsThatDoNotFitTogetherAreRefusedWhenRead() {
        assertThatThrownBy(() -> read("--election-ticks", "4", "--heartbeat-ticks", "4"))
                .isInstanceOf(SettingsException.class)
                .hasMessageContaining("raft settings do not fit together")
                .hasMessageContaining("heartbeatTicks < electionTicks");
        assertThatThrownBy(() -> read("--poller-threads", "0")).isInstanceOf(SettingsException.class)
                .hasMessageContaining("poller-threads");
        assertThatThrownBy(() -> read("--snapshot-chunk-bytes", "lots")).isInstanceOf(SettingsException.class)
                .hasMessageContaining("snapshot-chunk-bytes");
    }

    @Test
    void everyKeyHasADefaultAndADescription() {
        assertThat(RaftTuning.KEYS).allSatisfy(k -> {
            assertThat(k.defaultValue()).isNotBlank();
            assertThat(k.doc()).isNotBlank();
        });
        assertThat(RaftTuning.KEYS).extracting(SettingKey::name).doesNotHaveDuplicates()
                .contains("tick-millis", "peer-silence-millis", "poller-threads", "apply-threads", "mailbox-capacity",
                        "max-inflight-msgs", "log-retained-entries", "entry-cache-bytes", "max-snapshot-bytes",
                        "snapshot-timeout-millis");
    }
}
