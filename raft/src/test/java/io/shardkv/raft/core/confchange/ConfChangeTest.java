package io.shardkv.raft.core.confchange;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ConfChangeTest {

    @Test
    void roundTripOfEveryShape() {
        ConfChange[] changes = {
            ConfChange.leaveJoint(),
            ConfChange.of(ConfChangeSingle.addVoter(1)),
            ConfChange.of(ConfChangeSingle.addLearner(Long.MAX_VALUE)),
            ConfChange.of(ConfChangeSingle.addVoter(4), ConfChangeSingle.remove(3), ConfChangeSingle.addLearner(5)),
        };
        for (ConfChange cc : changes) {
            assertThat(ConfChange.decode(cc.encode())).isEqualTo(cc);
        }
        assertThat(ConfChange.decode(ConfChange.leaveJoint().encode()).isLeaveJoint()).isTrue();
    }

    @Test
    void emptyDataIsMalformed() {
        assertThatThrownBy(() -> ConfChange.decode(new byte[0])).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("truncated");
    }

    @Test
    void unknownVersionIsMalformed() {
        byte[] data = ConfChange.of(ConfChangeSingle.addVoter(1)).encode();
        data[0] = 9;
        assertThatThrownBy(() -> ConfChange.decode(data)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("format");
    }

    @Test
    void truncatedStepIsMalformed() {
        byte[] data = ConfChange.of(ConfChangeSingle.addVoter(1)).encode();
        byte[] cut = Arrays.copyOf(data, data.length - 3);
        assertThatThrownBy(() -> ConfChange.decode(cut)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("truncated");
    }

    @Test
    void trailingBytesAreMalformed() {
        byte[] data = ConfChange.of(ConfChangeSingle.addVoter(1)).encode();
        byte[] longer = Arrays.copyOf(data, data.length + 1);
        assertThatThrownBy(() -> ConfChange.decode(longer)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("trailing");
    }

    @Test
    void unknownStepTypeIsMalformed() {
        byte[] data = ConfChange.of(ConfChangeSingle.addVoter(1)).encode();
        data[3] = 42;
        assertThatThrownBy(() -> ConfChange.decode(data)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("type");
    }

    @Test
    void absurdStepCountIsMalformed() {
        byte[] data = ByteBuffer.allocate(3).put((byte) 1).putShort((short) 60_000).array();
        assertThatThrownBy(() -> ConfChange.decode(data)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("steps");
    }

    @Test
    void nonPositiveNodeIdIsMalformed() {
        byte[] data = ByteBuffer.allocate(12).put((byte) 1).putShort((short) 1).put((byte) 0).putLong(0).array();
        assertThatThrownBy(() -> ConfChange.decode(data)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ConfChangeSingle.remove(-3)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void stepsAreCopied() {
        java.util.List<ConfChangeSingle> steps = new java.util.ArrayList<>();
        steps.add(ConfChangeSingle.addVoter(1));
        ConfChange cc = new ConfChange(steps);
        steps.add(ConfChangeSingle.addVoter(2));
        assertThat(cc.changes()).hasSize(1);
    }
}
