package dev.ferry.agent.storage;

import java.io.IOException;

/**
 * The preflight's refusal: this host cannot use the disk image a guest's spec names. The
 * message names the image and says what to do; {@link #reason()} is for code that branches.
 *
 * <p>Checked, and an {@link IOException}: every caller of {@link SharedStorage} already
 * handles I/O failures, and the compiler makes the preflight path say what it does with a
 * refusal, while a subclass still lets the status mapping single it out (a failed
 * precondition, not an internal error).
 */
public final class StorageMismatchException extends IOException {
    /** Why the image cannot be used. */
    public enum Reason {
        /** The spec itself is unusable: no image, an id that is not a UUID, a size not above 0. */
        BAD_SPEC,
        /** The image path leads outside the shared mount. */
        OUTSIDE_ROOT,
        /** No such file under this host's mount. */
        MISSING,
        /** The file exists but this host cannot read it. */
        UNREADABLE,
        /** The file is not a Ferry image: no magic, a damaged header, another format version. */
        NOT_FERRY_IMAGE,
        /** A Ferry image, but another one: same name, different id. */
        DIFFERENT_ID,
        /** The image's data size is not the spec's, or the file is shorter than its header says. */
        DIFFERENT_SIZE
    }

    private final Reason reason;

    public StorageMismatchException(Reason reason, String message) {
        this(reason, message, null);
    }

    public StorageMismatchException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
