package io.shardkv.kvctl;

import io.shardkv.common.Limits;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where {@code kvctl put} takes its value from: the argument as UTF-8 text, standard input
 * ({@code -}), or a file ({@code --value-file}). Input is read up to one byte past the value limit,
 * so an oversized value is refused with the limit's message without reading it all. Bad usage
 * is an {@link IllegalArgumentException}: exit code 2 with a one-line message.
 */
final class ValueSource {
    private ValueSource() {
    }

    static byte[] read(String argument, Path file, InputStream stdin) throws IOException {
        if (file != null && argument != null) {
            throw new IllegalArgumentException("give VALUE or --value-file, not both");
        }
        if (file != null) {
            if (!Files.isRegularFile(file)) {
                throw new IllegalArgumentException("--value-file " + file + ": no such file");
            }
            try (InputStream in = Files.newInputStream(file)) {
                return readBounded(in);
            }
        }
        if (argument == null) {
            throw new IllegalArgumentException("missing VALUE (or - for standard input, or --value-file FILE)");
        }
        return argument.equals("-") ? readBounded(stdin) : argument.getBytes(StandardCharsets.UTF_8);
    }

    /** All of {@code in}, or the first {@code MAX_VALUE_BYTES + 1} bytes when it is longer. */
    private static byte[] readBounded(InputStream in) throws IOException {
        return in.readNBytes(Limits.MAX_VALUE_BYTES + 1);
    }
}
