package io.shardkv.raft.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardkv.raft.storage.MemoryLogStorage;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

/**
 * A tiny synchronous network of {@link RawNode}s on {@link MemoryLogStorage}, for the paper and
 * Ready-contract tests. Everything runs on the test thread; nothing is timed by the clock.
 *
 * <p>Each node's owner loop follows the {@link Ready} contract: persist hard state, snapshot and
 * entries into the node's storage; then queue its messages on the network; then apply committed
 * entries to a toy state machine (a list of strings); then record read states and advance.
 * Messages are delivered one at a time in FIFO order (or, after {@link #disorder}, in a random
 * order with some duplicates); after each delivery every node's Ready is processed. Messages to
 * or from isolated nodes, over cut links, or matching a drop filter are dropped on delivery.
 * Crashes lose a node's memory but never its storage, which plays the disk.
 *
 * <p>Invariants checked on every step: a response that promises durable state (a granted vote,
 * an append acknowledgement) is only sent once that state, or a later term, is in storage; at
 * most one leader per term; every node applies each index once, in order; and all nodes apply
 * the same entry at the same index.
 */
final class TestCluster {
    static final int ELECTION_TICKS = 10;
    static final int HEARTBEAT_TICKS = 2;
    /** Bounds every delivery loop: a livelock fails the test instead of hanging it. */
    private static final int MAX_DELIVERIES = 200_000;

    /** One replica: its durable storage, its current incarnation and its toy state machine. */
    static final class Peer {
        final long id;
        RaftConfig config;
        final MemoryLogStorage storage;
        /** Null while crashed. */
        RawNode node;
        /** The state machine: data of applied NORMAL entries, in order. */
        final List<String> data = new ArrayList<>();
        /** Every entry applied by the current state machine, including NO_OP and CONF_CHANGE. */
        final List<Entry> applied = new ArrayList<>();
        long appliedIndex;
        final List<ReadState> readStates = new ArrayList<>();
        /** Every Ready this peer processed, oldest first. */
        final List<Ready> readies = new ArrayList<>();
        /** While true the cluster leaves this node's Readys alone (a test handles them by hand). */
        boolean manualReady;
        /**
         * When set, the first Ready matching it is not handled but parked in {@link #held}, and
         * {@link #manualReady} is switched on so the test can inspect and handle it.
         */
        Predicate<Ready> holdIf;
        Ready held;
        int incarnation;

        Peer(long id, RaftConfig config, MemoryLogStorage storage) {
            this.id = id;
            this.config = config;
            this.storage = storage;
        }

        Raft raft() {
            return node.raft();
        }
    }

    private final long seed;
    private final ConfState initialConf;
    private final Map<Long, Peer> peers = new TreeMap<>();
    private final Deque<Message> network = new ArrayDeque<>();
    /** Every message any node sent, in order, whether delivered or not. */
    private final List<Message> sent = new ArrayList<>();
    private final Set<Long> isolated = new HashSet<>();
    private final Set<List<Long>> cutLinks = new HashSet<>();
    private final List<Predicate<Message>> dropFilters = new ArrayList<>();
    private final Map<Long, Long> leaderOfTerm = new HashMap<>();
    /** The first entry applied at each index by anyone: every other node must apply the same. */
    private final Map<Long, Entry> appliedAt = new HashMap<>();
    private final UnaryOperator<RaftConfig> tweak;
    /**
     * When set, the sender of a SNAPSHOT hears whether it was delivered (reportSnapshot), as it
     * would from a real transport's snapshot stream.
     */
    boolean reportSnapshots;
    /** When set, messages are delivered in a random order and some are delivered twice. */
    private java.util.SplittableRandom disorder;
    private int duplicatePercent;

    private TestCluster(long seed, ConfState initialConf, UnaryOperator<RaftConfig> tweak) {
        this.seed = seed;
        this.initialConf = initialConf;
        this.tweak = tweak;
    }

    // ------------------------------------------------------------------ building

    /** Voters 1..n with the default test config. */
    static TestCluster of(int voters) {
        return builder(voters).build();
    }

    static Builder builder(int voters) {
        return new Builder(voters);
    }

    /**
     * The base config of every node: election 10 ticks, heartbeat 2, CheckQuorum and PreVote on,
     * quiescence off (tests of quiescence turn it on).
     */
    static RaftConfig baseConfig(long id) {
        // Quiescence and deferred commit notices are off: these scenarios reason about every
        // message a round sends, and expect followers to know a commit once the network is quiet.
        // Their own tests (RaftQuiescenceTest, DeferredCommitNoticeTest) and both simulations run them.
        return RaftConfig.defaults(id).withTicks(ELECTION_TICKS, HEARTBEAT_TICKS).withFeatures(true, true, false)
                .withDeferCommitNotice(false);
    }

    static final class Builder {
        private final int voters;
        private final Set<Long> learners = new HashSet<>();
        private UnaryOperator<RaftConfig> tweak = c -> c;
        private long seed = 1;
        private final Map<Long, long[]> logs = new HashMap<>();
        private final Map<Long, HardState> hardStates = new HashMap<>();

        private Builder(int voters) {
            this.voters = voters;
        }

        Builder learners(long... ids) {
            for (long id : ids) {
                learners.add(id);
            }
            return this;
        }

        Builder config(UnaryOperator<RaftConfig> t) {
            this.tweak = t;
            return this;
        }

        Builder seed(long s) {
            this.seed = s;
            return this;
        }

        /** Pre-populates node {@code id}'s durable log with entries of these terms from index 1. */
        Builder log(long id, long... terms) {
            logs.put(id, terms);
            return this;
        }

        /** Sets the durable hard state of node {@code id} (defaults to term = last log term). */
        Builder hardState(long id, long term, long vote, long commit) {
            hardStates.put(id, new HardState(term, vote, commit));
            return this;
        }

        TestCluster build() {
            Set<Long> voterIds = new HashSet<>();
            for (long i = 1; i <= voters; i++) {
                voterIds.add(i);
            }
            ConfState conf = new ConfState(voterIds, Set.of(), learners, false);
            TestCluster c = new TestCluster(seed, conf, tweak);
            Set<Long> all = new HashSet<>(voterIds);
            all.addAll(learners);
            for (long id : all.stream().sorted().toList()) {
                MemoryLogStorage storage = MemoryLogStorage.withMembership(conf);
                long[] terms = logs.getOrDefault(id, new long[0]);
                for (int i = 0; i < terms.length; i++) {
                    long index = i + 1;
                    storage.append(List.of(Entry.normal(terms[i], index, entryData(index, terms[i]))));
                }
                long lastTerm = terms.length == 0 ? 0 : terms[terms.length - 1];
                storage.setHardState(hardStates.getOrDefault(id, new HardState(lastTerm, RawNode.NONE, 0)));
                c.start(id, storage);
            }
            return c;
        }
    }

    /** The data of a pre-populated entry, so tests can tell entries apart. */
    static byte[] entryData(long index, long term) {
        return ("e" + index + "t" + term).getBytes(StandardCharsets.UTF_8);
    }

    private Peer start(long id, MemoryLogStorage storage) {
        Peer p = new Peer(id, tweak.apply(baseConfig(id)), storage);
        peers.put(id, p);
        p.node = new RawNode(p.config, storage, random(id, 0));
        return p;
    }

    private RandomSource random(long id, int incarnation) {
        return RandomSource.seeded(seed * 7919 + id * 104_729 + incarnation);
    }

    /**
     * Starts a new replica {@code id} that the group is about to add: its storage holds the
     * group's initial membership (as the runtime would create it), and it catches up from the
     * leader's log or a snapshot.
     */
    Peer addPeer(long id) {
        if (peers.containsKey(id)) {
            throw new IllegalArgumentException("peer " + id + " exists");
        }
        return start(id, MemoryLogStorage.withMembership(initialConf));
    }

    // ------------------------------------------------------------------ access

    Peer peer(long id) {
        Peer p = peers.get(id);
        if (p == null) {
            throw new IllegalArgumentException("no peer " + id);
        }
        return p;
    }

    RawNode node(long id) {
        return peer(id).node;
    }

    Raft raft(long id) {
        return peer(id).raft();
    }

    Set<Long> ids() {
        return peers.keySet();
    }

    /** The live leader with the highest term, or NONE. */
    long leaderId() {
        long leader = RawNode.NONE;
        long term = -1;
        for (Peer p : peers.values()) {
            if (p.node != null && p.raft().role() == Role.LEADER && p.raft().term() > term) {
                leader = p.id;
                term = p.raft().term();
            }
        }
        return leader;
    }

    List<String> data(long id) {
        return peer(id).data;
    }

    // ------------------------------------------------------------------ network control

    void isolate(long id) {
        isolated.add(id);
    }

    void heal() {
        isolated.clear();
        cutLinks.clear();
        dropFilters.clear();
    }

    void rejoin(long id) {
        isolated.remove(id);
    }

    /** Drops messages in both directions between a and b. */
    void cut(long a, long b) {
        cutLinks.add(List.of(a, b));
        cutLinks.add(List.of(b, a));
    }

    /** Drops every message matching {@code filter} until {@link #clearDropFilters()} or {@link #heal()}. */
    void drop(Predicate<Message> filter) {
        dropFilters.add(filter);
    }

    void clearDropFilters() {
        dropFilters.clear();
    }

    private boolean dropped(Message m) {
        if (isolated.contains(m.from()) || isolated.contains(m.to()) || cutLinks.contains(List.of(m.from(), m.to()))) {
            return true;
        }
        for (Predicate<Message> f : dropFilters) {
            if (f.test(m)) {
                return true;
            }
        }
        return false;
    }

    /** Every message sent since the last {@link #clearSent()}. */
    List<Message> sent() {
        return sent;
    }

    List<Message> sent(Predicate<Message> filter) {
        return sent.stream().filter(filter).toList();
    }

    void clearSent() {
        sent.clear();
    }

    /** Messages queued and not yet delivered or dropped. */
    List<Message> inFlight() {
        return List.copyOf(network);
    }

    /** Forgets every queued message (a network that loses everything in flight). */
    void dropInFlight() {
        network.clear();
    }

    // ------------------------------------------------------------------ driving

    /** Ticks the given live nodes once each, without delivering anything. */
    void tick(long... ids) {
        for (long id : ids) {
            Peer p = peer(id);
            if (p.node != null) {
                p.node.tick();
            }
        }
        checkLeaders();
    }

    /** Ticks every live node once, without delivering anything. */
    void tickAll() {
        for (Peer p : peers.values()) {
            if (p.node != null) {
                p.node.tick();
            }
        }
        checkLeaders();
    }

    /** {@code rounds} times: tick every live node, then deliver until quiet. */
    void tickAndStabilize(int rounds) {
        for (int i = 0; i < rounds; i++) {
            tickAll();
            stabilize();
        }
    }

    /**
     * Ticks and stabilizes until {@code condition} holds, at most {@code maxRounds} rounds.
     * Returns the number of rounds it took; fails the test if the condition never held.
     */
    int tickUntil(BooleanSupplier condition, int maxRounds, String what) {
        for (int round = 0; round <= maxRounds; round++) {
            if (condition.getAsBoolean()) {
                return round;
            }
            tickAll();
            stabilize();
        }
        throw new AssertionError("after " + maxRounds + " rounds, still not: " + what + "\n" + this);
    }

    /** Delivers in a random order from now on, repeating {@code duplicatePercent}% of messages. */
    void disorder(long seed, int duplicatePercent) {
        this.disorder = new java.util.SplittableRandom(seed);
        this.duplicatePercent = duplicatePercent;
    }

    private Message nextMessage() {
        if (disorder == null || network.isEmpty()) {
            return network.poll();
        }
        List<Message> all = new ArrayList<>(network);
        Message m = all.remove(disorder.nextInt(all.size()));
        if (disorder.nextInt(100) < duplicatePercent) {
            all.add(m);
        }
        network.clear();
        network.addAll(all);
        return m;
    }

    /** Processes Readys and delivers messages until no node has anything left to do. */
    int stabilize() {
        int delivered = 0;
        processReadies();
        Message m;
        while ((m = nextMessage()) != null) {
            deliver(m);
            processReadies();
            if (++delivered > MAX_DELIVERIES) {
                throw new AssertionError("network did not quiesce after " + MAX_DELIVERIES + " messages\n" + this);
            }
        }
        return delivered;
    }

    /** Delivers only queued messages matching {@code filter} (others stay queued), then processes Readys. */
    void deliverOnly(Predicate<Message> filter) {
        List<Message> keep = new ArrayList<>();
        List<Message> now = new ArrayList<>();
        for (Message m : network) {
            (filter.test(m) ? now : keep).add(m);
        }
        network.clear();
        network.addAll(keep);
        for (Message m : now) {
            deliver(m);
        }
        processReadies();
    }

    /** Processes the Ready of every live node that has one, without delivering messages. */
    void processReadies() {
        boolean progress = true;
        while (progress) {
            progress = false;
            for (Peer p : peers.values()) {
                if (p.node != null && !p.manualReady && p.node.hasReady()) {
                    Ready rd = p.node.ready();
                    if (p.holdIf != null && p.holdIf.test(rd)) {
                        p.held = rd;
                        p.holdIf = null;
                        p.manualReady = true;
                    } else {
                        handleReady(p, rd);
                    }
                    progress = true;
                }
            }
        }
    }

    /** Steps {@code m} into its destination unless the network drops it. */
    void deliver(Message m) {
        Peer to = peers.get(m.to());
        boolean lost = dropped(m) || to == null || to.node == null;
        Peer from = peers.get(m.from());
        if (reportSnapshots && m.type() == MessageType.SNAPSHOT && from != null && from.node != null) {
            from.node.reportSnapshot(m.to(), !lost);
        }
        if (lost) {
            return;
        }
        to.node.step(m);
        checkLeaders();
    }

    /** The owner loop for one Ready, in the order {@link Ready} prescribes. */
    void handleReady(Peer p, Ready rd) {
        p.readies.add(rd);
        // 0. What may leave before the write, leaves first: its promises must already be durable.
        for (Message m : rd.messagesBeforePersist()) {
            checkSendableBeforePersist(p, rd, m);
            checkDurableBeforeSend(p, m);
            sent.add(m);
            network.add(m);
        }
        // 1. Persist: snapshot, entries, hard state.
        if (rd.snapshot() != null) {
            p.storage.applySnapshot(rd.snapshot());
            restoreStateMachine(p, rd.snapshot());
        }
        p.storage.append(rd.entries());
        if (rd.hardState() != null) {
            p.storage.setHardState(rd.hardState());
        }
        // 2. Send the rest, now that what the messages promise is durable.
        for (Message m : rd.messagesAfterPersist()) {
            checkDurableBeforeSend(p, m);
            sent.add(m);
            network.add(m);
        }
        // 3. Apply.
        for (Entry e : rd.committedEntries()) {
            if (e.index() != p.appliedIndex + 1) {
                throw new AssertionError("node " + p.id + " applies " + e + " after " + p.appliedIndex);
            }
            Entry first = appliedAt.putIfAbsent(e.index(), e);
            if (first != null && !first.equals(e)) {
                throw new AssertionError("state machine safety: node " + p.id + " applies " + e + " where "
                        + first + " was applied");
            }
            p.appliedIndex = e.index();
            p.applied.add(e);
            if (e.type() == EntryType.NORMAL) {
                p.data.add(new String(e.data(), StandardCharsets.UTF_8));
            }
        }
        // 4. Reads.
        p.readStates.addAll(rd.readStates());
        p.node.advance(rd);
    }

    /**
     * A message sent before its Ready's write is a leader's append or heartbeat of the durable
     * term, and the commit index it carries is durable in the sender's log.
     */
    private void checkSendableBeforePersist(Peer p, Ready rd, Message m) {
        HardState hs = p.storage.hardState();
        HardState next = rd.hardState() == null ? hs : rd.hardState();
        if ((m.type() != MessageType.APPEND && m.type() != MessageType.HEARTBEAT) || m.term() != hs.term()
                || next.term() != hs.term() || next.vote() != hs.vote() || m.commit() > p.storage.lastIndex()) {
            throw new AssertionError("node " + p.id + " may not send " + m + " before its write: stored hard state "
                    + hs + ", stored last index " + p.storage.lastIndex());
        }
    }

    private void checkDurableBeforeSend(Peer p, Message m) {
        if (m.type() == MessageType.VOTE_RESPONSE && !m.reject()) {
            // The vote must be durable, or a later term must be: then no other vote in the
            // granted term can follow either.
            HardState hs = p.storage.hardState();
            if (hs.term() < m.term() || (hs.term() == m.term() && hs.vote() != m.to())) {
                throw new AssertionError("node " + p.id + " sends " + m + " but stored hard state is " + hs);
            }
        }
        // An acknowledgement must be covered by storage, unless the node has moved to a later term
        // since: a Ready may carry an ack from term t together with the truncation a leader of a
        // later term made in the same batch. That is as safe as persisting after each step and
        // sending late, since every message of the batch waits for its final state to be durable.
        if (m.type() == MessageType.APPEND_RESPONSE && !m.reject() && m.term() >= p.storage.hardState().term()
                && m.index() > p.storage.lastIndex()) {
            throw new AssertionError("node " + p.id + " acknowledges " + m.index() + " but stored last index is "
                    + p.storage.lastIndex() + " (" + m + ")");
        }
    }

    private void checkLeaders() {
        for (Peer p : peers.values()) {
            if (p.node != null && p.raft().role() == Role.LEADER) {
                Long other = leaderOfTerm.putIfAbsent(p.raft().term(), p.id);
                if (other != null && other != p.id) {
                    throw new AssertionError("election safety: " + other + " and " + p.id + " both led term "
                            + p.raft().term());
                }
            }
        }
    }

    // ------------------------------------------------------------------ requests

    ProposeResult propose(long id, String data) {
        return node(id).propose(data.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Makes {@code id} campaign at once, the way a TimeoutNow from the leader does: a real
     * election without PreVote, whose vote requests bypass the voters' leader lease.
     */
    void campaign(long id) {
        Raft r = raft(id);
        long from = peers.keySet().stream().filter(other -> other != id).findFirst().orElse(id + 1);
        node(id).step(Message.builder(MessageType.TIMEOUT_NOW).to(id).from(from).term(r.term()).build());
    }

    /** Campaigns with {@code id}, delivers until quiet, and checks that it won. */
    void elect(long id) {
        campaign(id);
        stabilize();
        assertThat(leaderId()).as("leader after %d campaigned\n%s", id, this).isEqualTo(id);
    }

    // ------------------------------------------------------------------ crashes and snapshots

    /** Loses the node's memory; its storage (the disk) survives. Messages to it are dropped. */
    void crash(long id) {
        Peer p = peer(id);
        p.node = null;
        p.manualReady = false;
        p.held = null;
        p.holdIf = null;
    }

    /**
     * Rebuilds the node from its storage. With {@code keepStateMachine} the toy state machine
     * survived too (it is durable), so the node restarts with its applied index; otherwise it
     * restarts from the latest snapshot and replays the log.
     */
    void restart(long id, boolean keepStateMachine) {
        Peer p = peer(id);
        p.incarnation++;
        if (!keepStateMachine) {
            p.data.clear();
            p.applied.clear();
            Snapshot snap = p.storage.latestSnapshot();
            p.appliedIndex = snap.index();
            if (snap.index() > 0) {
                p.data.addAll(decodeStateMachine(snap.data()));
            }
        }
        p.node = new RawNode(p.config.withApplied(p.appliedIndex), p.storage, random(id, p.incarnation));
    }

    /** Snapshots node {@code id}'s state machine at its applied index and compacts its log there. */
    void snapshotAndCompact(long id) {
        Peer p = peer(id);
        p.storage.createSnapshot(p.appliedIndex, p.node.confState(), encodeStateMachine(p.data));
        p.storage.compact(p.appliedIndex);
    }

    private static byte[] encodeStateMachine(List<String> data) {
        return String.join("\n", data).getBytes(StandardCharsets.UTF_8);
    }

    private static List<String> decodeStateMachine(byte[] bytes) {
        String s = new String(bytes, StandardCharsets.UTF_8);
        return s.isEmpty() ? List.of() : Arrays.asList(s.split("\n", -1));
    }

    private void restoreStateMachine(Peer p, Snapshot snap) {
        p.data.clear();
        p.data.addAll(decodeStateMachine(snap.data()));
        p.applied.clear();
        p.appliedIndex = snap.index();
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("TestCluster:");
        for (Peer p : peers.values()) {
            sb.append("\n  ").append(p.node == null ? "node " + p.id + " crashed" : p.node.toString())
                    .append(isolated.contains(p.id) ? " ISOLATED" : "");
        }
        return sb.toString();
    }
}
