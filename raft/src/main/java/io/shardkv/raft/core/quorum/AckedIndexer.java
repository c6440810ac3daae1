package io.shardkv.raft.core.quorum;

/** Looks up the highest log index a voter is known to hold; -1 when that voter is unknown. */
@FunctionalInterface
public interface AckedIndexer {
    long ackedIndex(long voterId);
}
