package io.shardkv.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.EnumSet;
import org.junit.jupiter.api.Test;

class NemesisKindTest {
    @Test
    void parsesACommaSeparatedList() {
        assertThat(NemesisKind.parse("partition, kill,pause,move,member")).isEqualTo(EnumSet.allOf(NemesisKind.class));
        assertThat(NemesisKind.parse("move")).containsExactly(NemesisKind.MOVE);
    }

    @Test
    void refusesUnknownAndEmptyLists() {
        assertThatThrownBy(() -> NemesisKind.parse("partition,flood")).hasMessageContaining("unknown nemesis 'flood'");
        assertThatThrownBy(() -> NemesisKind.parse(" , ")).hasMessageContaining("no nemesis");
    }
}
