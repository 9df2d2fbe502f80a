package dev.ferry.agent.storage;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashMap;
import java.util.Map;

/**
 * One open {@link FileChannel} per image file in this JVM, shared by every user and closed
 * when the last one is done.
 *
 * <p>Why: image locks are POSIX record locks, which the kernel keeps per process and file,
 * and closing <em>any</em> descriptor of the file drops all of them, while the JDK still
 * reports its {@code FileLock} valid. A second channel opened just to read the header (or a
 * second {@link DiskImage} on the same file, as when two agents share a JVM in tests) would,
 * on close, silently let another process take a lock this process still thinks it holds.
 * With one descriptor per file nothing is closed while anyone here uses the image, and the
 * JDK's lock table still refuses a second lock from this JVM.
 *
 * <p>Files are keyed by the file system's key (device and inode on Unix), so an image that
 * was deleted and recreated under the same name is a different file with its own channel.
 */
final class ImageChannels {
    private static final Map<Object, Shared> OPEN = new HashMap<>();

    private ImageChannels() {}

    /** Opens {@code file} for reading and writing, or shares the channel already open to it. */
    static Handle open(Path file) throws IOException {
        Object key = key(file);
        synchronized (OPEN) {
            Shared shared = OPEN.get(key);
            if (shared == null || !shared.channel.isOpen()) {
                shared = new Shared(key, FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE));
                OPEN.put(key, shared);
            }
            shared.users++;
            return new Handle(shared);
        }
    }

    private static Object key(Path file) throws IOException {
        Object key = Files.readAttributes(file, BasicFileAttributes.class).fileKey();
        return key != null ? key : file.toRealPath();
    }

    private static void done(Shared shared) throws IOException {
        synchronized (OPEN) {
            if (--shared.users == 0) {
                OPEN.remove(shared.key, shared);
                shared.channel.close();
            }
        }
    }

    private static final class Shared {
        final Object key;
        final FileChannel channel;
        int users;

        Shared(Object key, FileChannel channel) {
            this.key = key;
            this.channel = channel;
        }
    }

    /** One user's share of a channel; closing it closes the channel only if it was the last. */
    static final class Handle implements AutoCloseable {
        private final Shared shared;
        private boolean closed;

        private Handle(Shared shared) {
            this.shared = shared;
        }

        FileChannel channel() {
            return shared.channel;
        }

        @Override
        public synchronized void close() throws IOException {
            if (!closed) {
                closed = true;
                done(shared);
            }
        }
    }
}
