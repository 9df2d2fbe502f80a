package dev.ferry.controller.cli;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.ParseResult;

/**
 * The one place that turns a failed command into a message and an exit code. The controller
 * never answers UNAVAILABLE itself, so UNAVAILABLE means it could not be reached.
 */
final class ErrorReporter implements IExecutionExceptionHandler {

    private final FerryCommand ferry;

    ErrorReporter(FerryCommand ferry) {
        this.ferry = ferry;
    }

    @Override
    public int handleExecutionException(Exception e, CommandLine command, ParseResult parsed) {
        ferry.context.err().println("ferry: " + message(e));
        if (ferry.verbose) {
            e.printStackTrace(ferry.context.err());
        }
        return ExitCodes.REJECTED;
    }

    String message(Exception e) {
        if (!(e instanceof StatusRuntimeException sre)) {
            return e.getMessage() == null ? e.toString() : e.getMessage();
        }
        Status status = sre.getStatus();
        return switch (status.getCode()) {
            case UNAVAILABLE -> "cannot reach the controller at " + ferry.controllerAddress()
                    + ": is it running? set --controller or FERRY_CONTROLLER";
            case DEADLINE_EXCEEDED -> "the controller at " + ferry.controllerAddress() + " did not answer in time";
            default -> status.getDescription() == null ? status.getCode().toString() : status.getDescription();
        };
    }
}
