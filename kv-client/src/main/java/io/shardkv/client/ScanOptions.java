package io.shardkv.client;

import io.shardkv.common.Limits;
import io.shardkv.kv.proto.ReadConsistency;
import java.nio.charset.StandardCharsets;

/**
 * What a scan reads: keys in [start, end) in byte order (empty end = no upper bound), at
 * most {@code limit} pairs in total (0 = all), fetched {@code pageSize} pairs per request
 * per group, read with {@code consistency}.
 */
public record ScanOptions(byte[] start, byte[] end, long limit, int pageSize, ReadConsistency consistency) {
    public ScanOptions {
        if (start == null || end == null || consistency == null) {
            throw new IllegalArgumentException("scan start, end and consistency must not be null");
        }
        if (limit < 0) {
            throw KvException.invalidArgument("scan limit must not be negative, got " + limit);
        }
        RequestChecks.checkScanLimit(pageSize);
        RequestChecks.checkScanRange(start, end);
    }

    /** All keys, linearizable, in pages of the default size. */
    public static ScanOptions all() {
        return new ScanOptions(new byte[0], new byte[0], 0, Limits.DEFAULT_SCAN_LIMIT, ReadConsistency.LINEARIZABLE);
    }

    public static ScanOptions range(byte[] start, byte[] end) {
        return all().withStart(start).withEnd(end);
    }

    public ScanOptions withStart(byte[] newStart) {
        return new ScanOptions(newStart, end, limit, pageSize, consistency);
    }

    public ScanOptions withStart(String newStart) {
        return withStart(newStart.getBytes(StandardCharsets.UTF_8));
    }

    public ScanOptions withEnd(byte[] newEnd) {
        return new ScanOptions(start, newEnd, limit, pageSize, consistency);
    }

    public ScanOptions withEnd(String newEnd) {
        return withEnd(newEnd.getBytes(StandardCharsets.UTF_8));
    }

    public ScanOptions withLimit(long newLimit) {
        return new ScanOptions(start, end, newLimit, pageSize, consistency);
    }

    public ScanOptions withPageSize(int newPageSize) {
        return new ScanOptions(start, end, limit, newPageSize, consistency);
    }

    public ScanOptions withConsistency(ReadConsistency newConsistency) {
        return new ScanOptions(start, end, limit, pageSize, newConsistency);
    }
}
