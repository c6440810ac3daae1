package io.shardkv.client;

import io.shardkv.common.Limits;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.PriorityQueue;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * Merges the scans of several groups into one stream in key order, lazily. Each group's
 * server already returns its keys in order (it merges its slots), so a k-way merge over the
 * groups' pages is enough. The first page of every group is requested at once, in parallel;
 * later pages are fetched when a group's buffer runs dry. Each stream reads a set of slots of
 * one group, as the map had them when the scan started: slots, hence keys, belong to one group
 * each, so no key appears twice. When slots move during the scan, the stream whose group gave
 * them away fails with WRONG_GROUP; its slots are split by their owners in the newest map and
 * each part resumes after the stream's cursor, so no key is missed either.
 */
final class MergingScanIterator implements Iterator<KvPair> {
    /** One page of one group's scan. {@code cursor} is the next page's, valid when {@code more}. */
    record Page(List<KvPair> pairs, byte[] cursor, boolean more) {
    }

    /** Fetches a page of {@code slots} of {@code group} after {@code cursor} (empty: the first page). */
    interface PageSource {
        CompletableFuture<Page> fetch(long group, List<Integer> slots, byte[] cursor, int limit);
    }

    /** The owners of {@code slots} in the newest map the client has (refreshed first). */
    interface Owners {
        Map<Long, List<Integer>> of(long formerGroup, List<Integer> slots);
    }

    /** Bounds the splits of one scan: slots that keep moving faster than a scan reads them fail it. */
    static final int MAX_REROUTES = 10_000;

    private final Map<Long, List<Integer>> groups;
    private final PageSource source;
    private final Owners owners;
    private int reroutes;
    private final Function<CompletableFuture<Page>, Page> await;
    private final int pageSize;
    private final long limit;
    private final PriorityQueue<GroupStream> heads =
            new PriorityQueue<>((a, b) -> Bytes.compare(a.buffer.peekFirst().key(), b.buffer.peekFirst().key()));
    private boolean started;
    private long returned;

    /**
     * @param limit total pairs to return, 0 for all
     * @param await waits for a page and turns failures into the client's exceptions
     */
    MergingScanIterator(Map<Long, List<Integer>> groups, PageSource source, Owners owners, int pageSize, long limit,
            Function<CompletableFuture<Page>, Page> await) {
        this.groups = new java.util.TreeMap<>(groups);
        this.source = source;
        this.owners = owners;
        this.pageSize = pageSize == 0 ? Limits.DEFAULT_SCAN_LIMIT : pageSize;
        this.limit = limit;
        this.await = await;
    }

    @Override
    public boolean hasNext() {
        if (!started) {
            start();
        }
        return !heads.isEmpty() && (limit == 0 || returned < limit);
    }

    @Override
    public KvPair next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        GroupStream stream = heads.poll();
        KvPair pair = stream.buffer.pollFirst();
        returned++;
        if (limit == 0 || returned < limit) {
            if (stream.buffer.isEmpty() && stream.more) {
                load(stream, stream.fetchNext());
            } else if (!stream.buffer.isEmpty()) {
                heads.add(stream);
            }
        }
        return pair;
    }

    private void start() {
        started = true;
        List<GroupStream> streams = new ArrayList<>();
        List<CompletableFuture<Page>> firstPages = new ArrayList<>();
        for (Map.Entry<Long, List<Integer>> g : groups.entrySet()) {
            GroupStream stream = new GroupStream(g.getKey(), g.getValue(), new byte[0]);
            streams.add(stream);
            firstPages.add(stream.fetchNext());
        }
        for (int i = 0; i < streams.size(); i++) {
            load(streams.get(i), firstPages.get(i));
        }
    }

    /**
     * Takes the stream's next page into its buffer and queues the stream if it has pairs. When its
     * group gave some of its slots away, the stream is replaced by one per owner of its slots,
     * each resuming after the cursor it had reached (its buffer is empty whenever it fetches).
     */
    private void load(GroupStream stream, CompletableFuture<Page> page) {
        try {
            stream.receive(await.apply(page));
        } catch (KvException e) {
            if (e.code() != io.shardkv.kv.proto.ErrorCode.WRONG_GROUP || ++reroutes > MAX_REROUTES) {
                throw e;
            }
            for (Map.Entry<Long, List<Integer>> part : owners.of(stream.group, stream.slots).entrySet()) {
                if (part.getKey() == 0) {
                    throw new KvException(io.shardkv.kv.proto.ErrorCode.WRONG_GROUP, "slots " + part.getValue()
                            + " have no owner in the newest map; scan again");
                }
                GroupStream next = new GroupStream(part.getKey(), part.getValue(), stream.cursor);
                load(next, next.fetchNext());
            }
            return;
        }
        if (!stream.buffer.isEmpty()) {
            heads.add(stream);
        }
    }

    private int nextPageLimit() {
        return limit == 0 ? pageSize : (int) Math.max(1, Math.min(pageSize, limit - returned));
    }

    private final class GroupStream {
        private final long group;
        private final List<Integer> slots;
        private final ArrayDeque<KvPair> buffer = new ArrayDeque<>();
        private byte[] cursor;
        private boolean more = true;

        GroupStream(long group, List<Integer> slots, byte[] cursor) {
            this.group = group;
            this.slots = List.copyOf(slots);
            this.cursor = cursor;
        }

        CompletableFuture<Page> fetchNext() {
            return source.fetch(group, slots, cursor, nextPageLimit());
        }

        /** Takes a page; a page that is empty but says more (a server cut it short) is followed. */
        void receive(Page page) {
            Page current = page;
            while (true) {
                buffer.addAll(current.pairs());
                more = current.more();
                cursor = current.cursor();
                if (!buffer.isEmpty() || !more) {
                    return;
                }
                current = await.apply(fetchNext());
            }
        }
    }
}
