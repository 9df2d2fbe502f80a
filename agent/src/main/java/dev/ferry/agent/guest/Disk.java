package dev.ferry.agent.guest;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * The guest's side of its disk: a block of bytes on the shared mount. Offsets are into the
 * data area (the image header is not visible). Writes need the host to hold the image's
 * lock; a host that handed the guest off gets {@link DiskNotOwnedException}.
 */
public interface Disk {
    /** Bytes in the data area. */
    long capacity();

    /** Writes all of {@code data} at {@code offset}; throws if it does not fit in {@link #capacity()}. */
    void write(long offset, ByteBuffer data) throws IOException;

    /** Reads up to {@code into.remaining()} bytes at {@code offset}; returns how many (fewer only at the end). */
    int read(long offset, ByteBuffer into) throws IOException;

    /** Forces every write so far to stable storage (fdatasync: the data, and what reading it back needs). */
    void flush() throws IOException;

    /** A write attempted by a host that does not hold the image's lock. */
    final class DiskNotOwnedException extends IOException {
        public DiskNotOwnedException(String message) {
            super(message);
        }
    }
}
