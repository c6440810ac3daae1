package io.shardkv.chaos;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * One run's settings, checked once (by {@link ChaosMain}).
 *
 * @param nemesisTime   how long the nemesis acts; setup, recovery and the check come on top
 * @param nemeses       the kinds of fault and change it may choose from
 * @param seed          seeds the nemesis's choices and the clients' operations
 * @param dir           servers' data and logs, the history, the event log
 * @param clients       client threads on the checked keys, each with its own KvClient
 * @param keys          the keys those clients share (each client works on one)
 * @param opsPerSecond  the pace of one client, so that servers keep the CPU on a small machine
 * @param metaServers   meta-servers (one Raft group)
 * @param kvServers     kv-servers
 * @param groups        shard groups at bootstrap
 * @param replicas      replicas per group
 * @param net           the network number N: namespaces skvcN-*, addresses 10.77.N.0/24
 * @param java          the java binary for the servers
 * @param metaClasspath the meta-server's classpath
 * @param kvClasspath   the kv-server's classpath
 * @param metaJavaOpts  JVM options of a meta-server
 * @param kvJavaOpts    JVM options of a kv-server
 */
record ChaosSettings(Duration nemesisTime, Set<NemesisKind> nemeses, long seed, Path dir, int clients, int keys,
                     int opsPerSecond, int metaServers, int kvServers, int groups, int replicas, int net, String java,
                     String metaClasspath, String kvClasspath, List<String> metaJavaOpts, List<String> kvJavaOpts) {
    /** How long one client request may take, retries included, before its outcome is unknown. */
    static final Duration REQUEST_DEADLINE = Duration.ofSeconds(5);

    ChaosSettings {
        nemeses = Set.copyOf(nemeses);
        metaJavaOpts = List.copyOf(metaJavaOpts);
        kvJavaOpts = List.copyOf(kvJavaOpts);
    }
}
