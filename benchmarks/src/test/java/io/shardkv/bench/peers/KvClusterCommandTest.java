package io.shardkv.bench.peers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class KvClusterCommandTest {
    private final KvClusterCommand command = new KvClusterCommand(Path.of("/repo"), Path.of("/tmp/c"), 21000, 3, false);

    @Test
    void startsThreeMetaAndThreeKvServersWithTheGroupsAsked() {
        assertThat(command.up()).containsExactly("/repo/bin/kv-cluster", "up", "--dir", "/tmp/c", "--base-port", "21000",
                "--meta", "3", "--kv", "3", "--groups", "3", "--insecure");
        assertThat(new KvClusterCommand(Path.of("/repo"), Path.of("/tmp/c"), 21000, 1, true).up())
                .doesNotContain("--insecure").containsSequence("--groups", "1");
        assertThat(command.down()).containsExactly("/repo/bin/kv-cluster", "down", "--dir", "/tmp/c", "--purge");
    }

    @Test
    void knowsTheServersAndTheMetaEndpointsKvClusterGivesThem() {
        assertThat(command.serverNames()).containsExactly("meta-1", "meta-2", "meta-3", "kv-1", "kv-2", "kv-3");
        assertThat(command.metaEndpoints()).isEqualTo("127.0.0.1:21000,127.0.0.1:21001,127.0.0.1:21002");
    }

    @Test
    void refusesPortsBeyondTheRange() {
        assertThatThrownBy(() -> new KvClusterCommand(Path.of("/repo"), Path.of("/tmp/c"), 65_300, 1, false))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
