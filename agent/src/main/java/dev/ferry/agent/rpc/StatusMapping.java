package dev.ferry.agent.rpc;

import dev.ferry.agent.host.LocalGuests;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.NoSuchElementException;

/** The one place where the agent's exceptions become gRPC statuses that say what went wrong. */
final class StatusMapping {
    private StatusMapping() {}

    static StatusRuntimeException toStatus(Throwable e) {
        Status status = switch (e) {
            case StatusRuntimeException s -> s.getStatus();
            case IllegalArgumentException ignored -> Status.INVALID_ARGUMENT;
            case NoSuchElementException ignored -> Status.NOT_FOUND;
            case LocalGuests.InsufficientCapacityException ignored -> Status.RESOURCE_EXHAUSTED;
            case IllegalStateException ignored -> Status.FAILED_PRECONDITION;
            default -> Status.INTERNAL;
        };
        String message = e.getMessage() == null ? e.toString() : e.getMessage();
        return status.withDescription(message).withCause(e).asRuntimeException();
    }
}
