package dev.ferry.controller.cluster;

/**
 * A request the controller refuses, with a message meant for the person who sent it.
 * The rpc layer turns the reason into a gRPC status; nothing else needs to know gRPC.
 */
public final class RequestRejectedException extends RuntimeException {

    /** Why a request was refused; each maps to one gRPC status code. */
    public enum Reason { NOT_FOUND, ALREADY_EXISTS, INVALID_ARGUMENT, FAILED_PRECONDITION }

    private final Reason reason;

    public RequestRejectedException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }

    public static RequestRejectedException notFound(String message) {
        return new RequestRejectedException(Reason.NOT_FOUND, message);
    }

    public static RequestRejectedException alreadyExists(String message) {
        return new RequestRejectedException(Reason.ALREADY_EXISTS, message);
    }

    public static RequestRejectedException invalid(String message) {
        return new RequestRejectedException(Reason.INVALID_ARGUMENT, message);
    }

    public static RequestRejectedException precondition(String message) {
        return new RequestRejectedException(Reason.FAILED_PRECONDITION, message);
    }
}
