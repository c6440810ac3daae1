package io.shardkv.bench.peers;

/**
 * Which ports each cluster gets from {@code --base-port} B: contender i (0-based, in
 * {@code --contenders} order) runs its warm instance from B + 1000 i and its cold instances from
 * B + 1000 i + 500, so no two clusters of one run share a port, and a cold cluster can start
 * while the warm ones keep theirs. ShardKV needs 400 ports, etcd 20.
 */
final class PortPlan {
    static final int MAX_CONTENDERS = 3;
    static final int SPAN = 1000 * MAX_CONTENDERS;

    private PortPlan() {
    }

    static int warm(int basePort, int contenderIndex) {
        return basePort + 1000 * contenderIndex;
    }

    static int cold(int basePort, int contenderIndex) {
        return warm(basePort, contenderIndex) + 500;
    }
}
