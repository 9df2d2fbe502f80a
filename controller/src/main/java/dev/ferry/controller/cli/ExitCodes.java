package dev.ferry.controller.cli;

import dev.ferry.proto.v1.MigrationProgress;

/**
 * What {@code ferry} exits with, the same for every command. Listed in {@code ferry --help}.
 */
public final class ExitCodes {

    /** The command did what was asked (a migration completed and its memory was verified). */
    public static final int OK = 0;
    /** The migration failed or was cancelled and rolled back: the guest still runs on the source. */
    public static final int MIGRATION_FAILED = 1;
    /** Bad command line (picocli's usage error code). */
    public static final int USAGE = 2;
    /** The migration was fenced: the guest is paused and needs an operator. */
    public static final int FENCED = 3;
    /** The controller could not be reached, or it rejected the request. */
    public static final int REJECTED = 4;
    /** The migration completed but its memory was NOT verified. */
    public static final int UNVERIFIED = 5;
    /** The controller lost contact with the source agent: the outcome is unknown. */
    public static final int UNKNOWN = 6;
    /** kv: the key is not there (or the guest failed the call); kv-load: resets, lost, duplicated or wrong replies. */
    public static final int KV_PROBLEM = 7;

    static final String HELP = """
            Exit codes:
              0  success (a migration completed and its memory was verified)
              1  the migration failed or was cancelled; the guest still runs on the source
              2  usage error
              3  the migration was fenced; the guest is paused and needs an operator
              4  the controller is unreachable or rejected the request
              5  the migration completed but memory was NOT verified
              6  the controller lost contact with the source agent; the outcome is unknown
              7  kv: key not found or the call failed; kv-load: resets, lost, duplicated or wrong replies""";

    private ExitCodes() {
    }

    /** The exit code for a migration that ended with this progress. */
    public static int of(MigrationProgress end) {
        return switch (end.getStatus()) {
            case COMPLETED -> end.getMemoryVerified() ? OK : UNVERIFIED;
            case FENCED -> FENCED;
            case FAILED, CANCELLED -> MIGRATION_FAILED;
            default -> UNKNOWN;
        };
    }
}
