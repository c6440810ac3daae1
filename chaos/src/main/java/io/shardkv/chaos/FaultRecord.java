package io.shardkv.chaos;

import java.util.Optional;

/**
 * One fault the nemesis caused, for the availability report.
 *
 * @param description  what it did, as logged ({@code pause kv-1 (leader of groups 2)})
 * @param singleServer the one server it paused, killed or isolated; empty for partitions of many
 * @param startMicros   when it began, on the run's clock
 * @param healMicros    when it was undone
 */
record FaultRecord(String description, Optional<String> singleServer, long startMicros, long healMicros) {
}
