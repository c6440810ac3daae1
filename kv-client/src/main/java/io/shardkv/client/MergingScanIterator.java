package io.shardkv.client;

import io.shardkv.common.Limits;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.PriorityQueue;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * Merges the scans of several groups into one stream in key order, lazily. Each group's
 * server already returns its keys in order (it merges its slots), so a k-way merge over the
 * groups' pages is enough. The first page of every group is requested at once, in parallel;
 * later pages are fetched when a group's buffer runs dry. Slots, hence keys, belong to one
 * group each, so no key appears twice.
 */
final class MergingScanIterator implements Iterator<KvPair> {
    /** One page of one group's scan. {@code cursor} is the next page's, valid when {@code more}. */
    record Page(List<KvPair> pairs, byte[] cursor, boolean more) {
    }

    /** Fetches a page of {@code group} from {@code cursor} (empty: the first page). */
    interface PageSource {
        CompletableFuture<Page> fetch(long group, byte[] cursor, int limit);
    }

    private final List<Long> groups;
    private final PageSource source;
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
    MergingScanIterator(List<Long> groups, PageSource source, int pageSize, long limit,
            Function<CompletableFuture<Page>, Page> await) {
        this.groups = List.copyOf(groups);
        this.source = source;
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
                stream.receive(await.apply(stream.fetchNext()));
            }
            if (!stream.buffer.isEmpty()) {
                heads.add(stream);
            }
        }
        return pair;
    }

    private void start() {
        started = true;
        List<GroupStream> streams = new ArrayList<>();
        List<CompletableFuture<Page>> firstPages = new ArrayList<>();
        for (long group : groups) {
            GroupStream stream = new GroupStream(group);
            streams.add(stream);
            firstPages.add(stream.fetchNext());
        }
        for (int i = 0; i < streams.size(); i++) {
            GroupStream stream = streams.get(i);
            stream.receive(await.apply(firstPages.get(i)));
            if (!stream.buffer.isEmpty()) {
                heads.add(stream);
            }
        }
    }

    private int nextPageLimit() {
        return limit == 0 ? pageSize : (int) Math.max(1, Math.min(pageSize, limit - returned));
    }

    private final class GroupStream {
        private final long group;
        private final ArrayDeque<KvPair> buffer = new ArrayDeque<>();
        private byte[] cursor = new byte[0];
        private boolean more = true;

        GroupStream(long group) {
            this.group = group;
        }

        CompletableFuture<Page> fetchNext() {
            return source.fetch(group, cursor, nextPageLimit());
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
