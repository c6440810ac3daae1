package io.shardkv.raft.sim;

import io.shardkv.raft.core.ConfState;
import io.shardkv.raft.core.Entry;
import io.shardkv.raft.core.HardState;
import io.shardkv.raft.core.Message;
import io.shardkv.raft.core.MessageType;
import io.shardkv.raft.core.RawNode;
import io.shardkv.raft.core.ReadState;
import io.shardkv.raft.core.Ready;
import io.shardkv.raft.core.Role;
import io.shardkv.raft.core.Snapshot;
import io.shardkv.raft.storage.MemoryLogStorage;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * One simulated Raft group: its nodes, the network between them, the failure detector and the
 * safety checker, wired together. It owns node life cycles (start, crash, restart, destroy after
 * removal), each node's tick timer, and the transport's reports back to the cores (failed and
 * finished snapshots, unreachable peers).
 *
 * <p>Node ids are never reused: a node removed from the group is destroyed with its disk, and a
 * node added later gets a fresh id and an empty disk.
 */
final class SimCluster implements SimNetwork.Endpoints<Message>, SimNode.Observer<KvStateMachine> {

    /** What the workload needs to hear from the nodes. */
    interface Listener {
        void onApplied(SimNode<KvStateMachine> node, Entry entry);

        void onReadReady(SimNode<KvStateMachine> node, ReadState readState);

        void onNodeDown(long node);
    }

    static final long TICK = SimProfile.TICK_UNITS;

    final SimProfile profile;
    final SimEventQueue queue;
    final SimTrace trace;
    final SafetyChecker safety = new SafetyChecker();
    final SimNetwork<Message> network;
    final FailureDetector failureDetector;

    private final SplittableRandom random;
    private final TreeMap<Long, SimNode<KvStateMachine>> nodes = new TreeMap<>();
    /** Crashes armed to strike in the middle of a node's next log write. */
    private final TreeMap<Long, Runnable> crashesDuringWrite = new TreeMap<>();
    /** Every id that was a member of an applied configuration. */
    private final Set<Long> everMember = new TreeSet<>();
    private final Set<Long> leaving = new TreeSet<>();
    /** The highest index each node ever applied. */
    private final java.util.Map<Long, Long> maxApplied = new java.util.HashMap<>();
    /** The newest applied configuration seen anywhere, and the applied index it was seen at. */
    private ConfState latestConf = ConfState.EMPTY;
    private long latestConfIndex = -1;
    private long nextNodeId = 1;
    /** QUIESCE messages delivered: shows whether the seed let the group go idle. */
    long quiesceMessages;
    private Listener listener;
    /** Told when a node becomes leader, after its Ready is persisted. */
    private java.util.function.LongConsumer leaderWatcher = id -> { };

    SimCluster(SimProfile profile, SimEventQueue queue, SimTrace trace, SplittableRandom random) {
        this.profile = profile;
        this.queue = queue;
        this.trace = trace;
        this.random = random;
        this.network = new SimNetwork<>(queue, random.split(), this, SimCluster::digest);
        this.network.setDelay(1, profile.maxDelayUnits());
        this.network.setFaults(profile.maxLoss(), profile.maxDuplicate());
        this.network.setFailureNoticeDelay(2 * TICK);
        this.failureDetector = new FailureDetector(profile.electionTicks(), profile.falseAlarmProbability(),
                random.split());
    }

    void setListener(Listener listener) {
        this.listener = listener;
    }

    void setLeaderWatcher(java.util.function.LongConsumer watcher) {
        this.leaderWatcher = watcher;
    }

    /** Creates and starts the initial voters of a new group. */
    void bootstrap() {
        Long[] ids = new Long[profile.initialVoters()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = nextNodeId++;
        }
        ConfState initial = ConfState.ofVoters(ids);
        for (long id : ids) {
            create(id, MemoryLogStorage.bootstrap(initial));
        }
        everMember.addAll(List.of(ids));
        latestConf = initial;
        latestConfIndex = 0;
    }

    /** Creates and starts a node with an empty disk, to be added to the group; returns its id. */
    long addNode() {
        long id = nextNodeId++;
        create(id, new MemoryLogStorage());
        return id;
    }

    /** How many node ids were handed out so far. */
    long idsUsed() {
        return nextNodeId - 1;
    }

    private void create(long id, MemoryLogStorage disk) {
        SimNode<KvStateMachine> node = new SimNode<>(profile.raftConfig(id), disk, KvStateMachine::new,
                profile.snapshotPolicy(), random.split(), m -> network.send(id, m.to(), m), this);
        nodes.put(id, node);
        start(id);
    }

    void start(long id) {
        SimNode<KvStateMachine> node = nodes.get(id);
        node.start();
        safety.onStart(id, node.disk());
        trace.note(queue.now(), "start", id, "life " + node.lives() + " from snapshot " + node.applied()
                + ", disk " + node.disk().hardState());
        int life = node.lives();
        queue.after(1 + random.nextLong(TICK), "tick", id, () -> tick(id, life));
    }

    private void tick(long id, int life) {
        SimNode<KvStateMachine> node = nodes.get(id);
        if (node == null || !node.isUp() || node.lives() != life) {
            return; // this timer belongs to a previous life
        }
        node.raw().tick();
        failureDetector.onTick(node, this::isUp, network.links());
        queue.after(TICK, "tick", id, () -> tick(id, life));
    }

    void crash(long id) {
        SimNode<KvStateMachine> node = nodes.get(id);
        node.crash();
        safety.onStop(id);
        trace.note(queue.now(), "crash", id, "");
        listener.onNodeDown(id);
    }

    /** Removes a node that left the group, disk and all. */
    void destroy(long id) {
        SimNode<KvStateMachine> node = nodes.get(id);
        if (node == null) {
            return;
        }
        if (node.isUp()) {
            crash(id);
        }
        nodes.remove(id);
        crashesDuringWrite.remove(id);
        trace.note(queue.now(), "destroy", id, "");
    }

    SimNode<KvStateMachine> node(long id) {
        return nodes.get(id);
    }

    /** Ids of nodes that exist (up or down), ascending. */
    List<Long> nodeIds() {
        return new ArrayList<>(nodes.keySet());
    }

    List<Long> upNodeIds() {
        List<Long> out = new ArrayList<>();
        for (SimNode<KvStateMachine> n : nodes.values()) {
            if (n.isUp()) {
                out.add(n.id());
            }
        }
        return out;
    }

    List<Long> downNodeIds() {
        List<Long> out = new ArrayList<>();
        for (SimNode<KvStateMachine> n : nodes.values()) {
            if (!n.isUp()) {
                out.add(n.id());
            }
        }
        return out;
    }

    @Override
    public boolean isUp(long id) {
        SimNode<KvStateMachine> n = nodes.get(id);
        return n != null && n.isUp();
    }

    /** The leader with the highest term among running nodes, or NONE. */
    long leader() {
        long best = RawNode.NONE;
        long bestTerm = -1;
        for (SimNode<KvStateMachine> n : nodes.values()) {
            if (n.isUp() && n.role() == Role.LEADER && n.disk().hardState().term() > bestTerm) {
                best = n.id();
                bestTerm = n.disk().hardState().term();
            }
        }
        return best;
    }

    /** The newest configuration applied anywhere. */
    ConfState latestConf() {
        return latestConf;
    }

    static Set<Long> members(ConfState cs) {
        Set<Long> ids = new TreeSet<>(cs.voters());
        ids.addAll(cs.votersOutgoing());
        ids.addAll(cs.learners());
        return ids;
    }

    /** Runs every node's owner loop until no core has work left. */
    void processReadies() {
        boolean again = true;
        while (again) {
            again = false;
            for (SimNode<KvStateMachine> n : nodes.values()) {
                if (n.isUp() && n.raw().hasReady()) {
                    n.processReadies();
                    again = true;
                }
            }
        }
    }

    /** Checks that need all Readys processed; call once per event. */
    void afterEvent() {
        safety.afterEvent(id -> nodes.get(id).disk());
    }

    // ------------------------------------------------------------ transport callbacks

    @Override
    public void deliver(long from, long to, Message m) {
        if (m.type() == MessageType.QUIESCE) {
            quiesceMessages++;
        }
        nodes.get(to).raw().step(m);
        if (m.type() == MessageType.SNAPSHOT) {
            // The stream finished: a real transport reports it to the sender.
            SimNode<KvStateMachine> sender = nodes.get(from);
            if (sender != null && sender.isUp() && sender.disk().hardState().term() == m.term()) {
                sender.raw().reportSnapshot(to, true);
            }
        }
    }

    @Override
    public void undeliverable(long from, long to, Message m, SimNetwork.DropCause cause) {
        if (cause == SimNetwork.DropCause.CUT_IN_FLIGHT || cause == SimNetwork.DropCause.TARGET_DOWN) {
            // The "deliver" line just traced did not reach its target after all.
            trace.record(queue.now(), "dropped", to, cause, cause.ordinal());
        }
        SimNode<KvStateMachine> sender = nodes.get(from);
        if (sender == null || !sender.isUp()) {
            return;
        }
        if (m.type() == MessageType.SNAPSHOT) {
            if (sender.disk().hardState().term() == m.term()) {
                sender.raw().reportSnapshot(to, false);
            }
        } else if (cause != SimNetwork.DropCause.LOST
                && (m.type() == MessageType.APPEND || m.type() == MessageType.HEARTBEAT)) {
            sender.raw().reportUnreachable(to);
        }
    }

    // ------------------------------------------------------------ owner loop hooks

    @Override
    public void beforePersist(SimNode<KvStateMachine> node, Ready rd) {
        safety.beforeAppend(node.id(), node.disk(), rd.entries());
        if (rd.mustSync()) {
            Runnable crash = crashesDuringWrite.remove(node.id());
            if (crash != null) {
                trace.note(queue.now(), "crash-in-write", node.id(), rd.messagesBeforePersist().size()
                        + " messages out, " + rd.entries().size() + " entries not written");
                crash.run();
            }
        }
    }

    /**
     * Arms a crash of {@code id} in the middle of its next log write, after the messages that may
     * leave before it: {@code crash} runs then, and must crash the node.
     */
    void crashDuringNextWrite(long id, Runnable crash) {
        crashesDuringWrite.put(id, crash);
    }

    @Override
    public void onPersisted(SimNode<KvStateMachine> node, Ready rd, HardState before) {
        safety.onPersisted(node.id(), rd, before, node.disk());
        if (rd.softState() != null) {
            trace.note(queue.now(), "role", node.id(), rd.softState().role() + " t" + node.disk().hardState().term()
                    + " leader=" + rd.softState().leaderId());
            if (rd.softState().role() == Role.LEADER) {
                leaderWatcher.accept(node.id());
            }
        }
    }

    @Override
    public void onSnapshotApplied(SimNode<KvStateMachine> node, Snapshot snapshot, long chain) {
        safety.onSnapshotApplied(node.id(), snapshot, chain);
        trace.note(queue.now(), "install", node.id(), snapshot.toString());
    }

    @Override
    public void onApplied(SimNode<KvStateMachine> node, Entry entry, long chain) {
        safety.onApplied(node.id(), entry, chain, node.disk());
        listener.onApplied(node, entry);
    }

    @Override
    public void onReadReady(SimNode<KvStateMachine> node, ReadState readState) {
        listener.onReadReady(node, readState);
    }

    @Override
    public void onAdvanced(SimNode<KvStateMachine> node, Ready rd, boolean membershipChanged) {
        // A restarted node re-applies what it had applied, so its high-water mark stands.
        maxApplied.merge(node.id(), node.applied(), Math::max);
        if (membershipChanged) {
            long confIndex = rd.snapshot() != null ? rd.snapshot().index() : 0;
            for (Entry e : rd.committedEntries()) {
                if (e.type() == io.shardkv.raft.core.EntryType.CONF_CHANGE) {
                    confIndex = e.index();
                }
            }
            ConfState cs = node.raw().confState();
            everMember.addAll(members(cs));
            if (confIndex > latestConfIndex) {
                // Configurations taking effect at higher indexes are later ones.
                latestConf = cs;
                latestConfIndex = confIndex;
                trace.note(queue.now(), "conf", node.id(), latestConf + " at " + latestConfIndex);
            }
        }
        collectRemoved();
    }

    /**
     * Destroys members removed for good, but only once a quorum of the newest configuration has
     * applied it. Until then a voter still in an older (possibly joint) configuration may need a
     * removed node's vote to elect anyone: a removed leader that committed its removal may have
     * told only some members. Real systems must keep removed replicas around just as long
     * (etcd's two-member removal hazard).
     */
    private void collectRemoved() {
        if (everMember.size() == members(latestConf).size() + leaving.size()) {
            return; // nobody waiting to be collected
        }
        Set<Long> current = members(latestConf);
        for (long id : everMember) {
            if (current.contains(id) || !nodes.containsKey(id) || leaving.contains(id)) {
                continue;
            }
            if (quorumApplied(latestConf.voters()) && quorumApplied(latestConf.votersOutgoing())) {
                leaving.add(id);
                queue.after(profile.electionUnits(), "gc", id, () -> destroy(id));
            }
        }
    }

    /** Whether a majority of {@code voters} (trivially, if none) applied the newest configuration. */
    private boolean quorumApplied(Set<Long> voters) {
        int count = 0;
        for (long v : voters) {
            if (maxApplied.getOrDefault(v, 0L) >= latestConfIndex) {
                count++;
            }
        }
        return voters.isEmpty() || count >= voters.size() / 2 + 1;
    }

    /** A stable digest of a message for traces: its header fields, never identity hashes. */
    static long digest(Message m) {
        long h = SimTrace.mix(m.type().ordinal(), m.from());
        h = SimTrace.mix(h, m.to());
        h = SimTrace.mix(h, m.term());
        h = SimTrace.mix(h, m.index());
        h = SimTrace.mix(h, m.logTerm());
        h = SimTrace.mix(h, m.commit());
        h = SimTrace.mix(h, m.entries().size());
        h = SimTrace.mix(h, m.reject() ? 1 : 0);
        h = SimTrace.mix(h, m.readRequestId());
        return SimTrace.mix(h, m.snapshot() == null ? 0 : m.snapshot().index());
    }
}
