package dev.ferry.controller.cli;

import dev.ferry.proto.v1.MigrationProgress;
import dev.ferry.proto.v1.MigrationStatus;

/** Reads what a migration's end means for the guest. */
final class Outcomes {

    private Outcomes() {
    }

    // The CLI only knows the controller through its protocol, so it keeps its own list.
    static boolean isTerminal(MigrationStatus status) {
        return switch (status) {
            case COMPLETED, FAILED, CANCELLED, FENCED, UNKNOWN -> true;
            default -> false;
        };
    }

    /** One sentence on where the guest is after a migration that did not complete, or null. */
    static String guestWhereabouts(MigrationProgress end) {
        return switch (end.getStatus()) {
            case FAILED, CANCELLED -> "The guest keeps running on the source, " + end.getSourceHost() + ".";
            case FENCED -> "The guest is paused on " + end.getSourceHost() + " and needs an operator: "
                    + "it is unknown whether " + end.getDestinationHost() + " runs it. Do not resume it before checking.";
            case UNKNOWN -> "The outcome is not known: the controller lost contact with the source agent. "
                    + "Check `ferry guests` and the agents on " + end.getSourceHost() + " and " + end.getDestinationHost()
                    + " before acting on " + end.getGuest() + ".";
            default -> null;
        };
    }

    static String statusWord(MigrationStatus status) {
        return status.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }
}
