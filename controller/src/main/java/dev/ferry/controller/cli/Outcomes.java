package dev.ferry.controller.cli;

import dev.ferry.proto.v1.MigrationProgress;
import dev.ferry.proto.v1.MigrationStatus;

/** Reads what a migration's end means for the guest. */
final class Outcomes {

    /**
     * The controller reports a lost source agent as FAILED with this error prefix, because the
     * protocol has no "unknown" status yet; FAILED normally promises the guest runs on the source.
     */
    static final String LOST_CONTACT = "lost contact with source agent";

    private Outcomes() {
    }

    // The CLI only knows the controller through its protocol, so it keeps its own list.
    static boolean isTerminal(MigrationStatus status) {
        return switch (status) {
            case COMPLETED, FAILED, CANCELLED, FENCED -> true;
            default -> false;
        };
    }

    static boolean lostContact(MigrationProgress end) {
        return end.getStatus() == MigrationStatus.FAILED && end.getError().startsWith(LOST_CONTACT);
    }

    /** One sentence on where the guest is after a migration that did not complete, or null. */
    static String guestWhereabouts(MigrationProgress end) {
        if (lostContact(end)) {
            return "The outcome is unknown: check `ferry guests` before acting on " + end.getGuest() + ".";
        }
        return switch (end.getStatus()) {
            case FAILED, CANCELLED -> "The guest keeps running on the source, " + end.getSourceHost() + ".";
            case FENCED -> "The guest is paused on " + end.getSourceHost() + " and needs an operator: "
                    + "it is unknown whether " + end.getDestinationHost() + " runs it. Do not resume it before checking.";
            default -> null;
        };
    }

    static String statusWord(MigrationStatus status) {
        return status.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }
}
