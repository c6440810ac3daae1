package io.shardkv.bench.peers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

final class Dirs {
    private Dirs() {
    }

    /** Deletes {@code dir} and everything in it; a missing directory is already deleted. */
    static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                try {
                    Files.delete(p);
                } catch (NoSuchFileException gone) {
                    // Removed meanwhile (a server cleaning up as it exits): nothing left to do.
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + dir, e);
        }
    }
}
