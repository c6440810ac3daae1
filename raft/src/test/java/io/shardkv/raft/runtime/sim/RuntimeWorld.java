package io.shardkv.raft.runtime.sim;

import io.shardkv.raft.core.ConfState;
import io.shardkv.raft.core.RaftConfig;
import io.shardkv.raft.core.ReadMode;
import io.shardkv.raft.core.Role;
import io.shardkv.raft.linearizability.CheckReport;
import io.shardkv.raft.linearizability.KvInput;
import io.shardkv.raft.linearizability.KvModel;
import io.shardkv.raft.linearizability.KvOutput;
import io.shardkv.raft.runtime.GroupSummary;
import io.shardkv.raft.runtime.RaftServer;
import io.shardkv.raft.runtime.RuntimeConfig;
import io.shardkv.raft.sim.SimEventQueue;
import io.shardkv.raft.storage.RetentionPolicy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;

/**
 * One seed of the runtime simulation: several servers, each a real {@link RaftServer} hosting
 * replicas of several groups on one in-memory log engine, driven on one thread in an order drawn
 * from the seed. Clients write and read while a nemesis crashes servers (also in the middle of a
 * log write or a snapshot restore), pauses them, cuts links and moves leaderships; then
 * everything heals, every group must serve again, and the clients' history must be
 * linearizable. Invariants are checked after every event.
 */
final class RuntimeWorld {
    /** Simulated time before the faults begin: groups elect leaders. */
    private static final long WARM_UP_NANOS = 2_000_000_000L;
    /** After healing, how long every group has to serve again. */
    private static final long RECOVERY_NANOS = 20_000_000_000L;
    /** Events one seed may take before it is declared stuck. */
    private static final long MAX_EVENTS = 3_000_000;

    final long seed;
    final SimEventQueue queue = new SimEventQueue();
    final Random random;
    final RuntimeProfile profile;
    final SimWorldLog log = new SimWorldLog(queue);
    final SimNetwork network;
    final AppliedEntries applied = new AppliedEntries(log);
    final double flushRate;
    private final List<SimServer> servers = new ArrayList<>();
    private final Map<Long, List<Long>> replicas = new HashMap<>();
    private final Map<Long, Long> leaderGuess = new HashMap<>();
    private final SimClients clients;
    /** Per group, the leader seen in each term: two in one term is split brain. */
    private final Map<Long, Map<Long, Long>> leadersByTerm = new HashMap<>();
    private final Set<String> reported = new HashSet<>();
    private long poisonedGroup;
    private int faults;

    /** What one seed did and found. */
    /**
     * @param digest a hash of everything the clients saw, with times: equal for two runs of one seed
     */
    record Result(long seed, RuntimeProfile profile, List<String> violations, int operations, int ok, int faults,
                  long events, String tail, Map<String, Integer> counts, long digest) {
        boolean passed() {
            return violations.isEmpty();
        }
    }

    private RuntimeWorld(long seed, Path dir) {
        this.seed = seed;
        this.random = new Random(seed);
        this.profile = RuntimeProfile.draw(random);
        this.network = new SimNetwork(random, profile.delays(), profile.lossRate());
        this.flushRate = random.nextBoolean() ? 1.0 : 0.05 + random.nextDouble() * 0.3;
        this.clients = new SimClients(this, profile.leaseReads() ? ReadMode.LEASE : ReadMode.SAFE);
        RetentionPolicy retention = profile.retainedEntries() < 1000
                ? new RetentionPolicy(profile.retainedEntries(), 5, 300) : RetentionPolicy.defaults();
        for (long id = 1; id <= profile.servers(); id++) {
            RuntimeConfig config = new RuntimeConfig(id, 50, profile.pollers(), 2, 1 + random.nextInt(64),
                    profile.mailboxCapacity(), 1 + random.nextInt(256),
                    RaftConfig.defaults(id).withFeatures(true, true, random.nextBoolean()), retention,
                    profile.maxApplyBacklogBytes());
            servers.add(new SimServer(id, this, config, random.nextLong(1L << 40), dir.resolve("server-" + id)));
        }
    }

    /** Runs seed {@code seed} in a scratch directory under {@code dir} (for snapshot files). */
    static Result run(long seed, Path dir) {
        Path scratch;
        try {
            scratch = Files.createTempDirectory(dir, "seed-" + seed + "-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            return new RuntimeWorld(seed, scratch).run();
        } finally {
            deleteTree(scratch);
        }
    }

    SimServer server(long id) {
        return servers.get((int) id - 1);
    }

    List<Long> replicas(long groupId) {
        return replicas.get(groupId);
    }

    long leaderGuess(long groupId) {
        Long g = leaderGuess.get(groupId);
        List<Long> r = replicas(groupId);
        return g != null ? g : r.get(random.nextInt(r.size()));
    }

    /** {@code serverId} did not answer for {@code groupId}: the next request goes to another replica. */
    void forgetLeader(long groupId, long serverId) {
        if (leaderGuess.getOrDefault(groupId, 0L) == serverId) {
            List<Long> r = replicas(groupId);
            leaderGuess.put(groupId, r.get((r.indexOf(serverId) + 1 + random.nextInt(r.size() - 1)) % r.size()));
        }
    }

    void noteLeader(long groupId, long serverId) {
        leaderGuess.put(groupId, serverId);
    }

    private Result run() {
        servers.forEach(SimServer::start);
        for (long g = 1; g <= profile.groups(); g++) {
            List<Long> ids = new ArrayList<>();
            for (long s = 1; s <= profile.servers(); s++) {
                ids.add(s);
            }
            java.util.Collections.shuffle(ids, random);
            List<Long> members = ids.subList(0, profile.replicas()).stream().sorted().toList();
            replicas.put(g, members);
            ConfState conf = ConfState.ofVoters(members.toArray(Long[]::new));
            for (long s : members) {
                server(s).createGroup(g, conf);
            }
        }
        long faultEnd = WARM_UP_NANOS + profile.faultNanos();
        queue.after(WARM_UP_NANOS / 2, "clients", 0, () -> clients.start(profile.clients()));
        queue.after(WARM_UP_NANOS, "nemesis", 0, () -> nemesis(faultEnd));
        if (profile.poisonGroup()) {
            queue.after(WARM_UP_NANOS + random.nextLong(profile.faultNanos()), "poison", 0, this::poison);
        }
        queue.after(faultEnd, "heal", 0, this::healAll);
        queue.after(faultEnd + 3_000_000_000L, "final", 0, this::finalPhase);
        long events = 0;
        SimEventQueue.Event e;
        while ((e = queue.poll()) != null && events < MAX_EVENTS) {
            try {
                e.action().run();
            } catch (RuntimeException | AssertionError ex) {
                // Nothing the runtime does may throw out of a task: on a server it would kill a thread.
                java.io.StringWriter trace = new java.io.StringWriter();
                ex.printStackTrace(new java.io.PrintWriter(trace));
                log.violation("event '" + e.kind() + "' of server " + e.node() + " threw " + trace);
                break;
            }
            events++;
            if (finished) {
                break;
            }
        }
        if (!finished) {
            log.violation(events >= MAX_EVENTS ? "the seed took more than " + MAX_EVENTS + " events"
                    : "nothing left to do before the final checks ended");
        }
        int operations = clients.history().size();
        long digest = events;
        for (var op : clients.history().history()) {
            digest = digest * 31 + op.toString().hashCode();
        }
        return new Result(seed, profile, List.copyOf(log.violations()), operations, clients.okCount(), faults, events,
                log.tail(), Map.copyOf(log.counts()), digest);
    }

    // ------------------------------------------------------------------ nemesis

    private void nemesis(long end) {
        if (queue.now() >= end) {
            return;
        }
        faults++;
        long id = 1 + random.nextInt(profile.servers());
        if (random.nextBoolean()) {
            // Aim at the server that leads some group: its faults are the ones that matter most.
            id = leaderGuess(1 + random.nextInt(profile.groups()));
        }
        SimServer s = server(id);
        long duration = 100_000_000L + random.nextLong(2_500_000_000L);
        switch (random.nextInt(8)) {
            case 0 -> {
                if (s.isUp()) {
                    log.count("kills");
                }
                s.crash("(kill -9)");
                queue.after(duration, "restart", id, () -> restart(s));
            }
            case 1 -> {
                s.crashAtNextWrite = s.isUp();
                log.note("server " + id + " will crash at its next log write");
            }
            case 2 -> {
                // Down for a while, it likely comes back behind the log's start: the snapshot
                // that catches it up is interrupted halfway.
                if (s.isUp()) {
                    log.count("kills");
                }
                s.crash("(kill -9)");
                s.crashInNextRestore = true;
                log.note("server " + id + " will crash halfway through its next snapshot restore");
                queue.after(duration, "restart", id, () -> restart(s));
            }
            case 3 -> {
                log.count("pauses");
                s.pause();
                queue.after(duration, "resume", id, s::resume);
            }
            case 4 -> {
                partition(List.of(id), duration);
                log.note("server " + id + " isolated");
                log.count("isolations");
            }
            case 5 -> {
                List<Long> half = new ArrayList<>();
                for (SimServer other : servers) {
                    if (random.nextBoolean()) {
                        half.add(other.id);
                    }
                }
                partition(half, duration);
                log.note("partition " + half + " | the rest");
                log.count("partitions");
            }
            case 6 -> {
                long to = 1 + random.nextInt(profile.servers());
                if (to != id) {
                    network.cut(id, to);
                    log.note("link " + id + " -> " + to + " drops everything (one way)");
                    log.count("one-way cuts");
                    queue.after(duration, "heal", 0, this::healNetwork);
                }
            }
            default -> {
                long g = 1 + random.nextInt(profile.groups());
                List<Long> r = replicas(g);
                long target = r.get(random.nextInt(r.size()));
                RaftServer raft = server(leaderGuess(g)).raft();
                if (raft != null) {
                    log.note("group " + g + ": leadership transfer to " + target + " asked of server "
                            + raft.serverId());
                    raft.transferLeader(g, target);
                    log.count("leadership transfers");
                }
            }
        }
        queue.after(200_000_000L + random.nextLong(1_500_000_000L), "nemesis", 0, () -> nemesis(end));
    }

    /** Cuts every link between {@code side} and the other servers, both ways, for {@code duration}. */
    private void partition(List<Long> side, long duration) {
        for (long a : side) {
            for (SimServer b : servers) {
                if (!side.contains(b.id)) {
                    network.cut(a, b.id);
                    network.cut(b.id, a);
                }
            }
        }
        queue.after(duration, "heal", 0, this::healNetwork);
    }

    /** A supervisor restarts a process that died at a crash point, a little later. */
    void restartLater(SimServer s) {
        queue.after(100_000_000L + random.nextLong(1_000_000_000L), "restart", s.id, () -> restart(s));
    }

    private void restart(SimServer s) {
        s.resume();
        if (!s.isUp()) {
            try {
                s.start();
            } catch (SimulatedCrash c) {
                // died again while reopening (an interrupted restore): the next restart tries again
            }
        }
    }

    private void healNetwork() {
        network.healAll();
        log.note("network healed");
    }

    private void healAll() {
        healNetwork();
        for (SimServer s : servers) {
            s.crashAtNextWrite = false;
            s.crashInNextRestore = false;
            restart(s);
            if (!s.isUp()) {
                restart(s);
            }
        }
        log.note("all healed");
    }

    /** The poison command makes one group's state machines throw: that group stops, no other may. */
    private void poison() {
        poisonedGroup = 1;
        for (long id : replicas(1)) {
            RaftServer raft = server(id).raft();
            if (raft != null) {
                raft.propose(1, SimKvMachine.poison());
            }
        }
        log.note("group 1 poisoned");
        log.count("poisoned groups");
    }

    // ------------------------------------------------------------------ the end

    private boolean finished;

    /** Stops the clients, then writes and reads every key of every serving group once more. */
    private void finalPhase() {
        clients.stop();
        long deadline = queue.now() + RECOVERY_NANOS;
        List<String> keys = new ArrayList<>();
        for (long g = 1; g <= profile.groups(); g++) {
            if (g != poisonedGroup) {
                for (int i = 0; i < SimClients.KEYS_PER_GROUP; i++) {
                    keys.add(SimClients.key(g, i));
                }
            }
        }
        // Let operations still in flight end first, so the final ones come after them.
        queue.after(SimClients.OP_DEADLINE_NANOS + 100_000_000L, "final ops", 0,
                () -> finalOps(keys, 0, deadline, 0));
    }

    private void finalOps(List<String> keys, int index, long deadline, int attempt) {
        if (index == keys.size()) {
            check();
            return;
        }
        String key = keys.get(index);
        long groupId = Long.parseLong(key.substring(1, key.indexOf('-')));
        KvInput input = attempt % 2 == 0 ? KvInput.put(key, "final-" + index + "-" + attempt) : KvInput.get(key);
        clients.perform(1000 + index, groupId, input, ok -> {
            if (ok && attempt % 2 == 1) {
                finalOps(keys, index + 1, deadline, 0);
            } else if (queue.now() >= deadline) {
                log.violation("group " + groupId + " did not serve " + input + " within "
                        + RECOVERY_NANOS / 1_000_000_000 + " s after every fault healed (liveness)");
                check();
            } else {
                queue.after(50_000_000, "final retry", 0,
                        () -> finalOps(keys, index, deadline, ok ? attempt + 1 : attempt));
            }
        });
    }

    private void check() {
        if (finished) {
            return;
        }
        finished = true;
        CheckReport<KvInput, KvOutput> report = KvModel.checker().check(clients.history().history());
        if (!report.isOk()) {
            log.violation("the history is not linearizable: " + report.explain());
        }
        for (SimServer s : servers) {
            RaftServer raft = s.raft();
            if (raft != null && raft.threadCrash().isPresent()) {
                log.violation("server " + s.id + " reports a crashed thread: " + raft.threadCrash().get());
            }
        }
    }

    // ------------------------------------------------------------------ invariants

    /** After every event of a server: one leader per term, no group stopped that should not be. */
    void checkInvariants() {
        for (SimServer s : servers) {
            if (!s.isUp()) {
                continue;
            }
            for (long g = 1; g <= profile.groups(); g++) {
                Optional<GroupSummary> sum = s.summary(g);
                if (sum.isEmpty()) {
                    continue;
                }
                GroupSummary summary = sum.get();
                if (summary.role() == Role.LEADER) {
                    Long other = leadersByTerm.computeIfAbsent(g, x -> new HashMap<>())
                            .putIfAbsent(summary.term(), s.id);
                    if (other != null && other != s.id) {
                        log.violation("group " + g + " has two leaders in term " + summary.term() + ": servers "
                                + other + " and " + s.id);
                    }
                }
                if (summary.failure() != null && g != poisonedGroup
                        && reported.add("failed " + s.id + "/" + g)) {
                    log.violation("group " + g + " stopped on server " + s.id + ": " + summary.failure());
                }
            }
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // scratch space; the build directory is cleaned anyway
        }
    }
}
