package io.shardkv.kv.migration;

import io.shardkv.kv.proto.PullRequest;
import io.shardkv.kv.proto.PullResponse;

/** Where an importer pulls a migration's pages from: the source group's replicas. */
public interface PullSource {
    /**
     * Answers {@code request} from a replica of its group that can.
     *
     * @throws SourcePuller.PullException when no replica answered
     */
    PullResponse pull(PullRequest request) throws SourcePuller.PullException;
}
