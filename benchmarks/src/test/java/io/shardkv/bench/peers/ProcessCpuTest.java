package io.shardkv.bench.peers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ProcessCpuTest {

    @Test
    void utimeAndStimeAreCountedAfterTheCommandName() {
        // A command name with a space and a parenthesis must not shift the fields.
        String stat = "4242 (java (x) y) S 1 4242 4242 0 -1 4194560 100 0 0 0 1234 567 0 0 20 0 40 0 99 0 0";
        assertThat(ProcessCpu.ticksFromStat(stat)).isEqualTo(1234 + 567);
    }

    @Test
    void aLineWithoutTheFieldsIsRefused() {
        assertThatThrownBy(() -> ProcessCpu.ticksFromStat("4242 (java) S 1")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ProcessCpu.ticksFromStat("garbage")).isInstanceOf(IllegalArgumentException.class);
    }
}
