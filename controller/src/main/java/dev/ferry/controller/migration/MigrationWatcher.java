package dev.ferry.controller.migration;

import dev.ferry.proto.v1.MigrationProgress;

/**
 * Someone following one migration (a controller WatchMigration stream). Called under the
 * migration's lock, so calls for one migration never overlap; implementations must not block.
 */
public interface MigrationWatcher {

    void onProgress(MigrationProgress progress);

    /** The migration reached a terminal status; no more calls follow. */
    void onEnd();
}
