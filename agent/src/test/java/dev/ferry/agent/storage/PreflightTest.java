package dev.ferry.agent.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.agent.storage.StorageMismatchException.Reason;
import dev.ferry.proto.v1.DiskSpec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The destination's preflight refuses every image that is not the one the spec names, with a
 * message that names the image and says what to do. Each test breaks a good image one way.
 */
@Timeout(60)
class PreflightTest {
    private static final long SIZE = 64 * 4096;

    @TempDir
    Path root;

    private SharedStorage storage;
    private DiskSpec spec;
    private Path file;

    @BeforeEach
    void createImage() throws IOException {
        storage = new SharedStorage(root);
        try (DiskImage image = storage.create("db-1", SIZE)) {
            spec = image.spec();
        }
        file = root.resolve(spec.getImage());
    }

    @Test
    void theImageAsCreatedPasses() throws IOException {
        storage.check(spec);
        try (DiskImage image = storage.open(spec)) {
            assertEquals(spec, image.spec());
        }
    }

    @Test
    void aMissingImageSaysToMountTheSameStorage() throws IOException {
        Files.delete(file);
        var e = refused(Reason.MISSING, spec);
        assertTrue(e.getMessage().contains("does not see disk image " + spec.getImage() + " under " + root), e.getMessage());
        assertTrue(e.getMessage().contains("mount the same shared storage at --storage on every agent"), e.getMessage());
    }

    @Test
    void anotherStorageRootDoesNotSeeTheImage() throws IOException {
        Path elsewhere = Files.createDirectory(root.resolve("other-mount"));
        var e = assertThrows(StorageMismatchException.class, () -> new SharedStorage(elsewhere).check(spec));
        assertEquals(Reason.MISSING, e.reason());
        assertTrue(e.getMessage().contains(elsewhere.toString()), e.getMessage());
    }

    @Test
    void garbageIsNotAFerryImage() throws IOException {
        overwriteHeader(ByteBuffer.wrap(new byte[ImageHeader.SIZE]).put(0, "QFI".getBytes(StandardCharsets.US_ASCII)));
        var e = refused(Reason.NOT_FERRY_IMAGE, spec);
        assertTrue(e.getMessage().contains("FERRYIMG"), e.getMessage());
    }

    @Test
    void aFileShorterThanAHeaderIsNotAFerryImage() throws IOException {
        Files.writeString(file, "just some text");
        var e = refused(Reason.NOT_FERRY_IMAGE, spec);
        assertTrue(e.getMessage().contains("shorter"), e.getMessage());
    }

    @Test
    void aDirectoryIsNotAFerryImage() throws IOException {
        Files.delete(file);
        Files.createDirectory(file);
        refused(Reason.NOT_FERRY_IMAGE, spec);
    }

    @Test
    void anImageRecreatedUnderTheSameNameHasAnotherId() throws IOException {
        UUID other = UUID.randomUUID();
        overwriteHeader(new ImageHeader(other, SIZE, Instant.now(), "db-1").encode());
        var e = refused(Reason.DIFFERENT_ID, spec);
        assertTrue(e.getMessage().contains(other.toString()) && e.getMessage().contains(spec.getImageId()),
                e.getMessage());
        assertTrue(e.getMessage().contains("different file with the same name"), e.getMessage());
    }

    @Test
    void aDifferentSizeIsRefused() throws IOException {
        var e = refused(Reason.DIFFERENT_SIZE, spec.toBuilder().setSizeBytes(2 * SIZE).build());
        assertTrue(e.getMessage().contains(SIZE + " data bytes") && e.getMessage().contains(String.valueOf(2 * SIZE)),
                e.getMessage());
    }

    @Test
    void aTruncatedImageIsRefused() throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.truncate(ImageHeader.SIZE + SIZE / 2);
        }
        var e = refused(Reason.DIFFERENT_SIZE, spec);
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void pathsOutsideTheMountOrAbsoluteAreRefused() throws IOException {
        Path outside = root.resolveSibling(root.getFileName() + "-outside.img");
        for (String image : new String[] {"../" + outside.getFileName(), "disks/../..", "."}) {
            var e = refused(Reason.OUTSIDE_ROOT, spec.toBuilder().setImage(image).build());
            assertTrue(e.getMessage().contains("outside the shared storage " + root), e.getMessage());
        }
        for (Path absolute : new Path[] {outside, file}) { // even inside: another host mounts elsewhere
            var e = refused(Reason.BAD_SPEC, spec.toBuilder().setImage(absolute.toString()).build());
            assertTrue(e.getMessage().contains("relative to the shared mount"), e.getMessage());
        }
    }

    @Test
    void aSymbolicLinkOutOfTheMountIsRefused(@TempDir Path elsewhere) throws IOException {
        Path target = Files.move(file, elsewhere.resolve("moved.img"));
        Files.createSymbolicLink(file, target);
        refused(Reason.OUTSIDE_ROOT, spec);
    }

    @Test
    void aSpecWithoutAUsableIdOrSizeIsRefused() {
        refused(Reason.BAD_SPEC, spec.toBuilder().setImageId("not-a-uuid").build());
        refused(Reason.BAD_SPEC, spec.toBuilder().setSizeBytes(0).build());
        refused(Reason.BAD_SPEC, spec.toBuilder().setImage("").build());
    }

    @Test
    void openChecksFirst() throws IOException {
        Files.delete(file);
        var e = assertThrows(StorageMismatchException.class, () -> storage.open(spec));
        assertEquals(Reason.MISSING, e.reason());
    }

    private StorageMismatchException refused(Reason reason, DiskSpec bad) {
        var e = assertThrows(StorageMismatchException.class, () -> storage.check(bad));
        assertEquals(reason, e.reason(), e.getMessage());
        assertTrue(e.getMessage().contains(bad.getImage()), "names the image: " + e.getMessage());
        return e;
    }

    private void overwriteHeader(ByteBuffer header) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.write(header, 0);
        }
    }
}
