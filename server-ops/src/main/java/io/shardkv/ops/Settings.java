package io.shardkv.ops;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * A server's settings, read in one place from (lowest to highest precedence) the declared
 * defaults, a properties file ({@code --config FILE} or {@code SHARDKV_CONFIG}), environment
 * variables ({@code SHARDKV_NAME}) and command-line flags ({@code --name value} or
 * {@code --name=value}). An unknown name in the file or the flags is an error, so a typo
 * never silently falls back to a default.
 */
public final class Settings {
    /** The flag and the environment variable that name the config file. */
    public static final String CONFIG_FLAG = "config";
    public static final String CONFIG_ENV = "SHARDKV_CONFIG";

    private final Map<String, SettingKey> keys;
    private final Map<String, String> values;
    private final Map<String, String> sources;

    private Settings(Map<String, SettingKey> keys, Map<String, String> values, Map<String, String> sources) {
        this.keys = keys;
        this.values = values;
        this.sources = sources;
    }

    /** Reads the settings; throws {@link SettingsException} naming the first bad input. */
    public static Settings load(List<SettingKey> declared, String[] args, Map<String, String> env) {
        Map<String, SettingKey> keys = new LinkedHashMap<>();
        for (SettingKey k : declared) {
            if (keys.put(k.name(), k) != null) {
                throw new IllegalArgumentException("setting declared twice: " + k.name());
            }
        }
        Map<String, String> flags = parseFlags(args, keys);
        Map<String, String> values = new LinkedHashMap<>();
        Map<String, String> sources = new LinkedHashMap<>();
        for (SettingKey k : declared) {
            if (k.defaultValue() != null) {
                values.put(k.name(), k.defaultValue());
                sources.put(k.name(), "default");
            }
        }
        String configFile = flags.containsKey(CONFIG_FLAG) ? flags.remove(CONFIG_FLAG) : env.get(CONFIG_ENV);
        if (configFile != null && !configFile.isBlank()) {
            Properties file = readFile(Path.of(configFile));
            for (String name : file.stringPropertyNames()) {
                requireKnown(keys, name, "config file " + configFile);
                values.put(name, file.getProperty(name).trim());
                sources.put(name, "file " + configFile);
            }
        }
        for (SettingKey k : declared) {
            String v = env.get(k.envName());
            if (v != null) {
                values.put(k.name(), v.trim());
                sources.put(k.name(), "environment " + k.envName());
            }
        }
        for (Map.Entry<String, String> f : flags.entrySet()) {
            requireKnown(keys, f.getKey(), "command line");
            values.put(f.getKey(), f.getValue());
            sources.put(f.getKey(), "flag --" + f.getKey());
        }
        for (SettingKey k : declared) {
            if (!values.containsKey(k.name())) {
                throw new SettingsException("missing required setting '" + k.name() + "' (--" + k.name()
                        + " or " + k.envName() + "): " + k.doc());
            }
        }
        return new Settings(keys, values, sources);
    }

    /** A switch (a setting whose default is true or false) given without a value means true: {@code --insecure}. */
    private static Map<String, String> parseFlags(String[] args, Map<String, SettingKey> keys) {
        Map<String, String> flags = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--") || a.length() == 2) {
                throw new SettingsException("expected --name value, got '" + a + "'");
            }
            String body = a.substring(2);
            int eq = body.indexOf('=');
            if (eq >= 0) {
                flags.put(body.substring(0, eq), body.substring(eq + 1));
            } else if (i + 1 < args.length && !args[i + 1].startsWith("--")) {
                flags.put(body, args[++i]);
            } else if (keys.containsKey(body) && keys.get(body).isSwitch()) {
                flags.put(body, "true");
            } else {
                throw new SettingsException("flag --" + body + " needs a value");
            }
        }
        return flags;
    }

    private static Properties readFile(Path path) {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(path)) {
            p.load(r);
        } catch (IOException e) {
            throw new SettingsException("cannot read config file " + path + ": " + e.getMessage(), e);
        }
        return p;
    }

    private static void requireKnown(Map<String, SettingKey> keys, String name, String where) {
        if (!keys.containsKey(name)) {
            throw new SettingsException("unknown setting '" + name + "' in " + where + "; known settings: "
                    + String.join(", ", keys.keySet()));
        }
    }

    public String string(String name) {
        String v = values.get(known(name).name());
        return v;
    }

    public int intValue(String name, int min, int max) {
        long v = longValue(name, min, max);
        return (int) v;
    }

    public long longValue(String name, long min, long max) {
        String raw = string(name);
        long v;
        try {
            v = Long.parseLong(raw);
        } catch (NumberFormatException e) {
            throw bad(name, raw, "not an integer");
        }
        if (v < min || v > max) {
            throw bad(name, raw, "must be between " + min + " and " + max);
        }
        return v;
    }

    public boolean bool(String name) {
        String raw = string(name);
        if (raw.equalsIgnoreCase("true")) {
            return true;
        }
        if (raw.equalsIgnoreCase("false")) {
            return false;
        }
        throw bad(name, raw, "must be true or false");
    }

    /** A failure that names the setting, its value and where the value came from. */
    public SettingsException bad(String name, String value, String why) {
        return new SettingsException("setting '" + name + "' = '" + value + "' (from " + sources.get(name) + "): " + why);
    }

    /** One line per setting with its value and source, for the startup log. */
    public List<String> describe() {
        List<String> lines = new ArrayList<>();
        values.forEach((k, v) -> lines.add(k + " = " + v + " (" + sources.get(k) + ")"));
        return lines;
    }

    /** A help text listing every setting, its default and its environment variable. */
    public static String usage(List<SettingKey> declared) {
        StringBuilder sb = new StringBuilder();
        sb.append("  --config FILE (or ").append(CONFIG_ENV).append("): a properties file of the settings below\n");
        for (SettingKey k : declared) {
            sb.append("  --").append(k.name()).append(' ')
                    .append(k.defaultValue() == null ? "(required)" : "(default: " + k.defaultValue() + ")")
                    .append(", env ").append(k.envName()).append("\n      ").append(k.doc()).append('\n');
        }
        return sb.toString();
    }

    private SettingKey known(String name) {
        SettingKey k = keys.get(name);
        if (k == null) {
            throw new IllegalArgumentException("setting not declared: " + name);
        }
        return k;
    }
}
