package io.shardkv.bench.peers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

class ResultsTest {
    private static final Workload WRITES = Workload.parse("write-64", 64, 100);

    /** A run of {@code ops} requests in 10 s, each taking {@code micros}. */
    private static RunResult run(long ops, long micros, long clientCpuMillis) {
        Histogram h = new Histogram(3);
        h.recordValueWithCount(micros, ops);
        return new RunResult(ops, 0, 10.0, h, clientCpuMillis * 1_000_000, 2 * clientCpuMillis * 1_000_000, null);
    }

    @Test
    void ratiosAreTakenRoundByRoundAgainstTheBaseline() {
        Results results = new Results("etcd");
        results.add(WRITES, "etcd", run(10_000, 1000, 100));
        results.add(WRITES, "shardkv-1g", run(20_000, 2000, 100));
        results.add(WRITES, "etcd", run(20_000, 1000, 100));
        results.add(WRITES, "shardkv-1g", run(10_000, 2000, 100));
        results.add(WRITES, "etcd", run(15_000, 1000, 100));
        results.add(WRITES, "shardkv-1g", run(15_000, 2000, 100));

        Results.Row shardkv = results.rows("write-64").get(1);

        assertThat(shardkv.contender()).isEqualTo("shardkv-1g");
        assertThat(shardkv.rounds()).isEqualTo(3);
        assertThat(shardkv.medianOps()).isEqualTo(1500.0);
        assertThat(shardkv.minOps()).isEqualTo(1000.0);
        assertThat(shardkv.maxOps()).isEqualTo(2000.0);
        // Per round: 2.0, 0.5, 1.0; the ratio of the medians would hide that spread.
        assertThat(shardkv.ratio()).isEqualTo(1.0);
        assertThat(shardkv.ratioMin()).isEqualTo(0.5);
        assertThat(shardkv.ratioMax()).isEqualTo(2.0);
        assertThat(shardkv.p99Millis()).isCloseTo(2.0, within(0.01));
        // 300 ms of client CPU over 45,000 operations.
        assertThat(shardkv.clientMicrosPerOp()).isCloseTo(300_000.0 / 45_000, within(1e-9));
        assertThat(shardkv.serverMicrosPerOp()).isCloseTo(600_000.0 / 45_000, within(1e-9));
    }

    @Test
    void withoutABaselineRunTheRatioIsShownAsADash() {
        Results results = new Results("etcd");
        results.add(WRITES, "shardkv-3g", run(5_000, 1000, 10));

        assertThat(results.rows("write-64").get(0).ratio()).isNaN();
        assertThat(results.format("write-64")).contains("shardkv-3g").contains(" - ");
        assertThat(results.markdown()).contains("| write-64 | shardkv-3g | 500 | 500-500 | 1.00 / 1.00 / 1.00 | - |");
    }

    @Test
    void markdownHasOneLinePerWorkloadAndContender() {
        Results results = new Results("etcd");
        results.add(WRITES, "etcd", run(10_000, 1000, 100));
        results.add(WRITES, "shardkv-1g", run(5_000, 1000, 100));
        results.add(WRITES, "etcd", run(10_000, 1000, 100));
        results.add(WRITES, "shardkv-1g", run(6_000, 1000, 100));

        assertThat(results.markdown().lines()).hasSize(4)
                .contains("| write-64 | shardkv-1g | 550 | 500-600 | 1.00 / 1.00 / 1.00 | 0.55 (0.50-0.60) | 18.2 | 36.4 | 0 |");
    }

    @Test
    void medianOfAnEvenCountIsTheMeanOfTheMiddleTwo() {
        assertThat(Results.median(new double[] {4, 1, 3, 2})).isEqualTo(2.5);
        assertThat(Results.median(new double[] {})).isNaN();
    }
}
