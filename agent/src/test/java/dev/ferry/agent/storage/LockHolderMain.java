package dev.ferry.agent.storage;

import dev.ferry.proto.v1.DiskSpec;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Another host, as a child JVM: opens the image and takes its lock. Prints {@code LOCKED} and
 * holds the lock until its stdin closes, or prints {@code BUSY} and exits 3 if the lock is
 * taken. Arguments: storage root, image, image id, size in bytes.
 */
public final class LockHolderMain {
    static final String LOCKED = "LOCKED";
    static final String BUSY = "BUSY";

    private LockHolderMain() {}

    public static void main(String[] args) throws IOException {
        DiskSpec spec = DiskSpec.newBuilder()
                .setImage(args[1]).setImageId(args[2]).setSizeBytes(Long.parseLong(args[3])).build();
        try (DiskImage image = new SharedStorage(Path.of(args[0])).open(spec)) {
            try {
                image.acquire();
            } catch (DiskLockedException e) {
                System.out.println(BUSY);
                System.exit(3);
            }
            System.out.println(LOCKED);
            System.out.flush();
            while (System.in.read() >= 0) {
                // hold the lock until the parent closes our stdin (or dies)
            }
        }
    }
}
