package dev.ferry.agent.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.proto.v1.DiskAllocation;
import dev.ferry.proto.v1.DiskSpec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Creating, opening, reading back and deleting images on a local directory standing in for the mount. */
@Timeout(60)
class SharedStorageTest {
    private static final long SIZE = 1 << 20;

    @TempDir
    Path root;

    @Test
    void createsALockedImageUnderDisksWithAHeaderAndTheDataSize() throws Exception {
        DiskSpec spec;
        try (DiskImage image = new SharedStorage(root).create("web-1", SIZE)) {
            spec = image.spec();
            assertTrue(image.holdsLock());
            assertEquals(SIZE, image.capacity());
        }
        assertTrue(spec.getImage().matches("disks/web-1-[0-9a-f]{8}\\.img"), spec.getImage());
        assertEquals(spec.getImage().substring(12, 20), spec.getImageId().substring(0, 8));
        assertEquals(SIZE, spec.getSizeBytes());
        // read the file only once the image is closed: a second descriptor's close drops this JVM's lock
        Path file = root.resolve(spec.getImage());
        assertEquals(ImageHeader.SIZE + SIZE, Files.size(file));
        ImageHeader header = ImageHeader.decode(ByteBuffer.wrap(Files.readAllBytes(file), 0, ImageHeader.SIZE));
        assertEquals(UUID.fromString(spec.getImageId()), header.id());
        assertEquals("web-1", header.guestName());
        assertEquals(SIZE, header.dataSize());
    }

    @Test
    void aFullImageHasEveryBlockOnDiskAndReadsAsZerosWhileASparseOneHasAlmostNoneAndSmallDisksAreFullByDefault() throws Exception {
        SharedStorage storage = new SharedStorage(root);
        long size = 4L << 20;
        Path full;
        Path sparse;
        Path byDefault;
        try (DiskImage image = storage.create("full-1", size, DiskAllocation.DISK_FULL);
                DiskImage holes = storage.create("sparse-1", size, DiskAllocation.DISK_SPARSE);
                DiskImage unsaid = storage.create("default-1", size)) {
            full = root.resolve(image.spec().getImage());
            sparse = root.resolve(holes.spec().getImage());
            byDefault = root.resolve(unsaid.spec().getImage());
            ByteBuffer back = ByteBuffer.allocate((int) size);
            assertEquals(size, image.read(0, back));
            assertEquals(-1, Arrays.mismatch(back.array(), new byte[(int) size]), "a new disk reads as zeros");
        }
        // what the filesystem allocated, from stat(1): the JDK's attribute views do not report it
        assertTrue(allocatedBytes(full) >= ImageHeader.SIZE + size, "full: " + allocatedBytes(full));
        assertTrue(allocatedBytes(sparse) < size / 4, "sparse: " + allocatedBytes(sparse));
        assertTrue(allocatedBytes(byDefault) >= ImageHeader.SIZE + size, "a small disk is full by default");
        assertEquals(ImageHeader.SIZE + size, Files.size(full));
        assertEquals(ImageHeader.SIZE + size, Files.size(sparse));
        assertEquals("full-1", ImageHeader.decode(ByteBuffer.wrap(Files.readAllBytes(full), 0, ImageHeader.SIZE)).guestName());
    }

    private static long allocatedBytes(Path file) throws Exception {
        Process stat = new ProcessBuilder("stat", "-c", "%b %B", file.toString()).redirectErrorStream(true).start();
        String out = new String(stat.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
        assertTrue(stat.waitFor(10, java.util.concurrent.TimeUnit.SECONDS) && stat.exitValue() == 0, out);
        String[] blocksAndSize = out.split(" ");
        return Long.parseLong(blocksAndSize[0]) * Long.parseLong(blocksAndSize[1]);
    }

    @Test
    void dataWrittenIsReadBackByTheNextOpenerAndIsInTheFileAfterTheHeader() throws IOException {
        SharedStorage storage = new SharedStorage(root);
        byte[] data = "hello from the source host".getBytes(StandardCharsets.UTF_8);
        long offset = SIZE - 4096 + 10;
        DiskSpec spec;
        try (DiskImage source = storage.create("web-1", SIZE)) {
            spec = source.spec();
            source.write(offset, ByteBuffer.wrap(data));
            source.release();
            storage.check(spec);
            try (DiskImage destination = storage.open(spec)) {
                assertFalse(destination.holdsLock(), "open() does not lock");
                ByteBuffer back = ByteBuffer.allocate(data.length);
                assertEquals(data.length, destination.read(offset, back));
                assertArrayEquals(data, back.array());
            }
        }
        byte[] file = Files.readAllBytes(root.resolve(spec.getImage()));
        long at = ImageHeader.SIZE + offset;
        assertArrayEquals(data, Arrays.copyOfRange(file, (int) at, (int) at + data.length));
    }

    @Test
    void aReadStopsAtTheEndOfTheDisk() throws IOException {
        try (DiskImage image = new SharedStorage(root).create("web-1", SIZE)) {
            image.write(SIZE - 3, ByteBuffer.wrap(new byte[] {1, 2, 3}));
            ByteBuffer into = ByteBuffer.allocate(10);
            assertEquals(3, image.read(SIZE - 3, into));
            assertEquals(3, into.position());
            assertEquals(0, image.read(SIZE, into));
            var e = assertThrows(IOException.class, () -> image.read(SIZE + 1, ByteBuffer.allocate(1)));
            assertTrue(e.getMessage().contains("past the end"), e.getMessage());
        }
    }

    @Test
    void refusesSizesThatAreNotPositiveMultiplesOfFourKiB() {
        SharedStorage storage = new SharedStorage(root);
        for (long size : new long[] {0, -4096, 4095, 4097, Long.MAX_VALUE - 4095}) {
            var e = assertThrows(IllegalArgumentException.class, () -> storage.create("web-1", size));
            assertTrue(e.getMessage().contains("multiple of 4096"), e.getMessage());
        }
    }

    @Test
    void aGuestNameCannotLeaveTheDisksDirectory() throws IOException {
        SharedStorage storage = new SharedStorage(root);
        for (String name : new String[] {"../escape", "a/b", "..", "", "a\\b"}) {
            assertThrows(IllegalArgumentException.class, () -> storage.create(name, SIZE), name);
        }
        try (var files = Files.list(root)) {
            assertEquals(0, files.count(), "refused before anything was written");
        }
    }

    @Test
    void rootMustBeAnExistingDirectory() throws IOException {
        Path missing = root.resolve("not-mounted");
        var e = assertThrows(IllegalArgumentException.class, () -> new SharedStorage(missing));
        assertTrue(e.getMessage().contains(missing.toString()) && e.getMessage().contains("--storage"),
                e.getMessage());
        Path file = Files.writeString(root.resolve("a-file"), "x");
        e = assertThrows(IllegalArgumentException.class, () -> new SharedStorage(file));
        assertTrue(e.getMessage().contains("not a directory"), e.getMessage());
    }

    @Test
    void deleteRemovesTheImageOnceNobodyHoldsIt() throws IOException {
        SharedStorage storage = new SharedStorage(root);
        DiskSpec spec;
        try (DiskImage image = storage.create("web-1", SIZE)) {
            spec = image.spec();
            assertThrows(DiskLockedException.class, () -> storage.delete(spec), "in use by a running guest");
            assertTrue(Files.exists(root.resolve(spec.getImage())));
        }
        storage.delete(spec);
        assertFalse(Files.exists(root.resolve(spec.getImage())));
        storage.delete(spec); // gone already: nothing to do
    }

    @Test
    void deleteRefusesAnotherImageUnderTheSameName() throws IOException {
        SharedStorage storage = new SharedStorage(root);
        DiskSpec spec;
        try (DiskImage image = storage.create("web-1", SIZE)) {
            spec = image.spec();
        }
        DiskSpec other = spec.toBuilder().setImageId(UUID.randomUUID().toString()).build();
        assertThrows(StorageMismatchException.class, () -> storage.delete(other));
        assertTrue(Files.exists(root.resolve(spec.getImage())));
    }
}
