package io.shardkv.bench.peers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Opens jetcd clients in a class loader of their own, over {@code target/etcd-lib}.
 *
 * <p>Why not the driver's classpath: jetcd brings grpc-netty and unshaded Netty, KvClient uses
 * grpc-netty-shaded, and KvClient opens channels with {@code ManagedChannelBuilder.forTarget},
 * which picks whichever transport provider the service loader finds first. With both on one
 * classpath ShardKV could end up measured on a transport it never uses in production. Here the
 * driver's loader never sees jetcd's jars, so its service loader finds only the shaded provider.
 *
 * <p>Why not a second JVM: one driver loop and one JIT measure both stores the same way, and the
 * rounds can alternate contenders without a protocol between processes. Only the classes that
 * need jetcd ({@code io.shardkv.bench.peers.etcd}) are loaded here; everything else, including
 * {@link StoreClient} and gRPC's API (the same 1.85.1 for both), comes from the parent.
 */
final class EtcdClientLoader extends URLClassLoader {
    private static final String OWN_PACKAGE = "io.shardkv.bench.peers.etcd.";
    private static final String CLIENT_CLASS = OWN_PACKAGE + "JetcdStoreClient";

    static {
        registerAsParallelCapable();
    }

    private EtcdClientLoader(URL[] urls, ClassLoader parent) {
        super("etcd-client", urls, parent);
    }

    /** A loader over {@code libDir}'s jars and the jar (or classes directory) holding this class. */
    static EtcdClientLoader over(Path libDir) {
        if (!Files.isDirectory(libDir)) {
            throw new IllegalStateException("no jetcd jars in " + libDir
                    + "; build them with ./mvnw -B -q -pl benchmarks -am package -DskipTests");
        }
        List<URL> urls = new ArrayList<>();
        try (Stream<Path> jars = Files.list(libDir)) {
            for (Path jar : jars.filter(p -> p.toString().endsWith(".jar")).sorted().toList()) {
                urls.add(jar.toUri().toURL());
            }
            urls.add(ownLocation().toUri().toURL());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + libDir, e);
        }
        return new EtcdClientLoader(urls.toArray(URL[]::new), EtcdClientLoader.class.getClassLoader());
    }

    /** {@code target/etcd-lib} next to the benchmarks jar, or {@code -Dshardkv.bench.etcdLib}. */
    static Path defaultLibDir() {
        String configured = System.getProperty("shardkv.bench.etcdLib");
        if (configured != null) {
            return Path.of(configured);
        }
        return ownLocation().toAbsolutePath().getParent().resolve("etcd-lib");
    }

    private static Path ownLocation() {
        try {
            return Path.of(EtcdClientLoader.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException("cannot locate the benchmarks jar", e);
        }
    }

    /** A jetcd client on {@code endpoints} (URLs such as {@code http://127.0.0.1:2379}). */
    StoreClient open(List<String> endpoints) {
        try {
            Class<?> type = loadClass(CLIENT_CLASS);
            return (StoreClient) type.getConstructor(List.class).newInstance(List.copyOf(endpoints));
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot create " + CLIENT_CLASS + " in " + getName(), e);
        }
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
        if (!name.startsWith(OWN_PACKAGE)) {
            return super.loadClass(name, resolve);
        }
        // Child first for our own etcd package: the parent can see these classes too (they are
        // in the benchmarks jar), but there they could not link against jetcd.
        synchronized (getClassLoadingLock(name)) {
            Class<?> c = findLoadedClass(name);
            if (c == null) {
                c = findClass(name);
            }
            if (resolve) {
                resolveClass(c);
            }
            return c;
        }
    }
}
