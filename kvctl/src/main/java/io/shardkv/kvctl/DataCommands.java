package io.shardkv.kvctl;

import io.shardkv.client.KvClient;
import io.shardkv.client.KvPair;
import io.shardkv.client.ScanOptions;
import io.shardkv.kv.proto.ReadConsistency;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** put, get, del and scan. Keys and values are UTF-8 text. */
final class DataCommands {
    private DataCommands() {
    }

    /** {@code --consistency linearizable|lease|stale}. */
    static final class ConsistencyConverter implements CommandLine.ITypeConverter<ReadConsistency> {
        @Override
        public ReadConsistency convert(String value) {
            switch (value.toLowerCase(Locale.ROOT)) {
                case "linearizable":
                    return ReadConsistency.LINEARIZABLE;
                case "lease":
                    return ReadConsistency.LEASE;
                case "stale":
                    return ReadConsistency.STALE;
                default:
                    throw new CommandLine.TypeConversionException(
                            "'" + value + "' is not one of linearizable, lease, stale");
            }
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Command(name = "put", mixinStandardHelpOptions = true,
            description = {"Stores VALUE under KEY; prints OK.",
                    "VALUE '-' reads the value from standard input, and --value-file F from a file, as bytes"
                            + " (for values too large for an argument, or not text)."})
    static final class Put implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @Parameters(index = "0", paramLabel = "KEY")
        String key;
        @Parameters(index = "1", paramLabel = "VALUE", arity = "0..1",
                description = "The value as UTF-8 text, or - for standard input.")
        String value;
        @Option(names = "--value-file", paramLabel = "FILE", description = "Reads the value from FILE.")
        Path valueFile;

        @Override
        public Integer call() throws IOException {
            byte[] bytes = ValueSource.read(value, valueFile, System.in);
            try (KvClient client = Kvctl.root(spec).newClient()) {
                client.put(utf8(key), bytes);
            }
            spec.commandLine().getOut().println("OK");
            return ExitCodes.OK;
        }
    }

    @Command(name = "get", mixinStandardHelpOptions = true,
            description = "Prints the value of KEY; exit code 1 when there is none.")
    static final class Get implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @Parameters(index = "0", paramLabel = "KEY")
        String key;
        @Option(names = "--consistency", defaultValue = "linearizable", converter = ConsistencyConverter.class,
                paramLabel = "linearizable|lease|stale", description = "Read consistency (default: ${DEFAULT-VALUE}).")
        ReadConsistency consistency;

        @Override
        public Integer call() {
            Optional<byte[]> value;
            try (KvClient client = Kvctl.root(spec).newClient()) {
                value = client.get(utf8(key), consistency);
            }
            if (value.isEmpty()) {
                spec.commandLine().getErr().println("kvctl: not found: " + key);
                return ExitCodes.NOT_FOUND;
            }
            spec.commandLine().getOut().println(new String(value.get(), StandardCharsets.UTF_8));
            return ExitCodes.OK;
        }
    }

    @Command(name = "del", aliases = "delete", mixinStandardHelpOptions = true,
            description = "Deletes KEY; prints 'deleted' if it existed, else 'absent'.")
    static final class Del implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @Parameters(index = "0", paramLabel = "KEY")
        String key;

        @Override
        public Integer call() {
            boolean existed;
            try (KvClient client = Kvctl.root(spec).newClient()) {
                existed = client.delete(utf8(key));
            }
            spec.commandLine().getOut().println(existed ? "deleted" : "absent");
            return ExitCodes.OK;
        }
    }

    @Command(name = "scan", mixinStandardHelpOptions = true,
            description = "Prints the pairs with START <= key < END in key order, one 'key<TAB>value' per line.")
    static final class Scan implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @Option(names = "--start", paramLabel = "KEY", defaultValue = "", description = "First key (inclusive).")
        String start;
        @Option(names = "--end", paramLabel = "KEY", defaultValue = "", description = "Last key (exclusive); none by default.")
        String end;
        @Option(names = "--limit", paramLabel = "N", defaultValue = "0", description = "At most N pairs (0: all).")
        long limit;
        @Option(names = "--consistency", defaultValue = "linearizable", converter = ConsistencyConverter.class,
                paramLabel = "linearizable|lease|stale", description = "Read consistency (default: ${DEFAULT-VALUE}).")
        ReadConsistency consistency;

        @Override
        public Integer call() {
            if (limit < 0) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--limit must not be negative");
            }
            ScanOptions options = ScanOptions.range(utf8(start), utf8(end))
                    .withLimit(limit).withConsistency(consistency);
            PrintWriter out = spec.commandLine().getOut();
            try (KvClient client = Kvctl.root(spec).newClient()) {
                Iterator<KvPair> pairs = client.scan(options);
                while (pairs.hasNext()) {
                    KvPair pair = pairs.next();
                    out.println(pair.keyUtf8() + "\t" + pair.valueUtf8());
                }
            }
            return ExitCodes.OK;
        }
    }
}
