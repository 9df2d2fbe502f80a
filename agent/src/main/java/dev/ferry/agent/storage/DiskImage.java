package dev.ferry.agent.storage;

import dev.ferry.agent.guest.Disk;
import dev.ferry.proto.v1.DiskSpec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An open disk image on the shared mount: the guest's {@link Disk}, plus the exclusive lock
 * that says which host runs the guest. The source {@link #release()}s at stop-and-copy, the
 * destination {@link #acquire()}s at activation, a rollback re-acquires on the source.
 * Writes need the lock; reads do not (a host may look at an image it does not run).
 *
 * <p><b>POSIX record locks.</b> The lock is {@link FileChannel#tryLock()} on the whole file,
 * which on Unix is an {@code fcntl} record lock: the kernel keeps it per process, so it
 * excludes other processes (other hosts, over NFS) but not other descriptors in this process.
 * Inside one JVM the JDK's lock table supplies that exclusion (a second lock on the file
 * throws {@link OverlappingFileLockException}). The trap: closing <em>any</em> descriptor of
 * the file drops the process's kernel lock while the JDK still reports it valid. So never
 * open a second channel to an image this process may have locked: every image channel comes
 * from {@link ImageChannels}, one per file per JVM. For the same reason an interrupt that
 * lands during this channel's I/O closes it and drops the lock; vCPU threads are woken with
 * {@code unpark}, not interrupts, and a write after that fails with {@link
 * Disk.DiskNotOwnedException} rather than landing unprotected.
 *
 * <p><b>NFS.</b> NFS promises close-to-open (and lock-to-unlock) consistency only: the next
 * host sees our writes if they reached the server before it locks. {@link #release()}
 * therefore fsyncs before unlocking, and keeps the lock if the fsync fails, so a handoff
 * never passes on a disk with writes still in this host's cache.
 *
 * <p><b>Threads.</b> vCPU threads write while a migration thread releases or acquires. Writes
 * share a read lock of {@link #state}; acquire, release and close take its write lock, so
 * once {@link #release()} returns no write is in flight and none can start.
 */
public final class DiskImage implements Disk, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DiskImage.class);

    private final DiskSpec spec;
    private final Path path;
    private final ImageChannels.Handle handle;
    private final FileChannel channel;
    private final ReentrantReadWriteLock state = new ReentrantReadWriteLock();
    private volatile FileLock lock;
    private volatile boolean closed;
    /**
     * Something may have been written since the last flush that completed. Set after every
     * write, cleared just before a flush starts (a write during the flush sets it again), so a
     * flush with nothing to write back costs nothing: an fdatasync can wait tens of
     * milliseconds for the filesystem's journal even when this file has no dirty data, and
     * the release's flush is inside the guest's downtime. True at first: nothing known.
     */
    private volatile boolean unflushed = true;
    /**
     * One flush at a time, release included: a flush that finds the flag clear must not
     * return while another flush, which cleared it, is still writing back.
     */
    private final java.util.concurrent.locks.ReentrantLock flushing = new java.util.concurrent.locks.ReentrantLock();
    private final java.util.concurrent.atomic.AtomicLong writeBacks = new java.util.concurrent.atomic.AtomicLong();

    DiskImage(DiskSpec spec, Path path, ImageChannels.Handle handle) {
        this.spec = spec;
        this.path = path;
        this.handle = handle;
        this.channel = handle.channel();
    }

    public DiskSpec spec() {
        return spec;
    }

    /** The image file (header included). */
    public Path path() {
        return path;
    }

    @Override
    public long capacity() {
        return spec.getSizeBytes();
    }

    /** Takes the image's exclusive lock; a no-op if this image already holds it. */
    public void acquire() throws IOException {
        state.writeLock().lock();
        try {
            ensureOpen();
            if (holdsLock()) {
                return;
            }
            lock = tryLock();
            // debug: a destination takes the lock inside the guest's downtime, where a log line
            // (a write to a file) would add to it; callers say what the lock was taken for
            log.debug("disk image {}: locked", spec.getImage());
        } finally {
            state.writeLock().unlock();
        }
    }

    private FileLock tryLock() throws IOException {
        FileLock taken;
        try {
            taken = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            taken = null; // another DiskImage in this JVM holds it: the same answer as another host
        } catch (IOException e) {
            throw new IOException("cannot lock disk image " + spec.getImage() + " (" + e.getMessage()
                    + "): the shared mount must support file locks (NFSv4, or NFSv3 with lockd)", e);
        }
        if (taken == null) {
            throw new DiskLockedException("disk image " + spec.getImage()
                    + " is locked by another host that runs the guest; a disk is used by one host at a time:"
                    + " that host must hand the guest off (or stop it) first");
        }
        return taken;
    }

    /** Flushes, then gives up the lock; a no-op without it. If the flush fails the lock is kept. */
    public void release() throws IOException {
        long start = System.nanoTime();  // waiting for writes in flight counts: it is in the downtime
        state.writeLock().lock();
        try {
            FileLock held = lock;
            if (held == null) {
                return;
            }
            if (held.isValid()) {
                boolean wrote = false;
                flushing.lock();  // waits for a flush in flight (flushAhead): it may hold writes not yet on disk
                try {
                    if (unflushed) {  // no write can be in flight: the state lock excludes them
                        channel.force(false); // data (and what reading it needs); throws before unlocking: the lock stays
                        writeBacks.incrementAndGet();
                        unflushed = false;
                        wrote = true;
                    }
                } finally {
                    flushing.unlock();
                }
                held.release();
                // in the source's downtime whenever the guest wrote since the last flush: worth seeing
                log.info("disk image {}: {} in {} us", spec.getImage(), wrote ? "flushed and unlocked" : "unlocked (nothing to flush)",
                        (System.nanoTime() - start) / 1000);
            } else {
                log.warn("disk image {}: the lock was already lost (its channel was closed)", spec.getImage());
            }
            lock = null;
        } finally {
            state.writeLock().unlock();
        }
    }

    /** How many flushes (here or in a release) actually wrote back: the others found nothing to write. */
    long writeBacks() {
        return writeBacks.get();
    }

    /**
     * {@link #release()} at once if it has nothing to write back and no flush is running,
     * else false (nothing done): the caller releases on another thread. Spares the guest's
     * downtime a thread hand-off when the guest wrote nothing since its disk was flushed.
     */
    public boolean releaseIfClean() {
        state.writeLock().lock();
        try {
            if (!flushing.tryLock()) {
                return false;
            }
            try {
                FileLock held = lock;
                if (unflushed || held == null || !held.isValid()) {
                    return false;
                }
                held.release();
                lock = null;
                log.debug("disk image {}: unlocked, nothing to flush", spec.getImage());
                return true;
            } catch (IOException e) {
                return false;  // the release on the other thread tries again and reports it
            } finally {
                flushing.unlock();
            }
        } finally {
            state.writeLock().unlock();
        }
    }

    /** Whether this image holds the lock, so this host may write. */
    public boolean holdsLock() {
        FileLock held = lock;
        return held != null && held.isValid();
    }

    @Override
    public void write(long offset, ByteBuffer data) throws IOException {
        state.readLock().lock();
        try {
            ensureOpen();
            if (!holdsLock()) {
                throw new DiskNotOwnedException("disk image " + spec.getImage() + " is not locked by this host:"
                        + " the guest's disk was handed to another host (or never taken), so writes are refused");
            }
            checkWrite(offset, data.remaining());
            for (long at = ImageHeader.SIZE + offset; data.hasRemaining(); ) {
                at += channel.write(data, at);
            }
            unflushed = true;
        } finally {
            state.readLock().unlock();
        }
    }

    private void checkWrite(long offset, int length) throws IOException {
        checkOffset(offset);
        if (offset > capacity() - length) {
            throw new IOException("disk full: a write of " + length + " bytes at offset " + offset
                    + " does not fit in disk image " + spec.getImage() + " of " + capacity() + " bytes");
        }
    }

    @Override
    public int read(long offset, ByteBuffer into) throws IOException {
        ensureOpen();
        checkOffset(offset);
        if (offset > capacity()) {
            throw new IOException("read at offset " + offset + " is past the end of disk image "
                    + spec.getImage() + " of " + capacity() + " bytes");
        }
        int length = (int) Math.min(into.remaining(), capacity() - offset);
        ByteBuffer window = into.slice(into.position(), length);
        for (long at = ImageHeader.SIZE + offset; window.hasRemaining(); ) {
            int n = channel.read(window, at);
            if (n < 0) {
                throw new IOException("disk image " + spec.getImage() + " ends before its " + capacity()
                        + " data bytes: the file was truncated on the shared mount");
            }
            at += n;
        }
        into.position(into.position() + length);
        return length;
    }

    private static void checkOffset(long offset) {
        if (offset < 0) {
            throw new IllegalArgumentException("negative disk offset " + offset);
        }
    }

    @Override
    public void flush() throws IOException {
        writeBack();
    }

    /**
     * {@link #flush} that says how long its own fdatasync took: zero if nothing was written
     * since the last flush. A flush already running is waited for but not counted: it may
     * carry a backlog this one does not.
     */
    public Duration writeBack() throws IOException {
        ensureOpen();
        flushing.lock();
        try {
            if (!unflushed) {
                return Duration.ZERO;
            }
            unflushed = false;  // before the force: a write landing during it sets the flag again
            long start = System.nanoTime();
            try {
                channel.force(false);  // fdatasync: data and what reading it back needs, not timestamps
                writeBacks.incrementAndGet();
            } catch (IOException e) {
                unflushed = true;
                throw e;
            }
            return Duration.ofNanos(System.nanoTime() - start);
        } finally {
            flushing.unlock();
        }
    }

    /**
     * {@link #close()} for shutdown and clean-up paths that must go on: a failure (the final
     * fsync) is logged, and the lock is still given up with the file.
     */
    public void closeQuietly() {
        try {
            close();
        } catch (IOException e) {
            log.warn("disk image {}: close failed: {}", spec.getImage(), e.getMessage());
        }
    }

    /** Releases the lock if held (flushing first), then lets go of the file; idempotent. */
    @Override
    public void close() throws IOException {
        state.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            try {
                release();
            } finally {
                handle.close();
            }
        } finally {
            state.writeLock().unlock();
        }
    }

    private void ensureOpen() throws ClosedChannelException {
        if (closed) {
            throw new ClosedChannelException();
        }
    }

    @Override
    public String toString() {
        return "DiskImage[" + spec.getImage() + (holdsLock() ? ", locked]" : "]");
    }
}
