package io.shardkv.chaos;

import io.shardkv.client.KvClient;
import io.shardkv.common.Slots;
import io.shardkv.meta.proto.ClusterMap;
import io.shardkv.raft.linearizability.KvInput;
import io.shardkv.raft.linearizability.KvOutput;
import io.shardkv.raft.linearizability.Operation;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * One nemesis run, start to verdict: network, servers, clients, the nemesis, the heal and the wait
 * for recovery, the final reads, then the check and the report. {@link #cleanup} (also run by the
 * JVM's shutdown hook) kills every server and removes the network, whatever state the run is in.
 */
final class ChaosRun {
    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(120);
    private static final long SECOND = 1_000_000L;
    /** After the nemesis: how long writes to every key may take to come back, and cluster changes to end. */
    private static final long RECOVERY_MICROS = 60 * SECOND;
    /** Bounds every client loop besides the stop: the nemesis time plus this. */
    private static final long CLIENT_SLACK_MICROS = 600 * SECOND;

    /** What the run found; {@link #exitCode} is 0 only when nothing is wrong. */
    record Outcome(long ops, long ok, int keys, int anomalies, int lostWrites, int undecided, int unverified,
                   Path history) {
        int exitCode() {
            return anomalies == 0 && lostWrites == 0 && undecided == 0 && unverified == 0 ? 0 : 1;
        }

        String summaryLine() {
            return "chaos: " + ops + " ops (" + ok + " ok), " + keys + " keys, " + anomalies + " anomalies, "
                    + lostWrites + " lost writes; history " + history;
        }
    }

    private final ChaosSettings settings;
    private final PrintStream out;
    private final Network network;
    private final Object cleanupLock = new Object();
    private EventLog log;
    private Cluster cluster;
    private volatile Workload workload;
    private volatile LeaderWatch leaderWatch;
    private volatile KvClient reader;
    private boolean cleanedUp;

    ChaosRun(ChaosSettings settings, PrintStream out) {
        this.settings = settings;
        this.out = out;
        this.network = new Network(settings.net());
    }

    Outcome run() {
        prepareDir();
        log = new EventLog(out, settings.dir().resolve("events.log"));
        log.event("kv-chaos: seed " + settings.seed() + ", nemesis " + settings.nemeses().stream().sorted()
                .map(NemesisKind::toString).collect(Collectors.joining(",")) + " for " + settings.nemesisTime().toSeconds()
                + " s; " + settings.metaServers() + " meta-servers, " + settings.kvServers() + " kv-servers, "
                + settings.groups() + " groups of " + settings.replicas() + "; " + settings.clients() + " clients on "
                + settings.keys() + " keys at " + settings.opsPerSecond() + " ops/s each; network 10.77."
                + settings.net() + ".0/24; " + settings.dir() + "; started at " + LocalTime.now().truncatedTo(ChronoUnit.MILLIS)
                + " (server logs carry wall-clock times)");
        List<String> leftovers = network.removeAll();
        if (!leftovers.isEmpty()) {
            log.event("removed the leftovers of an earlier run: " + String.join(", ", leftovers));
        }
        cluster = new Cluster(settings, network);
        network.create(cluster.nodes());
        log.event("network: " + cluster.nodes().stream().map(n -> n.name() + "=" + n.address() + " (" + n.namespace() + ")")
                .collect(Collectors.joining(", ")) + "; clients at " + network.driverAddress());
        cluster.start(STARTUP_TIMEOUT, settings.groups());
        log.event("cluster ready");
        leaderWatch = new LeaderWatch(cluster, log);
        leaderWatch.start();

        List<String> keys = chooseKeys(cluster.admin().getClusterMap());
        Workload workload = new Workload(keys, log);
        this.workload = workload;
        long clientsStart = log.nowMicros();
        workload.start(this::newClient, settings.clients(), settings.opsPerSecond(), settings.seed(),
                clientsStart + settings.nemesisTime().toSeconds() * SECOND + CLIENT_SLACK_MICROS);
        log.event("clients started on " + keys);
        Nemesis nemesis = new Nemesis(settings, cluster, network, workload, log);
        if (!nemesis.awaitWrites(clientsStart, "the clients started", RECOVERY_MICROS)) {
            throw new ChaosException("the keys could not be written before any fault: " + workload.notWrittenSince(clientsStart));
        }

        nemesis.awaitRecovered(clientsStart, "the clients started", RECOVERY_MICROS);
        long nemesisStart = log.nowMicros();
        nemesis.run(nemesisStart + settings.nemesisTime().toSeconds() * SECOND);
        long healed = nemesis.healAll();
        log.event("nemesis over; waiting for recovery");
        nemesis.awaitWrites(healed, "the end of the nemesis", RECOVERY_MICROS);
        nemesis.awaitRecovered(healed, "the end of the nemesis", RECOVERY_MICROS);
        Reconfigurer changes = nemesis.reconfigurer();
        while (changes.hasPending() && log.nowMicros() - healed < RECOVERY_MICROS) {
            changes.poll();
            sleepMicros(SECOND / 4);
        }
        if (changes.hasPending()) {
            log.event("cluster changes still unfinished: " + changes.pendingTasks());
        }
        workload.stop();
        long clientsEnd = log.nowMicros();
        log.event("clients stopped; final reads");

        List<String> unread;
        Workload.OnceCheck once;
        try (KvClient finalReader = newClient()) {
            reader = finalReader;
            unread = workload.finalReads(finalReader, log.nowMicros() + RECOVERY_MICROS);
            once = workload.checkOnceWrites(finalReader, log.nowMicros() + 2 * RECOVERY_MICROS);
        }
        if (!unread.isEmpty()) {
            log.event("final reads failed for " + unread);
        }
        leaderWatch.close();
        List<String> syncs = cluster.logSyncStats();
        log.event("read back " + (once.acknowledged() - once.unreadable().size()) + " of " + once.acknowledged()
                + " acknowledged write-once keys; stopping the cluster");
        cleanup();

        List<Operation<KvInput, KvOutput>> history = workload.history().history();
        List<Operation<KvInput, KvOutput>> onceHistory = workload.onceHistory().history();
        Path historyFile = settings.dir().resolve("history.txt");
        HistoryCheck.write(historyFile, "# kv-chaos history, seed " + settings.seed() + "\n", history,
                workload::isLeaseRead, workload::failure, onceHistory);
        log.event("checking " + history.size() + " operations on " + keys.size() + " keys for linearizability");
        HistoryCheck.Result check = HistoryCheck.check(history);
        report(nemesis, changes, workload, history, clientsStart, clientsEnd, check, once, unread);
        log.line("raft log syncs (a long one stalls that server's groups): " + String.join("; ", syncs));

        long ops = history.size() + onceHistory.size();
        long ok = Stream.concat(history.stream(), onceHistory.stream()).filter(o -> !o.isUnknown()).count();
        int unverified = once.unreadable().size() + unread.size();
        return new Outcome(ops, ok, keys.size(), check.anomalies().size(), once.lost().size(),
                check.undecided().size(), unverified, historyFile);
    }

    private void report(Nemesis nemesis, Reconfigurer changes, Workload workload,
                        List<Operation<KvInput, KvOutput>> history, long clientsStart, long clientsEnd,
                        HistoryCheck.Result check, Workload.OnceCheck once, List<String> unread) {
        Path anomaliesFile = settings.dir().resolve("anomalies.txt");
        StringBuilder anomalies = new StringBuilder();
        check.anomalies().forEach((key, why) -> anomalies.append("== key ").append(key).append('\n').append(why).append('\n'));
        once.lost().forEach(l -> anomalies.append("== lost write: ").append(l).append('\n'));
        try {
            Files.writeString(anomaliesFile, anomalies.toString(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + anomaliesFile, e);
        }
        if (anomalies.length() > 0) {
            log.line(anomalies.toString().stripTrailing());
        }
        log.line("---- report (times since the start)");
        log.line("writes to every key resumed after each fault began:");
        long worstSingle = 0;
        for (Availability.Resumption r : Availability.resumptions(history, workload.keys(), nemesis.faults())) {
            FaultRecord f = r.fault();
            OptionalLong after = r.afterMicros();
            String when = "[" + EventLog.seconds(f.startMicros()) + " s] " + f.description()
                    + " (held " + EventLog.seconds(f.healMicros() - f.startMicros()) + " s)";
            if (after.isPresent()) {
                String healedFirst = after.getAsLong() > f.healMicros() - f.startMicros() ? ", after the heal" : "";
                log.line("  writes resumed after " + EventLog.seconds(after.getAsLong()) + " s" + healedFirst + ": " + when);
                if (f.singleServer().isPresent()) {
                    worstSingle = Math.max(worstSingle, after.getAsLong());
                }
            } else {
                log.line("  writes never resumed: " + when);
                if (f.singleServer().isPresent()) {
                    worstSingle = Long.MAX_VALUE;
                }
            }
        }
        if (nemesis.faults().stream().anyMatch(f -> f.singleServer().isPresent())) {
            log.line("single-server faults (pause, kill, isolate): writes resumed within "
                    + (worstSingle == Long.MAX_VALUE ? "never (see above)" : EventLog.seconds(worstSingle) + " s"));
        }
        Availability.Gap gap = Availability.longestGap(history, workload.keys(), clientsStart, clientsEnd);
        log.line("longest write gap: " + EventLog.seconds(gap.micros()) + " s on key " + gap.key() + " (from "
                + EventLog.seconds(gap.fromMicros()) + " s to " + EventLog.seconds(gap.toMicros()) + " s)");
        log.line("cluster changes: " + changes.summary());
        log.line("write-once keys: " + once.acknowledged() + " acknowledged, " + once.lost().size() + " lost, "
                + once.unreadable().size() + " unreadable after the run");
        if (!check.undecided().isEmpty()) {
            log.line("linearizability undecided (search budget ran out) for keys " + check.undecided());
        }
        if (!unread.isEmpty()) {
            log.line("final reads failed for keys " + unread);
        }
        log.line("anomalies: " + check.anomalies().size() + (check.anomalies().isEmpty() ? "" : " (keys "
                + check.anomalies().keySet() + "; see " + anomaliesFile + ")"));
        log.line("server logs: " + settings.dir().resolve("servers") + "/NAME/server.log; events: "
                + settings.dir().resolve("events.log"));
    }

    /**
     * {@code settings.keys()} keys spread as evenly as the map allows over the groups, so that every
     * group's failures show in the history.
     */
    private List<String> chooseKeys(ClusterMap map) {
        Map<Long, Integer> perGroup = new HashMap<>();
        map.getGroupsList().forEach(g -> perGroup.put(g.getId(), 0));
        List<String> keys = new ArrayList<>();
        for (int i = 0; keys.size() < settings.keys() && i < 100_000; i++) {
            String key = "key-" + i;
            long group = map.getSlots(Slots.of(key.getBytes(StandardCharsets.UTF_8))).getGroupId();
            int fewest = perGroup.values().stream().min(Comparator.naturalOrder()).orElse(0);
            if (perGroup.getOrDefault(group, fewest) <= fewest) {
                perGroup.merge(group, 1, Integer::sum);
                keys.add(key);
            }
        }
        return keys;
    }

    private KvClient newClient() {
        return KvClient.builder().metaEndpoints(cluster.metaEndpoints()).security(cluster.security())
                .requestDeadline(ChaosSettings.REQUEST_DEADLINE).build();
    }

    private void prepareDir() {
        try {
            Files.createDirectories(settings.dir());
            Path servers = settings.dir().resolve("servers");
            if (Files.exists(servers)) {
                try (Stream<Path> walk = Files.walk(servers)) {
                    for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                        Files.delete(p);
                    }
                }
            }
            for (String name : List.of("history.txt", "anomalies.txt", "events.log")) {
                Files.deleteIfExists(settings.dir().resolve(name));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare " + settings.dir(), e);
        }
    }

    /**
     * Kills every server and removes the network; safe to call twice and from the shutdown hook.
     * Returns false when it had already been done.
     */
    boolean cleanup() {
        synchronized (cleanupLock) {
            if (cleanedUp) {
                return false;
            }
            cleanedUp = true;
            // Nothing may dial a server once the root link is gone: the subnet's route goes with
            // it, and a packet for 10.77.N.x would take the default route off the machine. So
            // the clients and the watcher stop first (at once, when a signal cut the run short),
            // then the admin connection with the cluster, then the network.
            Workload w = workload;
            if (w != null) {
                w.abort();
            }
            KvClient r = reader;
            if (r != null) {
                r.close();
            }
            LeaderWatch watch = leaderWatch;
            if (watch != null) {
                watch.close();
            }
            if (cluster != null) {
                cluster.close();
            }
            network.removeAll();
            return true;
        }
    }

    void closeLog() {
        if (log != null) {
            log.close();
        }
    }

    private static void sleepMicros(long micros) {
        // Polling the meta-server for the cluster changes to end; the caller's deadline bounds it.
        java.util.concurrent.locks.LockSupport.parkNanos(micros * 1_000);
    }
}
