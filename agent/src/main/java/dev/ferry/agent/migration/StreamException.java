package dev.ferry.agent.migration;

import dev.ferry.proto.v1.StreamErrorCode;

/** A page-stream protocol violation: the channel is answered with this error and closed. */
public final class StreamException extends Exception {
    private final StreamErrorCode code;
    private final boolean discarded;

    public StreamException(StreamErrorCode code, String message) {
        this(code, message, code == StreamErrorCode.DISCARDED);
    }

    private StreamException(StreamErrorCode code, String message, boolean discarded) {
        super(message);
        this.code = code;
        this.discarded = discarded;
    }

    public StreamErrorCode code() {
        return code;
    }

    /** Whether the destination's copy is gone for good: the source may resume, even after COMMIT. */
    public boolean discarded() {
        return discarded;
    }

    /** This error, said by a destination that has thrown its copy away. */
    public StreamException asDiscarded() {
        return discarded ? this : new StreamException(code, getMessage(), true);
    }
}
