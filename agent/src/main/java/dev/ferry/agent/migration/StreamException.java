package dev.ferry.agent.migration;

import dev.ferry.proto.v1.StreamErrorCode;

/** A page-stream protocol violation: the channel is answered with this error and closed. */
public final class StreamException extends Exception {
    private final StreamErrorCode code;

    public StreamException(StreamErrorCode code, String message) {
        super(message);
        this.code = code;
    }

    public StreamErrorCode code() {
        return code;
    }
}
