package io.shardkv.chaos;

/** The run cannot go on: the network could not be set up, a server did not start, the cluster never became ready. */
final class ChaosException extends RuntimeException {
    ChaosException(String message) {
        super(message);
    }

    ChaosException(String message, Throwable cause) {
        super(message, cause);
    }
}
