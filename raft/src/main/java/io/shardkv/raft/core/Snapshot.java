package io.shardkv.raft.core;

/**
 * A state-machine image at an index. The core never looks inside {@code data}; the runtime may
 * leave it empty and move the real bytes on a separate stream.
 */
public record Snapshot(SnapshotMetadata metadata, byte[] data) {
    public Snapshot {
        if (metadata == null) {
            throw new IllegalArgumentException("snapshot metadata is required");
        }
        data = data == null ? new byte[0] : data;
    }

    public long index() {
        return metadata.index();
    }

    public long term() {
        return metadata.term();
    }

    @Override
    public String toString() {
        return "Snapshot{" + metadata.index() + "@" + metadata.term() + " " + metadata.confState() + " " + data.length + "B}";
    }
}
