package io.shardkv.ops;

/** A configuration the server cannot start with; the message says which setting and why. */
public final class SettingsException extends RuntimeException {
    public SettingsException(String message) {
        super(message);
    }

    public SettingsException(String message, Throwable cause) {
        super(message, cause);
    }
}
