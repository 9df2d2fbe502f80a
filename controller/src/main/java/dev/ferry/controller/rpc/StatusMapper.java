package dev.ferry.controller.rpc;

import dev.ferry.controller.cluster.AgentCallException;
import dev.ferry.controller.cluster.RequestRejectedException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place that turns what went wrong inside the controller into a gRPC status.
 * The controller never answers UNAVAILABLE itself: an unreachable agent is a failed
 * precondition, so a client that sees UNAVAILABLE knows it could not reach the controller.
 */
public final class StatusMapper {

    private static final Logger LOG = LoggerFactory.getLogger(StatusMapper.class);

    private StatusMapper() {
    }

    public static StatusRuntimeException toStatus(Throwable error) {
        Throwable cause = unwrap(error);
        return switch (cause) {
            case RequestRejectedException e -> status(e.reason()).withDescription(e.getMessage()).asRuntimeException();
            case AgentCallException e -> fromAgent(e).asRuntimeException();
            case StatusRuntimeException e -> e;
            default -> internal(cause);
        };
    }

    private static Status status(RequestRejectedException.Reason reason) {
        return switch (reason) {
            case NOT_FOUND -> Status.NOT_FOUND;
            case ALREADY_EXISTS -> Status.ALREADY_EXISTS;
            case INVALID_ARGUMENT -> Status.INVALID_ARGUMENT;
            case FAILED_PRECONDITION -> Status.FAILED_PRECONDITION;
        };
    }

    // The agent's own refusal keeps its code (e.g. RESOURCE_EXHAUSTED); not reaching it is a precondition.
    private static Status fromAgent(AgentCallException e) {
        Status base = e.unreachable() ? Status.FAILED_PRECONDITION : Status.fromCode(e.agentStatus().getCode());
        return base.withDescription(e.getMessage());
    }

    private static StatusRuntimeException internal(Throwable cause) {
        LOG.error("internal error", cause);
        return Status.INTERNAL.withDescription("internal controller error: " + cause).asRuntimeException();
    }

    private static Throwable unwrap(Throwable error) {
        Throwable cause = error;
        while (cause instanceof CompletionException && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }
}
