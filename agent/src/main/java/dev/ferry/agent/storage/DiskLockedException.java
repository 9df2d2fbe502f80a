package dev.ferry.agent.storage;

import java.io.IOException;

/**
 * Another holder has the image's lock: another host runs the guest (or, in one JVM, another
 * {@link DiskImage} on the same file does). An {@link IOException} like
 * {@link dev.ferry.agent.guest.Disk.DiskNotOwnedException}, so it travels with the image's other I/O failures,
 * while callers that hand a disk over can still catch it on its own.
 */
public final class DiskLockedException extends IOException {
    public DiskLockedException(String message) {
        super(message);
    }
}
