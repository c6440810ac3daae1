package io.shardkv.chaos;

import io.shardkv.meta.proto.ClusterStatusResponse;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;

/**
 * Chooses and causes faults, one at a time, with a seeded {@link Random}: each is held for a few
 * seconds, then undone; slot moves and member changes start while it is on. After each heal the
 * nemesis waits until every checked key was written again (bounded), then a little more, so that
 * the next fault meets a recovered cluster and each fault's recovery is measured alone.
 *
 * <p>The seed fixes the choices (which fault, held how long, aimed at which role: a group's
 * leader, the meta leader, kv-1, any server); who holds a role is whatever the cluster says at
 * that moment, so two runs with one seed differ in their details.
 */
final class Nemesis {
    private static final long SECOND = 1_000_000L;
    /** A fault is held this long at least, and less than that plus {@link #HOLD_SPREAD_MICROS}. */
    private static final long MIN_HOLD_MICROS = 4 * SECOND;
    private static final long HOLD_SPREAD_MICROS = 5 * SECOND;
    /** How long after a heal the nemesis waits at most for every key to be written again. */
    private static final long RECOVERY_WAIT_MICROS = 30 * SECOND;
    private static final long POLL_MICROS = 250_000L;

    private final Cluster cluster;
    private final Network network;
    private final Workload workload;
    private final EventLog log;
    private final Random random;
    private final List<NemesisKind> faultKinds;
    private final boolean moves;
    private final boolean memberChanges;
    private final Reconfigurer reconfigurer;
    private final List<FaultRecord> faults = new ArrayList<>();
    // Invariant: at most one fault is on at a time, so a heal undoes exactly the one fault recorded here.
    private final Set<String> paused = new LinkedHashSet<>();
    private final Set<String> killed = new LinkedHashSet<>();
    private Cut cut = Cut.NONE;

    Nemesis(ChaosSettings settings, Cluster cluster, Network network, Workload workload, EventLog log) {
        this.cluster = cluster;
        this.network = network;
        this.workload = workload;
        this.log = log;
        this.random = new Random(settings.seed());
        this.faultKinds = settings.nemeses().stream().filter(NemesisKind::isFault).sorted().toList();
        this.moves = settings.nemeses().contains(NemesisKind.MOVE);
        this.memberChanges = settings.nemeses().contains(NemesisKind.MEMBER);
        // Its own stream: what it draws depends on the map it reads, which must not shift the faults' draws.
        this.reconfigurer = new Reconfigurer(cluster.admin(), workload, log, new Random(settings.seed() * 31 + 17),
                settings.replicas(), settings.kvServers());
    }

    List<FaultRecord> faults() {
        return List.copyOf(faults);
    }

    Reconfigurer reconfigurer() {
        return reconfigurer;
    }

    /** Causes faults until {@code untilMicros} on the run's clock; the last one is healed by then. */
    void run(long untilMicros) {
        while (untilMicros - log.nowMicros() >= 2 * SECOND) {
            long hold = Math.min(MIN_HOLD_MICROS + (long) (random.nextDouble() * HOLD_SPREAD_MICROS),
                    untilMicros - log.nowMicros());
            // Changes start at a random point of the first half of the fault.
            long changeAt = (long) (random.nextDouble() * hold / 2);
            boolean move = moves && random.nextInt(10) < 7;
            boolean member = memberChanges && random.nextInt(10) < 5;
            if (faultKinds.isEmpty()) {
                move = moves && (!memberChanges || random.nextBoolean());
                member = !move;
            }
            long start = log.nowMicros();
            Optional<String> single = Optional.empty();
            String description = "no fault";
            if (!faultKinds.isEmpty()) {
                NemesisKind kind = faultKinds.get(random.nextInt(faultKinds.size()));
                Fault fault = switch (kind) {
                    case PARTITION -> partition();
                    case KILL -> kill();
                    case PAUSE -> pause();
                    default -> throw new IllegalStateException("not a fault: " + kind);
                };
                start = log.nowMicros();
                description = fault.description();
                single = fault.singleServer();
                log.event(description + " for " + EventLog.seconds(hold) + " s");
            }
            boolean changed = false;
            while (log.nowMicros() - start < hold) {
                if (!changed && log.nowMicros() - start >= changeAt) {
                    changed = true;
                    if (move) {
                        reconfigurer.maybeMove();
                    }
                    if (member) {
                        reconfigurer.maybeChangeMember();
                    }
                }
                reconfigurer.poll();
                sleep(Math.min(POLL_MICROS, hold - (log.nowMicros() - start)));
            }
            long healed = healAll();
            if (!faultKinds.isEmpty()) {
                faults.add(new FaultRecord(description, single, start, healed));
            }
            awaitWrites(healed, "the heal", RECOVERY_WAIT_MICROS);
            awaitRecovered(healed, "the heal", RECOVERY_WAIT_MICROS);
            long quiet = SECOND + (long) (random.nextDouble() * 2 * SECOND);
            long quietStart = log.nowMicros();
            while (log.nowMicros() - quietStart < quiet && log.nowMicros() < untilMicros) {
                reconfigurer.poll();
                sleep(POLL_MICROS);
            }
        }
    }

    /** A fault as caused: how to describe it, and the one server it hit, if only one. */
    private record Fault(String description, Optional<String> singleServer) {
    }

    private Fault partition() {
        List<Node> nodes = new ArrayList<>(cluster.nodes());
        Collections.shuffle(nodes, random);
        int variant = random.nextInt(4);
        switch (variant) {
            case 0 -> {
                List<Node> a = nodes.subList(0, nodes.size() / 2);
                List<Node> b = nodes.subList(nodes.size() / 2, nodes.size());
                apply(Cut.between(a, b));
                return new Fault("partition halves " + names(a) + " | " + names(b), Optional.empty());
            }
            case 1 -> {
                Target t = target();
                Node n = cluster.server(t.name()).node();
                List<Node> others = cluster.nodes().stream().filter(o -> !o.equals(n)).toList();
                apply(Cut.between(List.of(n), others));
                return new Fault("isolate " + t, Optional.of(t.name()));
            }
            case 2 -> {
                Node bridge = nodes.get(0);
                List<Node> rest = nodes.subList(1, nodes.size());
                List<Node> a = rest.subList(0, rest.size() / 2);
                List<Node> b = rest.subList(rest.size() / 2, rest.size());
                apply(Cut.between(a, b));
                return new Fault("partition with bridge " + bridge + ": " + names(a) + " | " + names(b)
                        + ", the bridge sees both", Optional.empty());
            }
            default -> {
                int how = random.nextInt(3);
                if (how == 0) {
                    List<Node> a = nodes.subList(0, nodes.size() / 2);
                    List<Node> b = nodes.subList(nodes.size() / 2, nodes.size());
                    apply(Cut.oneWay(a, b));
                    return new Fault("one-way drop " + names(a) + " -/-> " + names(b), Optional.empty());
                }
                Target t = target();
                Node n = cluster.server(t.name()).node();
                List<Node> others = cluster.nodes().stream().filter(o -> !o.equals(n)).toList();
                if (how == 1) {
                    apply(Cut.oneWay(List.of(n), others));
                    return new Fault("one-way drop: " + t + " cannot send to any server", Optional.empty());
                }
                apply(Cut.oneWay(others, List.of(n)));
                return new Fault("one-way drop: " + t + " hears from no server", Optional.empty());
            }
        }
    }

    private void apply(Cut c) {
        network.apply(c);
        cut = c;
    }

    private Fault kill() {
        Target t = target();
        cluster.server(t.name()).kill();
        killed.add(t.name());
        return new Fault("kill -9 " + t, Optional.of(t.name()));
    }

    private Fault pause() {
        Target t = target();
        cluster.server(t.name()).pause();
        paused.add(t.name());
        return new Fault("pause (SIGSTOP) " + t, Optional.of(t.name()));
    }

    /** A server picked by role, with the role it had when picked. */
    private record Target(String name, String role) {
        @Override
        public String toString() {
            return role.isEmpty() ? name : name + " (" + role + ")";
        }
    }

    /**
     * The target of a pause, kill or isolation: a group's leader (35 %), the meta leader (25 %),
     * kv-1 (20 %: it dials every other server, which once hid it from failure detection), or any
     * server. A role nobody holds now (no leader known) falls back to any server.
     */
    private Target target() {
        int roll = random.nextInt(100);
        int groupPick = random.nextInt(1 << 16);
        List<Node> nodes = cluster.nodes();
        String any = nodes.get(random.nextInt(nodes.size())).name();
        Optional<ClusterStatusResponse> status = cluster.status();
        String name = any;
        if (roll < 35) {
            if (status.isPresent() && status.get().getMap().getGroupsCount() > 0) {
                int groups = status.get().getMap().getGroupsCount();
                long g = status.get().getMap().getGroups(groupPick % groups).getId();
                name = Cluster.leaderOf(status.get(), g).orElse(any);
            }
        } else if (roll < 60) {
            if (status.isPresent() && status.get().getMetaLeaderId() != 0) {
                name = "meta-" + status.get().getMetaLeaderId();
            }
        } else if (roll < 80) {
            name = "kv-1";
        }
        String chosen = name;
        return new Target(chosen, status.map(s -> role(s, chosen)).orElse(""));
    }

    private static String role(ClusterStatusResponse status, String name) {
        List<String> roles = new ArrayList<>();
        if (name.equals("meta-" + status.getMetaLeaderId())) {
            roles.add("meta leader");
        }
        List<Long> led = Cluster.groupsLedBy(status, name);
        if (!led.isEmpty()) {
            roles.add("leader of group" + (led.size() > 1 ? "s " : " ")
                    + led.stream().map(String::valueOf).collect(Collectors.joining(",")));
        }
        return String.join(", ", roles);
    }

    /** Undoes every fault: cuts removed, paused servers resumed, killed ones started again. Returns when. */
    long healAll() {
        List<String> done = new ArrayList<>();
        if (!cut.isEmpty()) {
            network.heal();
            cut = Cut.NONE;
            done.add("network healed");
        }
        for (String name : paused) {
            cluster.server(name).resume();
            done.add("resumed " + name);
        }
        paused.clear();
        for (String name : killed) {
            cluster.server(name).start();
            done.add("restarted " + name);
        }
        killed.clear();
        long at = log.nowMicros();
        if (!done.isEmpty()) {
            log.event(String.join(", ", done));
        }
        return at;
    }

    /**
     * Waits until every checked key had a write called after {@code sinceMicros} acknowledged, at
     * most {@code maxMicros}, polling the changes meanwhile. Returns whether they all were.
     */
    boolean awaitWrites(long sinceMicros, String since, long maxMicros) {
        while (!workload.allWrittenSince(sinceMicros) && log.nowMicros() - sinceMicros < maxMicros) {
            reconfigurer.poll();
            sleep(POLL_MICROS);
        }
        if (workload.allWrittenSince(sinceMicros)) {
            log.event("every key written again " + EventLog.seconds(log.nowMicros() - sinceMicros) + " s after " + since);
            return true;
        }
        log.event("keys " + workload.notWrittenSince(sinceMicros) + " not written in the "
                + EventLog.seconds(maxMicros) + " s after " + since);
        return false;
    }

    /**
     * Waits until {@link Cluster#notRecovered} finds nothing (a restarted server back in all its
     * groups), at most {@code maxMicros} from {@code sinceMicros}; otherwise the next fault would
     * hit a cluster still missing a replica and measure two faults as one. A restarted server
     * takes most of it: its JVM and RocksDB start slowly on a small machine that runs the whole
     * cluster.
     */
    boolean awaitRecovered(long sinceMicros, String since, long maxMicros) {
        Optional<String> missing = cluster.notRecovered();
        // What it waited for, in order, for the log: a few distinct reasons, numbers left out.
        Set<String> waitedFor = new LinkedHashSet<>();
        while (missing.isPresent() && log.nowMicros() - sinceMicros < maxMicros) {
            if (waitedFor.size() < 4) {
                waitedFor.add(missing.get().replaceAll("[0-9]+ ms ago", "long ago"));
            }
            reconfigurer.poll();
            sleep(POLL_MICROS);
            missing = cluster.notRecovered();
        }
        String waited = waitedFor.isEmpty() ? "" : " (waited for: " + String.join("; ", waitedFor) + ")";
        if (missing.isEmpty()) {
            log.event("cluster recovered " + EventLog.seconds(log.nowMicros() - sinceMicros) + " s after " + since + waited);
            return true;
        }
        log.event("cluster not recovered " + EventLog.seconds(maxMicros) + " s after " + since + ": " + missing.get() + waited);
        return false;
    }

    private static String names(List<Node> nodes) {
        return nodes.stream().map(Node::name).sorted().collect(Collectors.joining(",", "{", "}"));
    }

    private static void sleep(long micros) {
        if (micros > 0) {
            // The nemesis holds a fault for a chosen time and polls tasks meanwhile.
            LockSupport.parkNanos(micros * 1_000);
        }
    }
}
