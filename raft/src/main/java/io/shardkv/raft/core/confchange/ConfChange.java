package io.shardkv.raft.core.confchange;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.ByteArrayInputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A membership change carried by a CONF_CHANGE entry.
 *
 * <ul>
 *   <li>One step that changes at most one voter is applied directly (a simple change).</li>
 *   <li>Several steps enter a joint configuration (old and new voters must both agree); the
 *       leader leaves it automatically once the joint entry is applied. This moves a replica in
 *       one request: add the new voter and remove the old one together.</li>
 *   <li>No steps leaves the joint configuration.</li>
 * </ul>
 */
public record ConfChange(List<ConfChangeSingle> changes) {
    private static final int FORMAT_VERSION = 1;
    /** Bounds decoding of corrupt data; no real change has this many steps. */
    private static final int MAX_STEPS = 1024;

    public ConfChange {
        changes = List.copyOf(changes);
    }

    public static ConfChange of(ConfChangeSingle... steps) {
        return new ConfChange(List.of(steps));
    }

    public static ConfChange leaveJoint() {
        return new ConfChange(List.of());
    }

    public boolean isLeaveJoint() {
        return changes.isEmpty();
    }

    public byte[] encode() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(4 + changes.size() * 9);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(FORMAT_VERSION);
            out.writeShort(changes.size());
            for (ConfChangeSingle c : changes) {
                out.writeByte(c.type().ordinal());
                out.writeLong(c.nodeId());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** Decodes entry data; throws IllegalArgumentException on anything malformed. */
    public static ConfChange decode(byte[] data) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(data))) {
            int version = in.readUnsignedByte();
            if (version != FORMAT_VERSION) {
                throw new IllegalArgumentException("unknown conf change format " + version);
            }
            int n = in.readUnsignedShort();
            if (n > MAX_STEPS) {
                throw new IllegalArgumentException("conf change with " + n + " steps");
            }
            List<ConfChangeSingle> steps = new ArrayList<>(n);
            ConfChangeType[] types = ConfChangeType.values();
            for (int i = 0; i < n; i++) {
                int t = in.readUnsignedByte();
                if (t >= types.length) {
                    throw new IllegalArgumentException("unknown conf change type " + t);
                }
                steps.add(new ConfChangeSingle(types[t], in.readLong()));
            }
            if (in.available() != 0) {
                throw new IllegalArgumentException("trailing bytes after conf change");
            }
            return new ConfChange(steps);
        } catch (IOException e) {
            throw new IllegalArgumentException("truncated conf change", e);
        }
    }
}
