package io.shardkv.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class CutTest {
    private final Network network = new Network(3);
    private final Node m1 = network.node("meta-1");
    private final Node k1 = network.node("kv-1");
    private final Node k2 = network.node("kv-2");

    @Test
    void addressesAndNamespacesFollowTheNetworkNumber() {
        assertThat(m1).isEqualTo(new Node("meta-1", "skvc3-m1", "10.77.3.11"));
        assertThat(k2).isEqualTo(new Node("kv-2", "skvc3-k2", "10.77.3.102"));
        assertThat(network.driverAddress()).isEqualTo("10.77.3.1");
    }

    @Test
    void aTwoWayCutDropsOutputOnBothSides() {
        Cut cut = Cut.between(List.of(k1), List.of(m1, k2));
        assertThat(cut.rulesFor(k1)).contains("-A OUTPUT -d 10.77.3.11/32 -j DROP\n", "-A OUTPUT -d 10.77.3.102/32 -j DROP\n");
        assertThat(cut.rulesFor(k2)).contains("-A OUTPUT -d 10.77.3.101/32 -j DROP\n").doesNotContain("10.77.3.11/");
        assertThat(cut.rulesFor(m1)).contains("-A OUTPUT -d 10.77.3.101/32 -j DROP\n").doesNotContain("10.77.3.102/");
    }

    @Test
    void aOneWayDropHasRulesOnTheSendingSideOnly() {
        Cut cut = Cut.oneWay(List.of(k1), List.of(k2));
        assertThat(cut.rulesFor(k1)).contains("-A OUTPUT -d 10.77.3.102/32 -j DROP\n");
        assertThat(cut.rulesFor(k2)).doesNotContain("-A ");
        assertThat(cut.toString()).isEqualTo("kv-1 -/-> kv-2");
    }

    @Test
    void noCutIsAnEmptyTableThatStillReplacesEarlierRules() {
        assertThat(Cut.NONE.rulesFor(k1)).isEqualTo(
                "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n");
        assertThat(Cut.between(List.of(k1), List.of(k1)).isEmpty()).isTrue();
    }
}
