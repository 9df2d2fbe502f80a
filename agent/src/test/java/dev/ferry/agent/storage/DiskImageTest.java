package dev.ferry.agent.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.agent.guest.Disk;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * One image, two {@link DiskImage}s on it standing in for the source and destination host in
 * one JVM: the lock moves between them as in a migration, and only its holder writes.
 */
@Timeout(60)
class DiskImageTest {
    private static final long SIZE = 16 * 4096;

    @TempDir
    Path root;

    private SharedStorage storage;
    private DiskImage source;
    private DiskImage destination;

    @BeforeEach
    void createImage() throws IOException {
        storage = new SharedStorage(root);
        source = storage.create("app-1", SIZE);
        destination = storage.open(source.spec());
    }

    @AfterEach
    void closeImages() throws IOException {
        destination.close();
        source.close();
    }

    @Test
    void theLockMovesFromSourceToDestinationAndBackOnRollback() throws IOException {
        var e = assertThrows(DiskLockedException.class, destination::acquire, "the source still runs the guest");
        assertTrue(e.getMessage().contains(source.spec().getImage())
                && e.getMessage().contains("locked by another host that runs the guest"), e.getMessage());
        assertFalse(destination.holdsLock());

        source.write(0, ByteBuffer.wrap(new byte[] {1}));
        source.release();
        assertFalse(source.holdsLock());
        destination.acquire();
        assertTrue(destination.holdsLock());
        destination.write(1, ByteBuffer.wrap(new byte[] {2}));

        var notOwned = assertThrows(Disk.DiskNotOwnedException.class,
                () -> source.write(0, ByteBuffer.wrap(new byte[] {9})), "the source cannot write after handing off");
        assertTrue(notOwned.getMessage().contains("not locked by this host"), notOwned.getMessage());
        assertThrows(DiskLockedException.class, source::acquire, "no rollback while the destination runs it");

        destination.release();
        source.acquire(); // rollback: the source takes its guest's disk back
        source.write(2, ByteBuffer.wrap(new byte[] {3}));
        assertThrows(Disk.DiskNotOwnedException.class, () -> destination.write(0, ByteBuffer.wrap(new byte[] {9})));
        assertEquals(ByteBuffer.wrap(new byte[] {1, 2, 3}), readBack(destination, 0, 3));
    }

    @Test
    void aFlushWithNothingWrittenSinceTheLastOneCostsNothing() throws IOException {
        source.flush();
        long before = source.writeBacks();
        source.flush();
        assertEquals(before, source.writeBacks(), "nothing written since: no fdatasync");
        source.write(0, java.nio.ByteBuffer.wrap(new byte[] {1, 2, 3}));
        source.flush();
        assertEquals(before + 1, source.writeBacks(), "a write: written back");
        source.release();
        assertEquals(before + 1, source.writeBacks(), "the release's flush finds nothing left: the handoff is not delayed");
        destination.acquire();
        assertEquals(3, destination.read(0, java.nio.ByteBuffer.allocate(3)), "the destination reads what was written");
        destination.write(8, java.nio.ByteBuffer.wrap(new byte[] {4}));
        long destinationBefore = destination.writeBacks();
        destination.release();
        assertEquals(destinationBefore + 1, destination.writeBacks(), "unflushed writes are written back before the lock goes");
    }

    @Test
    void aWriteBackSaysHowLongItsFdatasyncTookAndZeroWhenThereWasNone() throws IOException {
        source.flush();
        assertEquals(java.time.Duration.ZERO, source.writeBack(), "nothing written since the last flush");
        source.write(0, ByteBuffer.wrap(new byte[] {4, 5}));
        long before = source.writeBacks();
        java.time.Duration took = source.writeBack();
        assertEquals(before + 1, source.writeBacks(), "the write went to disk");
        assertTrue(took.compareTo(java.time.Duration.ZERO) > 0, "an fdatasync takes some time: " + took);
    }

    @Test
    void aCleanDiskIsReleasedAtOnceAndADirtyOneIsLeftToTheFlushingRelease() throws IOException {
        source.write(0, java.nio.ByteBuffer.wrap(new byte[] {1}));
        assertFalse(source.releaseIfClean(), "a write not yet on disk: the release must flush");
        assertTrue(source.holdsLock());
        source.flush();
        assertTrue(source.releaseIfClean(), "flushed, nothing written since: released at once");
        assertFalse(source.holdsLock());
        destination.acquire();
        assertTrue(destination.holdsLock(), "the next host takes it");
    }

    @Test
    void releaseAndAcquireAreIdempotent() throws IOException {
        source.acquire();
        assertTrue(source.holdsLock());
        source.release();
        source.release();
        assertFalse(source.holdsLock());
        destination.acquire();
        destination.acquire();
        assertTrue(destination.holdsLock());
    }

    @Test
    void aWriteBeyondTheCapacityIsRefusedAsDiskFull() throws IOException {
        source.write(SIZE - 4, ByteBuffer.wrap(new byte[4]));
        var e = assertThrows(IOException.class, () -> source.write(SIZE - 4, ByteBuffer.wrap(new byte[5])));
        assertTrue(e.getMessage().startsWith("disk full") && e.getMessage().contains(source.spec().getImage())
                && e.getMessage().contains(String.valueOf(SIZE)), e.getMessage());
        assertThrows(IOException.class, () -> source.write(Long.MAX_VALUE, ByteBuffer.wrap(new byte[1])));
        assertThrows(IllegalArgumentException.class, () -> source.write(-1, ByteBuffer.wrap(new byte[1])));
        assertEquals(ImageHeader.SIZE + SIZE, Files.size(source.path()), "the file did not grow");
    }

    @Test
    void closeReleasesTheLockAndIsIdempotent() throws IOException {
        source.close();
        source.close();
        assertFalse(source.holdsLock());
        destination.acquire();
        assertInstanceOf(ClosedChannelException.class,
                assertThrows(IOException.class, () -> source.read(0, ByteBuffer.allocate(1))));
        assertThrows(ClosedChannelException.class, source::acquire);
    }

    @Test
    void closingOneImageLeavesTheOtherUsable() throws IOException {
        destination.close(); // they share one channel; only the last close closes it
        source.write(0, ByteBuffer.wrap(new byte[] {7}));
        assertEquals(ByteBuffer.wrap(new byte[] {7}), readBack(source, 0, 1));
        assertTrue(source.holdsLock());
    }

    /**
     * A vCPU thread writes without pause while this thread, the migration's, releases and
     * re-acquires 200 times: after each release the disk must not change until the next acquire,
     * even after the writer has tried twice more.
     */
    @Test
    void noWriteLandsAfterReleaseReturns() throws Exception {
        AtomicLong attempts = new AtomicLong();
        AtomicBoolean stop = new AtomicBoolean();
        CompletableFuture<Void> vcpu = CompletableFuture.runAsync(() -> writeUntilStopped(attempts, stop));
        try {
            for (int handoff = 0; handoff < 200; handoff++) {
                awaitAttempts(attempts, attempts.get() + 3);
                source.release();
                long atRelease = readBack(source, 0, Long.BYTES).getLong();
                awaitAttempts(attempts, attempts.get() + 2);
                assertEquals(atRelease, readBack(source, 0, Long.BYTES).getLong(), "handoff " + handoff);
                source.acquire();
            }
        } finally {
            stop.set(true);
        }
        vcpu.get(30, TimeUnit.SECONDS);
    }

    private void writeUntilStopped(AtomicLong attempts, AtomicBoolean stop) {
        ByteBuffer value = ByteBuffer.allocate(Long.BYTES);
        for (long i = 1; !stop.get(); i++) {
            try {
                source.write(0, value.clear().putLong(0, i));
            } catch (Disk.DiskNotOwnedException e) {
                // handed off: keep trying, as a guest would until it is paused
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            attempts.incrementAndGet();
        }
    }

    private static void awaitAttempts(AtomicLong attempts, long atLeast) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (attempts.get() < atLeast) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the writer stalled at " + attempts.get() + " attempts");
            }
            Thread.onSpinWait();
        }
    }

    private static ByteBuffer readBack(DiskImage image, long offset, int length) throws IOException {
        ByteBuffer into = ByteBuffer.allocate(length);
        assertEquals(length, image.read(offset, into));
        return into.flip();
    }
}
