package io.shardkv.bench.peers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class PeerBenchOptionsTest {

    private static PeerBenchOptions.Config parse(String... args) {
        PeerBenchOptions o = new PeerBenchOptions();
        new CommandLine(o).parseArgs(args);
        return o.validated();
    }

    @Test
    void defaultsAreTheFullRun() {
        PeerBenchOptions.Config c = parse();
        assertThat(c.rounds()).isEqualTo(3);
        assertThat(c.run()).isEqualTo(Duration.ofSeconds(10));
        assertThat(c.warmup()).isEqualTo(Duration.ofSeconds(120)); // 40 s per contender
        assertThat(c.workloads()).extracting(Workload::name).containsExactlyElementsOf(PeerBenchOptions.FULL_WORKLOADS);
        assertThat(c.contenders()).extracting(ContenderKind::name).containsExactly("etcd", "shardkv-1g", "shardkv-3g");
    }

    @Test
    void theWarmUpGrowsWithTheContendersUnlessGiven() {
        assertThat(parse("--contenders", "etcd,shardkv-1g").warmup()).isEqualTo(Duration.ofSeconds(80));
        assertThat(parse("--contenders", "etcd,shardkv-1g", "--warmup", "10").warmup()).isEqualTo(Duration.ofSeconds(10));
    }

    @Test
    void quickShortensWhatIsNotGivenExplicitly() {
        PeerBenchOptions.Config c = parse("--quick", "--seconds", "5");
        assertThat(c.rounds()).isEqualTo(1);
        assertThat(c.run()).isEqualTo(Duration.ofSeconds(5));
        assertThat(c.warmup()).isEqualTo(Duration.ofSeconds(6));
        assertThat(c.keys()).isEqualTo(2_000);
        assertThat(c.workloads()).extracting(Workload::name).containsExactly("write-1", "write-64", "read-50");
    }

    @Test
    void workloadNamesFixWhatTheyName() {
        PeerBenchOptions.Config c = parse("--workloads", "write-256,read-95,value-1k,cold,cold-after-10", "--inflight",
                "32");
        assertThat(c.workloads()).containsExactly(
                new Workload("write-256", 0, 100, 256, false, 0),
                new Workload("read-95", 95, 100, 32, false, 0),
                new Workload("value-1k", 0, 1024, 32, false, 0),
                new Workload("cold", 0, 100, 32, true, 0),
                new Workload("cold-after-10", 0, 100, 32, true, 10));
    }

    @Test
    void badInputIsRefusedWithTheOptionNamed() {
        assertThatThrownBy(() -> parse("--rounds", "0")).hasMessageContaining("--rounds");
        assertThatThrownBy(() -> parse("--seconds", "0")).hasMessageContaining("--seconds");
        assertThatThrownBy(() -> parse("--warmup", "-1")).hasMessageContaining("--warmup");
        assertThatThrownBy(() -> parse("--inflight", "0")).hasMessageContaining("--inflight");
        assertThatThrownBy(() -> parse("--value-size", "2MiB")).hasMessageContaining("1 MiB");
        assertThatThrownBy(() -> parse("--workloads", "write-64,write-64")).hasMessageContaining("twice");
        assertThatThrownBy(() -> parse("--workloads", "scan")).hasMessageContaining("unknown workload 'scan'");
        assertThatThrownBy(() -> parse("--workloads", "read-101")).hasMessageContaining("0 to 100");
        assertThatThrownBy(() -> parse("--workloads", "write-0")).hasMessageContaining("in flight");
        assertThatThrownBy(() -> parse("--contenders", "redis")).hasMessageContaining("unknown contender 'redis'");
        assertThatThrownBy(() -> parse("--contenders", "shardkv-1g-ssl")).hasMessageContaining("shardkv-Ng-tls");
        assertThat(parse("--contenders", "etcd,shardkv-3g-tls").contenders()).extracting(ContenderKind::name)
                .containsExactly("etcd", "shardkv-3g-tls");
        // The client's batching, per contender: -b0 turns it off.
        assertThat(parse("--contenders", "shardkv-1g-b0,shardkv-3g-tls-b4").contenders())
                .containsExactly(new ContenderKind.ShardKv(1, false, 0), new ContenderKind.ShardKv(3, true, 4))
                .extracting(ContenderKind::name).containsExactly("shardkv-1g-b0", "shardkv-3g-tls-b4");
        assertThatThrownBy(() -> parse("--contenders", "shardkv-1g-b")).hasMessageContaining("-bK");
        assertThatThrownBy(() -> parse("--base-port", "64000")).hasMessageContaining("--base-port");
    }
}
