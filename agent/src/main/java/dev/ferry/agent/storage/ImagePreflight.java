package dev.ferry.agent.storage;

import dev.ferry.agent.storage.StorageMismatchException.Reason;
import dev.ferry.proto.v1.DiskSpec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.UUID;

/**
 * Whether this host sees the very image a {@link DiskSpec} names: inside the mount, present,
 * a Ferry image, the same id and size. Every refusal names the image and says what to do,
 * because the operator reads it as the reason a migration did not start.
 */
final class ImagePreflight {
    private static final String SAME_MOUNT = "mount the same shared storage at --storage on every agent";

    private final Path root;
    private final Path realRoot;

    /** {@code root} absolute and normalized; {@code realRoot} the same with links resolved. */
    ImagePreflight(Path root, Path realRoot) {
        this.root = root;
        this.realRoot = realRoot;
    }

    /** The image's file, refused if the spec names none or a path outside the mount. */
    Path resolve(DiskSpec spec) throws StorageMismatchException {
        String image = spec.getImage();
        if (image.isEmpty()) {
            throw refuse(Reason.BAD_SPEC, "the guest's disk spec names no image: it must come from the agent"
                    + " that created the guest's disk");
        }
        Path relative;
        try {
            relative = Path.of(image);
        } catch (InvalidPathException e) {
            throw refuse(Reason.BAD_SPEC, "disk image " + image + " is not a valid path: " + e.getReason());
        }
        if (relative.isAbsolute()) {
            throw refuse(Reason.BAD_SPEC, "disk image " + image + " is an absolute path: a guest's disk is named"
                    + " relative to the shared mount, so each agent finds it under its own --storage");
        }
        Path file = root.resolve(relative).normalize();
        if (!file.startsWith(root) || file.equals(root)) {
            throw outside(image);
        }
        return file;
    }

    /** The spec of the image at {@code image} (relative to the mount), as its header says. */
    DiskSpec describe(String image) throws StorageMismatchException {
        DiskSpec named = DiskSpec.newBuilder().setImage(image).build();
        Path file = resolve(named);
        if (!Files.exists(file)) {
            throw refuse(Reason.MISSING, "there is no disk image " + image + " under " + root
                    + ": give the path `ferry guests` showed, relative to the shared mount (e.g. disks/NAME-ID.img)");
        }
        ImageHeader header = readHeader(named, file);
        return named.toBuilder().setImage(root.relativize(file).toString()).setImageId(header.id().toString())
                .setSizeBytes(header.dataSize()).build();
    }

    void check(DiskSpec spec) throws StorageMismatchException {
        Path file = resolve(spec);
        UUID id = imageId(spec);
        if (spec.getSizeBytes() <= 0) {
            throw refuse(Reason.BAD_SPEC, "the guest's disk spec for " + where(spec) + " has size "
                    + spec.getSizeBytes() + "; it must come from the agent that created the disk");
        }
        if (!Files.exists(file)) {
            throw missing(spec);
        }
        ImageHeader header = readHeader(spec, file);
        if (!header.id().equals(id)) {
            throw refuse(Reason.DIFFERENT_ID, where(spec) + " is image " + header.id() + ", but the guest's disk is "
                    + id + ": a different file with the same name (another mount, or the image was recreated); "
                    + SAME_MOUNT);
        }
        if (header.dataSize() != spec.getSizeBytes()) {
            throw refuse(Reason.DIFFERENT_SIZE, where(spec) + " holds " + header.dataSize()
                    + " data bytes, but the guest's disk has " + spec.getSizeBytes()
                    + ": the image was changed or the spec is stale; " + SAME_MOUNT);
        }
    }

    private UUID imageId(DiskSpec spec) throws StorageMismatchException {
        try {
            return UUID.fromString(spec.getImageId());
        } catch (IllegalArgumentException e) {
            throw refuse(Reason.BAD_SPEC, "the guest's disk spec for " + where(spec) + " has image id '"
                    + spec.getImageId() + "', which is not a UUID; it must come from the agent that created the disk");
        }
    }

    private ImageHeader readHeader(DiskSpec spec, Path file) throws StorageMismatchException {
        try {
            if (!file.toRealPath().startsWith(realRoot)) {
                throw outside(spec.getImage()); // a symbolic link out of the mount
            }
            if (!Files.isRegularFile(file)) {
                throw notAnImage(spec, "it is not a regular file");
            }
            try (ImageChannels.Handle handle = ImageChannels.open(file)) {
                ImageHeader header = ImageHeader.decode(readFirstPage(handle.channel()));
                long needed = ImageHeader.SIZE + header.dataSize();
                if (handle.channel().size() < needed) {
                    throw refuse(Reason.DIFFERENT_SIZE, where(spec) + " is " + handle.channel().size()
                            + " bytes but its header says " + needed + ": the file was truncated; " + SAME_MOUNT);
                }
                return header;
            }
        } catch (ImageHeader.BadHeaderException e) {
            throw notAnImage(spec, e.getMessage());
        } catch (NoSuchFileException e) {
            throw missing(spec);
        } catch (StorageMismatchException e) {
            throw e;
        } catch (IOException e) {
            throw new StorageMismatchException(Reason.UNREADABLE, "cannot read " + where(spec) + " (" + e
                    + "): check that the shared mount is up and the agent may read and write it", e);
        }
    }

    private static ByteBuffer readFirstPage(FileChannel channel) throws IOException {
        ByteBuffer page = ByteBuffer.allocate(ImageHeader.SIZE);
        while (page.hasRemaining() && channel.read(page, page.position()) >= 0) {
            // a short read is the end of a short file; decode() says so
        }
        return page.flip();
    }

    private StorageMismatchException missing(DiskSpec spec) {
        return refuse(Reason.MISSING, "this host does not see " + where(spec) + ": " + SAME_MOUNT);
    }

    private StorageMismatchException notAnImage(DiskSpec spec, String why) {
        return refuse(Reason.NOT_FERRY_IMAGE, where(spec) + " is not a Ferry disk image (" + why
                + "): the guest's disk spec points at the wrong file, or the file was overwritten; " + SAME_MOUNT);
    }

    private StorageMismatchException outside(String image) {
        return refuse(Reason.OUTSIDE_ROOT, "disk image " + image + " is outside the shared storage " + root
                + ": a guest's disk must be a path inside the mount, as the agent that created it wrote it");
    }

    private String where(DiskSpec spec) {
        return "disk image " + spec.getImage() + " under " + root;
    }

    private static StorageMismatchException refuse(Reason reason, String message) {
        return new StorageMismatchException(reason, message);
    }
}
