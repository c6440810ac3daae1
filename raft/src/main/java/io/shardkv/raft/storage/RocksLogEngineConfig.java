package io.shardkv.raft.storage;

/**
 * Settings of the shared log engine.
 *
 * @param maxCacheBytesPerGroup  the most memory one group's entry cache may hold (default 1 MiB:
 *                               enough for a follower catching up a few appends behind and for
 *                               the apply path, without one busy group taking the whole budget)
 * @param maxCacheBytesTotal     the most memory all entry caches together may hold (default 256 MiB)
 * @param logWriteBufferBytes    RocksDB memtable size of the {@code log} column family (default
 *                               64 MiB, RocksDB's own default; larger absorbs more appends before a
 *                               flush, and compacted entries that die in the memtable never reach
 *                               an SST file)
 * @param maxBackgroundJobs      RocksDB flush and compaction threads (default 2; the machine's cores
 *                               belong to the pollers and the state machine first)
 */
public record RocksLogEngineConfig(long maxCacheBytesPerGroup, long maxCacheBytesTotal, long logWriteBufferBytes,
                                   int maxBackgroundJobs) {

    public RocksLogEngineConfig {
        if (maxCacheBytesPerGroup < 0 || maxCacheBytesTotal < 0) {
            throw new IllegalArgumentException("negative cache bound: per group " + maxCacheBytesPerGroup
                    + ", total " + maxCacheBytesTotal);
        }
        if (logWriteBufferBytes < 1 << 20) {
            throw new IllegalArgumentException("logWriteBufferBytes " + logWriteBufferBytes + " below 1 MiB");
        }
        if (maxBackgroundJobs < 1) {
            throw new IllegalArgumentException("maxBackgroundJobs " + maxBackgroundJobs + " must be at least 1");
        }
    }

    /** The documented defaults above. */
    public static RocksLogEngineConfig defaults() {
        return new RocksLogEngineConfig(1L << 20, 256L << 20, 64L << 20, 2);
    }

    /** These settings with other entry cache bounds. */
    public RocksLogEngineConfig withCacheBytes(long perGroup, long total) {
        return new RocksLogEngineConfig(perGroup, total, logWriteBufferBytes, maxBackgroundJobs);
    }
}
