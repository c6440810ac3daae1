package io.shardkv.kv.state;

import static org.assertj.core.api.Assertions.assertThat;

import io.shardkv.kv.engine.KvEngine;
import io.shardkv.kv.engine.KvKeys;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;

/**
 * The session table's deletes are point deletes. A range deletion in RocksDB's memtable makes the
 * next get of any key fragment every range deletion of the memtable again; with one per write,
 * gets mixed with writes spent most of a server's CPU on it.
 */
class SessionTableTest {
    private static final long GROUP = 4;

    @TempDir
    Path dir;
    private KvEngine engine;
    private SessionTable table;

    @BeforeEach
    void open() {
        engine = KvEngine.open(dir.resolve("e"));
        table = SessionTable.load(engine, GROUP, 100);
    }

    @AfterEach
    void close() {
        engine.close();
    }

    private SessionTable.Session sessionWithReplies(long clientId, long lastSeenMillis, long... sequences)
            throws RocksDBException {
        SessionTable.Session s = table.create(clientId, 1, lastSeenMillis);
        try (WriteBatch batch = new WriteBatch()) {
            for (long sequence : sequences) {
                table.putReply(clientId, s, sequence, new byte[] {(byte) sequence}, batch);
            }
            table.putSession(clientId, s, batch);
            engine.write(batch, false);
        }
        return s;
    }

    @Test
    void acknowledgingRepliesDeletesEachWithoutARangeDeletion() throws RocksDBException {
        SessionTable.Session s = sessionWithReplies(7, 10, 1, 2, 3, 5);
        try (WriteBatch batch = new WriteBatch()) {
            table.acknowledgeBelow(7, s, 4, batch);
            assertThat(batch.hasDeleteRange()).isFalse();
            assertThat(batch.count()).as("one delete per acknowledged reply").isEqualTo(3);
            engine.write(batch, false);
        }
        assertThat(s.floor).isEqualTo(4);
        assertThat(s.replies).containsExactly(5L);
        for (long sequence : List.of(1L, 2L, 3L)) {
            assertThat(engine.get(KvKeys.clientReply(GROUP, 7, sequence))).isNull();
        }
        assertThat(engine.get(KvKeys.clientReply(GROUP, 7, 5))).containsExactly(5);

        try (WriteBatch batch = new WriteBatch()) {
            table.acknowledgeBelow(7, s, 4, batch);
            assertThat(batch.count()).as("an acknowledgement seen before writes nothing").isZero();
        }
    }

    @Test
    void anExpiredSessionIsDeletedRecordByRecord() throws RocksDBException {
        sessionWithReplies(7, 10, 2, 3);
        sessionWithReplies(8, 5_000, 1);
        List<Long> evicted = new ArrayList<>();
        try (WriteBatch batch = new WriteBatch()) {
            table.expire(5_000, 1_000, batch, evicted::add);
            assertThat(batch.hasDeleteRange()).isFalse();
            engine.write(batch, false);
        }
        assertThat(evicted).containsExactly(7L);
        assertThat(engine.get(KvKeys.client(GROUP, 7))).isNull();
        assertThat(engine.get(KvKeys.clientReply(GROUP, 7, 2))).isNull();
        assertThat(engine.get(KvKeys.clientReply(GROUP, 7, 3))).isNull();
        assertThat(engine.get(KvKeys.clientReply(GROUP, 8, 1))).containsExactly(1);
        assertThat(SessionTable.load(engine, GROUP, 100).size()).as("what a restart reads back").isEqualTo(1);
    }
}
