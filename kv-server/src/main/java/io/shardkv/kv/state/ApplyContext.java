package io.shardkv.kv.state;

import io.shardkv.kv.proto.MigrationRecord;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;
import org.rocksdb.WriteBatch;

/**
 * State of one {@code apply} call of a {@link KvStateMachine}: its batch, and what its earlier
 * entries changed that the database cannot show yet. Apply thread only.
 */
final class ApplyContext {
    /** A deleted key in {@link #overlay}. */
    static final byte[] TOMBSTONE = new byte[0];

    final WriteBatch batch;
    long clock;
    SlotTable slots;
    final TreeSet<Long> dirtySessions = new TreeSet<>();
    /** Data and reply keys written earlier in this batch (TOMBSTONE: deleted). */
    final Map<ByteBuffer, byte[]> overlay = new HashMap<>();
    /** The group's migration records as of the last entry applied; a copy once one changes. */
    Map<Long, MigrationRecord> migrations;
    private boolean migrationsCopied;
    /** Records changed (written at the end) or removed (null value) by this batch. */
    final Map<Long, MigrationRecord> changedMigrations = new HashMap<>();

    ApplyContext(WriteBatch batch, long clock, SlotTable slots, Map<Long, MigrationRecord> migrations) {
        this.batch = batch;
        this.clock = clock;
        this.slots = slots;
        this.migrations = migrations;
    }

    MigrationRecord migration(long id) {
        return migrations.get(id);
    }

    void putMigration(MigrationRecord record) {
        copyMigrations();
        migrations.put(record.getMigrationId(), record);
        changedMigrations.put(record.getMigrationId(), record);
    }

    void removeMigration(long id) {
        copyMigrations();
        migrations.remove(id);
        changedMigrations.put(id, null);
    }

    boolean migrationsChanged() {
        return migrationsCopied;
    }

    private void copyMigrations() {
        if (!migrationsCopied) {
            migrations = new HashMap<>(migrations);
            migrationsCopied = true;
        }
    }
}
