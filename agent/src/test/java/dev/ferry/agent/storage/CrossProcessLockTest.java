package dev.ferry.agent.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.proto.v1.DiskSpec;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lock against another process, which is what another host is (over NFS the lock server
 * arbitrates; locally the kernel does). The other host is a child JVM, {@link LockHolderMain}.
 */
@Timeout(120)
class CrossProcessLockTest {
    private static final long SIZE = 16 * 4096;

    @TempDir
    Path root;

    private SharedStorage storage;
    private DiskSpec spec;

    @BeforeEach
    void createImage() throws IOException {
        storage = new SharedStorage(root);
        try (DiskImage image = storage.create("vm-1", SIZE)) {
            spec = image.spec();
        }
    }

    @Test
    void anotherProcessHoldingTheLockKeepsUsOutUntilItExits() throws Exception {
        try (DiskImage image = storage.open(spec)) {
            try (ChildHost child = ChildHost.start(root, spec)) {
                assertEquals(LockHolderMain.LOCKED, child.firstLine(), child.output());
                storage.check(spec); // the preflight needs no lock: it passes while the source runs the guest
                var e = assertThrows(DiskLockedException.class, image::acquire);
                assertTrue(e.getMessage().contains("locked by another host"), e.getMessage());
                assertEquals(0, child.exit(), child.output());
            }
            image.acquire();
            assertTrue(image.holdsLock());
        }
    }

    @Test
    void anotherProcessCannotLockWhileWeHoldIt() throws Exception {
        try (DiskImage image = storage.open(spec)) {
            image.acquire();
            try (ChildHost child = ChildHost.start(root, spec)) {
                assertEquals(LockHolderMain.BUSY, child.firstLine(), child.output());
                assertEquals(3, child.exit(), child.output());
            }
        }
    }

    /**
     * The POSIX trap: closing any descriptor of a file drops this process's lock on it. The
     * preflight and a second image on the file share the locked image's descriptor instead.
     */
    @Test
    void checkingAndClosingAnotherImageOnTheFileKeepsOurLock() throws Exception {
        try (DiskImage image = storage.open(spec)) {
            image.acquire();
            storage.check(spec);
            storage.open(spec).close();
            try (ChildHost child = ChildHost.start(root, spec)) {
                assertEquals(LockHolderMain.BUSY, child.firstLine(), child.output());
                assertEquals(3, child.exit(), child.output());
            }
        }
    }
}
