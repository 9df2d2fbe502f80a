package dev.ferry.agent.migration;

import dev.ferry.proto.v1.MigrationProgress;
import java.util.ArrayList;
import java.util.List;

/**
 * The latest progress of one migration and everyone watching it. A new watcher gets the
 * latest snapshot at once; after the terminal snapshot every watcher is completed.
 */
public final class ProgressFeed {
    public interface Watcher {
        void onProgress(MigrationProgress progress);

        void onEnd();
    }

    private final List<Watcher> watchers = new ArrayList<>();
    private MigrationProgress latest;
    private boolean ended;

    public ProgressFeed(MigrationProgress initial) {
        this.latest = initial;
    }

    public synchronized MigrationProgress latest() {
        return latest;
    }

    public synchronized boolean ended() {
        return ended;
    }

    public synchronized void publish(MigrationProgress progress, boolean terminal) {
        if (ended) {
            return;
        }
        latest = progress;
        ended = terminal;
        for (Watcher watcher : watchers) {
            watcher.onProgress(progress);
            if (terminal) {
                watcher.onEnd();
            }
        }
        if (terminal) {
            watchers.clear();
        }
    }

    /**
     * Replaces the snapshot without telling the watchers: a new watcher and {@link #latest}
     * see it, the others get the next {@link #publish}.
     */
    public synchronized void hold(MigrationProgress progress) {
        if (!ended) {
            latest = progress;
        }
    }

    public synchronized void watch(Watcher watcher) {
        watcher.onProgress(latest);
        if (ended) {
            watcher.onEnd();
        } else {
            watchers.add(watcher);
        }
    }

    public synchronized void unwatch(Watcher watcher) {
        watchers.remove(watcher);
    }
}
