package io.shardkv.ops;

/**
 * One setting a server accepts: its name (as in the config file and as {@code --name} on the
 * command line), its default and what it means. The environment variable is
 * {@code SHARDKV_} followed by the name in upper case with dots and dashes as underscores.
 *
 * @param defaultValue the value when nothing sets it; null means the setting is required
 */
public record SettingKey(String name, String defaultValue, String doc) {

    public SettingKey {
        if (name == null || !name.matches("[a-z][a-z0-9.-]*")) {
            throw new IllegalArgumentException("setting names are lower-case words joined by '.' or '-': " + name);
        }
    }

    public static SettingKey optional(String name, String defaultValue, String doc) {
        return new SettingKey(name, defaultValue, doc);
    }

    public static SettingKey required(String name, String doc) {
        return new SettingKey(name, null, doc);
    }

    /** Whether the setting is true or false, so that {@code --name} alone turns it on. */
    public boolean isSwitch() {
        return "true".equals(defaultValue) || "false".equals(defaultValue);
    }

    /** The environment variable that sets this key. */
    public String envName() {
        return "SHARDKV_" + name.toUpperCase(java.util.Locale.ROOT).replace('.', '_').replace('-', '_');
    }
}
