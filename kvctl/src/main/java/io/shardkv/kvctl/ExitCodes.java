package io.shardkv.kvctl;

import io.shardkv.client.KvException;
import io.shardkv.client.KvTimeoutException;
import io.shardkv.client.MetaException;
import io.shardkv.client.ShardKvException;
import io.shardkv.client.TaskFailedException;

/**
 * kvctl's exit codes and the one place that maps failures to them:
 * 0 success, 1 key not found ({@code get}), 2 bad usage or invalid argument, 3 cluster
 * unavailable or timed out, 4 any other server error, 5 permission denied (the certificate's
 * role may not do this).
 */
public final class ExitCodes {
    public static final int OK = 0;
    public static final int NOT_FOUND = 1;
    public static final int USAGE = 2;
    public static final int UNAVAILABLE = 3;
    public static final int SERVER_ERROR = 4;
    public static final int PERMISSION_DENIED = 5;

    private ExitCodes() {
    }

    public static int of(Throwable failure) {
        if (failure instanceof KvTimeoutException) {
            return UNAVAILABLE;
        }
        if (failure instanceof KvException kv) {
            switch (kv.code()) {
                case INVALID_ARGUMENT:
                    return USAGE;
                case PERMISSION_DENIED:
                    return PERMISSION_DENIED;
                case NOT_LEADER:
                case WRONG_GROUP:
                case SLOT_MIGRATING:
                case TIMEOUT:
                case SERVER_BUSY:
                case UNAVAILABLE:
                    return UNAVAILABLE;
                default:
                    return SERVER_ERROR;
            }
        }
        if (failure instanceof MetaException meta) {
            switch (meta.code()) {
                case INVALID_ARGUMENT:
                    return USAGE;
                case PERMISSION_DENIED:
                    return PERMISSION_DENIED;
                case NOT_LEADER:
                case UNAVAILABLE:
                case TIMEOUT:
                    return UNAVAILABLE;
                default:
                    return SERVER_ERROR;
            }
        }
        if (failure instanceof TaskFailedException) {
            return SERVER_ERROR;
        }
        if (failure instanceof IllegalArgumentException) {
            return USAGE;
        }
        return SERVER_ERROR;
    }

    /** The message to print: a timeout caused by unreachable meta-servers says so plainly. */
    public static String messageOf(Throwable failure) {
        if (failure instanceof KvTimeoutException && failure.getCause() instanceof MetaException meta) {
            return meta.getMessage();
        }
        if (failure instanceof ShardKvException || failure instanceof IllegalArgumentException) {
            return failure.getMessage();
        }
        return "unexpected error: " + failure;
    }

    /** Expected failures print one line; anything else is a bug worth a stack trace. */
    public static boolean isExpected(Throwable failure) {
        return failure instanceof ShardKvException || failure instanceof IllegalArgumentException;
    }
}
