package dev.ferry.controller.cluster;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/** A call the controller made to an agent failed; keeps the agent's status for the caller. */
public final class AgentCallException extends RuntimeException {

    private final String host;
    private final Status agentStatus;

    public AgentCallException(String host, String address, StatusRuntimeException cause) {
        super(describe(host, address, cause.getStatus()), cause);
        this.host = host;
        this.agentStatus = cause.getStatus();
    }

    private AgentCallException(String message, AgentCallException cause) {
        super(message, cause);
        this.host = cause.host;
        this.agentStatus = cause.agentStatus;
    }

    /** The same failure, its message led by what the controller was doing. */
    public AgentCallException during(String action) {
        return new AgentCallException(action + ": " + getMessage(), this);
    }

    public String host() {
        return host;
    }

    public Status agentStatus() {
        return agentStatus;
    }

    /** True when the agent could not be reached at all, as opposed to refusing the request. */
    public boolean unreachable() {
        Status.Code code = agentStatus.getCode();
        return code == Status.Code.UNAVAILABLE || code == Status.Code.DEADLINE_EXCEEDED;
    }

    private static String describe(String host, String address, Status status) {
        String detail = status.getDescription() == null ? status.getCode().toString() : status.getDescription();
        boolean lost = status.getCode() == Status.Code.UNAVAILABLE
                || status.getCode() == Status.Code.DEADLINE_EXCEEDED;
        return lost ? "cannot reach the agent of host " + host + " at " + address + ": " + detail
                : "host " + host + ": " + detail;
    }
}
