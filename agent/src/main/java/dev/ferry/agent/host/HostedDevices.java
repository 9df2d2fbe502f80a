package dev.ferry.agent.host;

import dev.ferry.agent.migration.SourceDevices;
import dev.ferry.agent.network.VirtualSwitch;
import dev.ferry.agent.storage.DiskImage;
import dev.ferry.proto.v1.VnicState;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A hosted guest's devices as an outgoing migration moves them: disk lock and vNIC. */
public final class HostedDevices implements SourceDevices {
    private static final Logger log = LoggerFactory.getLogger(HostedDevices.class);
    /**
     * Where the disk flush and release run, beside the last round. Threads stay for a minute
     * between migrations: starting one at the pause took 1-8 ms of the downtime on a busy
     * host (measured: "devices detached" in the source's downtime log). Daemon threads: the
     * process owns them, nothing to close.
     */
    private static final ExecutorService RELEASES = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 60, TimeUnit.SECONDS,
            new SynchronousQueue<>(), Thread.ofPlatform().daemon().name("disk-release-", 0).factory());

    private final HostedGuest hosted;
    private final VirtualSwitch vswitch;

    public HostedDevices(HostedGuest hosted, VirtualSwitch vswitch) {
        this.hosted = hosted;
        this.vswitch = vswitch;
    }

    @Override
    public void flushAhead() {
        DiskImage disk = hosted.disk();
        if (disk != null) {
            RELEASES.execute(() -> {
                try {
                    disk.flush();
                } catch (IOException | RuntimeException e) {
                    // only a head start: prepare() and the release flush again and report it
                    log.warn("guest {}: flushing disk {} ahead of the migration failed: {}", hosted.guest().name(),
                            disk.spec().getImage(), e.toString());
                }
            });
        }
    }

    @Override
    public Duration prepare() throws IOException {
        DiskImage disk = hosted.disk();
        return disk == null ? Duration.ZERO : disk.writeBack();  // its own fdatasync: not flushAhead's backlog
    }

    @Override
    public Detached detach() throws IOException {
        VnicState state = hosted.nic().freeze(hosted.epoch());
        DiskImage disk = hosted.disk();
        CompletableFuture<Void> released = new CompletableFuture<>();
        if (disk == null || disk.releaseIfClean()) {
            released.complete(null);  // nothing written since the last flush: no thread to wait for
        } else {
            // an fsync takes milliseconds: it overlaps the last round instead of adding to the downtime
            RELEASES.execute(() -> {
                try {
                    disk.release();  // flushes first: the destination must read what this host wrote
                    released.complete(null);
                } catch (IOException | RuntimeException e) {
                    released.completeExceptionally(e);
                }
            });
        }
        return new Detached(state, released);
    }

    @Override
    public void reattach() throws IOException {
        DiskImage disk = hosted.disk();
        if (disk != null && !disk.holdsLock()) {
            disk.acquire();
            log.info("guest {}: disk {} locked here again after the rollback", hosted.guest().name(), disk.spec().getImage());
        }
        vswitch.thaw(hosted.nic().mac());
    }

    @Override
    public void committing(String destinationHost) {
        vswitch.forwardHeld(hosted.nic().mac(), destinationHost);
    }

    @Override
    public void handedOff(String destinationHost) {
        vswitch.handOff(hosted.nic().mac(), destinationHost, hosted.epoch() + 1);
    }
}
