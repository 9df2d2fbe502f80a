package dev.ferry.controller.migration;

import dev.ferry.proto.v1.MigrationProgress;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One migration as the controller knows it: its latest progress and who watches it.
 * The latest progress is replaced, never merged: the source agent sends complete snapshots.
 */
final class MigrationRecord {

    private static final Logger LOG = LoggerFactory.getLogger(MigrationRecord.class);

    private final List<MigrationWatcher> watchers = new ArrayList<>();
    private MigrationProgress latest;

    MigrationRecord(MigrationProgress initial) {
        this.latest = initial;
    }

    String id() {
        return latest.getMigrationId();
    }

    synchronized MigrationProgress latest() {
        return latest;
    }

    synchronized boolean finished() {
        return MigrationStatuses.isTerminal(latest.getStatus());
    }

    /** Stores a new snapshot and fans it out; a terminal one also ends every watch. */
    synchronized void update(MigrationProgress progress) {
        if (finished()) {
            LOG.warn("migration {}: ignoring {} after it ended", id(), progress.getStatus());
            return;
        }
        latest = progress;
        List.copyOf(watchers).forEach(this::deliver);
        if (finished()) {
            List.copyOf(watchers).forEach(this::end);
            watchers.clear();
        }
    }

    /** Sends the latest state at once; returns what to run when the watcher goes away. */
    synchronized Runnable subscribe(MigrationWatcher watcher) {
        watchers.add(watcher);
        deliver(watcher);
        if (finished()) {
            end(watcher);
            watchers.remove(watcher);
        }
        return () -> unsubscribe(watcher);
    }

    private synchronized void unsubscribe(MigrationWatcher watcher) {
        watchers.remove(watcher);
    }

    // A watcher that throws (its client went away) is dropped; the migration carries on.
    private void deliver(MigrationWatcher watcher) {
        try {
            watcher.onProgress(latest);
        } catch (RuntimeException e) {
            LOG.debug("migration {}: dropping a watcher: {}", id(), e.toString());
            watchers.remove(watcher);
        }
    }

    private void end(MigrationWatcher watcher) {
        try {
            watcher.onEnd();
        } catch (RuntimeException e) {
            LOG.debug("migration {}: watcher failed at the end: {}", id(), e.toString());
        }
    }
}
