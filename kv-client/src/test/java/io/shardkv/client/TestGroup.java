package io.shardkv.client;

import io.shardkv.kv.proto.ErrorCode;
import io.shardkv.kv.proto.KvError;
import io.shardkv.kv.proto.WriteSession;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.function.BooleanSupplier;

/** One test shard group: members, leader, owned slots, data, and errors to inject. */
public final class TestGroup {
    private final long id;
    private final List<Long> members;
    private final Set<Integer> slots = new CopyOnWriteArraySet<>();
    /** Slots this group gave away before the map says so: slot -> {owner, epoch}. */
    final Map<Integer, long[]> givenAway = new java.util.concurrent.ConcurrentHashMap<>();
    private final ConcurrentSkipListMap<byte[], byte[]> data = new ConcurrentSkipListMap<>(Arrays::compareUnsigned);
    private volatile long leaderId;
    // Guarded by this.
    private final ArrayDeque<KvError> faults = new ArrayDeque<>();
    private final List<WriteSession> sessions = new ArrayList<>();
    private final Map<String, Boolean> replies = new HashMap<>();
    private int applies;
    private int loseRepliesLeft;
    private int internalFailuresLeft;
    private int faultsServed;
    private int scanPages;

    TestGroup(long id, List<Long> members) {
        this.id = id;
        this.members = List.copyOf(members);
        this.leaderId = members.get(0);
    }

    long id() {
        return id;
    }

    List<Long> members() {
        return members;
    }

    long leaderId() {
        return leaderId;
    }

    void setLeader(long serverId) {
        leaderId = serverId;
    }

    Set<Integer> slots() {
        return slots;
    }

    boolean ownsSlot(int slot) {
        return slots.contains(slot);
    }

    public ConcurrentSkipListMap<byte[], byte[]> data() {
        return data;
    }

    /** The next requests reaching the leader get these errors, in order. */
    synchronized void injectFaults(ErrorCode code, int times) {
        for (int i = 0; i < times; i++) {
            faults.add(KvError.newBuilder().setCode(code).setMessage("injected " + code).build());
        }
    }

    synchronized void injectFault(KvError fault) {
        faults.add(fault);
    }

    synchronized KvError takeFault() {
        KvError fault = faults.poll();
        if (fault != null) {
            faultsServed++;
        }
        return fault;
    }

    /** How many injected errors requests have received. */
    synchronized int faultsServed() {
        return faultsServed;
    }

    synchronized void recordSession(WriteSession session) {
        sessions.add(session);
    }

    synchronized List<WriteSession> sessions() {
        return List.copyOf(sessions);
    }

    /** Applies a write once per (client, sequence); a retry gets the first reply. */
    synchronized boolean applyOnce(WriteSession session, BooleanSupplier write) {
        String id = session.getClientId() + "/" + session.getSequence();
        Boolean reply = replies.get(id);
        if (reply == null) {
            reply = write.getAsBoolean();
            replies.put(id, reply);
            applies++;
        }
        return reply;
    }

    /** The next {@code times} puts apply but fail the call with gRPC INTERNAL (outcome unknown). */
    synchronized void failCallsAfterApply(int times) {
        internalFailuresLeft = times;
    }

    synchronized boolean takeInternalFailure() {
        if (internalFailuresLeft > 0) {
            internalFailuresLeft--;
            return true;
        }
        return false;
    }

    /** The next {@code times} writes apply but answer TIMEOUT, as if the reply were lost. */
    synchronized void loseReplies(int times) {
        loseRepliesLeft = times;
    }

    synchronized boolean takeLostReply() {
        if (loseRepliesLeft > 0) {
            loseRepliesLeft--;
            return true;
        }
        return false;
    }

    synchronized int applies() {
        return applies;
    }

    synchronized void countScanPage() {
        scanPages++;
    }

    synchronized int scanPages() {
        return scanPages;
    }

    static KvError error(ErrorCode code) {
        return KvError.newBuilder().setCode(code).build();
    }
}
