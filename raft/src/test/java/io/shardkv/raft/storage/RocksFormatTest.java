package io.shardkv.raft.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.shardkv.raft.core.ConfState;
import io.shardkv.raft.core.Entry;
import io.shardkv.raft.core.EntryType;
import io.shardkv.raft.core.HardState;
import java.util.Arrays;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The on-disk format: key order, entry values and state records. */
class RocksFormatTest {

    @Test
    void logKeysSortByGroupThenIndexBytewise() {
        long[][] ordered = {{0, 0}, {0, 1}, {0, 255}, {0, 256}, {0, Long.MAX_VALUE}, {1, 0}, {255, 7}, {256, 0},
                {Long.MAX_VALUE, 0}, {Long.MAX_VALUE, Long.MAX_VALUE}};
        for (int i = 1; i < ordered.length; i++) {
            byte[] a = LogKeys.logKey(ordered[i - 1][0], ordered[i - 1][1]);
            byte[] b = LogKeys.logKey(ordered[i][0], ordered[i][1]);
            assertThat(Arrays.compareUnsigned(a, b)).as("%s < %s", Arrays.toString(ordered[i - 1]),
                    Arrays.toString(ordered[i])).isNegative();
        }
    }

    @Test
    void aGroupsRangeBoundsContainExactlyItsKeys() {
        for (long g : new long[] {0, 1, 255, 1L << 40, Long.MAX_VALUE}) {
            byte[] lo = LogKeys.groupKey(g);
            byte[] hi = LogKeys.groupEndKey(g);
            assertThat(Arrays.compareUnsigned(lo, LogKeys.logKey(g, 0))).isLessThanOrEqualTo(0);
            assertThat(Arrays.compareUnsigned(LogKeys.logKey(g, Long.MAX_VALUE), hi)).isNegative();
            if (g < Long.MAX_VALUE) {
                assertThat(Arrays.compareUnsigned(hi, LogKeys.logKey(g + 1, 0))).isLessThanOrEqualTo(0);
            }
            assertThat(LogKeys.groupOf(LogKeys.logKey(g, 42))).isEqualTo(g);
            assertThat(LogKeys.indexOf(LogKeys.logKey(g, 42))).isEqualTo(42);
        }
        assertThatThrownBy(() -> LogKeys.checkGroupId(-5)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void entriesRoundTripAndTheTermIsReadableFromThePrefix() {
        for (Entry e : new Entry[] {Entry.noOp(7, 3), Entry.normal(1L << 50, 9, new byte[] {1, 2, 3}),
                new Entry(2, 4, EntryType.CONF_CHANGE, new byte[] {-1})}) {
            byte[] value = EntryCodec.encode(e);
            assertThat(EntryCodec.decode(1, e.index(), value)).isEqualTo(e);
            assertThat(EntryCodec.decodeTerm(Arrays.copyOf(value, EntryCodec.TERM_PREFIX_BYTES))).isEqualTo(e.term());
        }
        byte[] bad = EntryCodec.encode(Entry.noOp(1, 1));
        bad[8] = 9;
        assertThatThrownBy(() -> EntryCodec.decode(4, 1, bad)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("group 4 entry 1 has unknown type code 9");
    }

    @Test
    void stateRecordsRoundTripAndCorruptionIsCaught() {
        GroupState s = new GroupState(new HardState(5, 2, 100), 90, 4,
                new ConfState(Set.of(1L, 2L, 3L), Set.of(1L, 2L, 4L), Set.of(7L), true));
        byte[] bytes = GroupStateCodec.encode(s);
        assertThat(GroupStateCodec.decode(3, bytes)).isEqualTo(s);

        assertThatThrownBy(() -> GroupStateCodec.decode(3, Arrays.copyOf(bytes, bytes.length - 1)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("state record of group 3 is corrupt");
        assertThatThrownBy(() -> GroupStateCodec.decode(3, Arrays.copyOf(bytes, bytes.length + 1)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("trailing");
        byte[] badVersion = bytes.clone();
        badVersion[0] = 2;
        assertThatThrownBy(() -> GroupStateCodec.decode(3, badVersion))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("unknown version 2");
    }
}
