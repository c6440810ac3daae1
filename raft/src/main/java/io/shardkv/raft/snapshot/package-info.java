/**
 * Snapshots as files (DESIGN 2.5): where a server keeps them ({@link
 * io.shardkv.raft.snapshot.SnapshotStore}), what they consist of (a manifest with sizes and
 * checksums), and how they are read and written as one stream of bytes in chunks, so that no
 * snapshot ever has to fit in the heap.
 */
package io.shardkv.raft.snapshot;
