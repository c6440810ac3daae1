package io.shardkv.bench.peers;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** Finds the etcd binary, which the benchmark never installs itself. */
final class EtcdBinary {
    static final String HOW_TO_INSTALL = "install Debian's etcd 3.4 as root with:"
            + " apt-get update && apt-get install etcd-server   (or pass --etcd PATH)";

    private EtcdBinary() {
    }

    /** {@code explicit} if given and executable, else the first {@code etcd} on the PATH. */
    static Optional<Path> find(Path explicit) {
        if (explicit != null) {
            return Files.isExecutable(explicit) ? Optional.of(explicit) : Optional.empty();
        }
        String path = System.getenv().getOrDefault("PATH", "");
        for (String d : path.split(File.pathSeparator)) {
            if (!d.isEmpty()) {
                Path candidate = Path.of(d, "etcd");
                if (Files.isExecutable(candidate)) {
                    return Optional.of(candidate);
                }
            }
        }
        return Optional.empty();
    }

    /** The first line of {@code etcd --version}, for the report's header. */
    static String version(Path etcd) throws InterruptedException {
        try {
            Process p = new ProcessBuilder(etcd.toString(), "--version").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor();
            return out.lines().findFirst().orElse("etcd (unknown version)").trim();
        } catch (IOException e) {
            return "etcd (version unknown: " + e.getMessage() + ")";
        }
    }
}
