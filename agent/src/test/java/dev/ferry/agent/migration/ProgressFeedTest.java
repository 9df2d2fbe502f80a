package dev.ferry.agent.migration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.proto.v1.MigrationProgress;
import dev.ferry.proto.v1.MigrationStatus;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProgressFeedTest {

    /** Records what it was told, in order: progress rounds as numbers, the end as "end". */
    private static final class Recorder implements ProgressFeed.Watcher {
        final List<String> events = new ArrayList<>();
        final List<MigrationProgress> snapshots = new ArrayList<>();

        @Override
        public void onProgress(MigrationProgress progress) {
            snapshots.add(progress);
            events.add(progress.getStatus() + "#" + progress.getRound());
        }

        @Override
        public void onEnd() {
            events.add("end");
        }
    }

    private static MigrationProgress progress(MigrationStatus status, int round) {
        return MigrationProgress.newBuilder().setMigrationId("m").setStatus(status).setRound(round).build();
    }

    @Test
    void aWatcherGetsTheCurrentSnapshotAtOnceThenEveryPublish() {
        MigrationProgress initial = progress(MigrationStatus.SETUP, 0);
        ProgressFeed feed = new ProgressFeed(initial);
        Recorder early = new Recorder();
        feed.watch(early);
        assertSame(initial, early.snapshots.getFirst());
        feed.publish(progress(MigrationStatus.PRECOPY, 1), false);
        feed.publish(progress(MigrationStatus.PRECOPY, 2), false);
        assertEquals(List.of("SETUP#0", "PRECOPY#1", "PRECOPY#2"), early.events);
        assertFalse(feed.ended());
    }

    @Test
    void aLateWatcherGetsTheLatestSnapshotNotTheHistory() {
        ProgressFeed feed = new ProgressFeed(progress(MigrationStatus.SETUP, 0));
        feed.publish(progress(MigrationStatus.PRECOPY, 1), false);
        MigrationProgress latest = progress(MigrationStatus.PRECOPY, 2);
        feed.publish(latest, false);
        Recorder late = new Recorder();
        feed.watch(late);
        assertEquals(List.of("PRECOPY#2"), late.events);
        assertSame(latest, feed.latest());
    }

    @Test
    void theTerminalSnapshotCompletesEveryWatcher() {
        ProgressFeed feed = new ProgressFeed(progress(MigrationStatus.SETUP, 0));
        Recorder a = new Recorder();
        Recorder b = new Recorder();
        feed.watch(a);
        feed.watch(b);
        feed.publish(progress(MigrationStatus.COMPLETED, 4), true);
        assertEquals(List.of("SETUP#0", "COMPLETED#4", "end"), a.events);
        assertEquals(List.of("SETUP#0", "COMPLETED#4", "end"), b.events);
        assertTrue(feed.ended());
    }

    @Test
    void watchingAnEndedFeedGivesTheFinalSnapshotAndEndsAtOnce() {
        ProgressFeed feed = new ProgressFeed(progress(MigrationStatus.SETUP, 0));
        feed.publish(progress(MigrationStatus.FAILED, 3), true);
        Recorder after = new Recorder();
        feed.watch(after);
        assertEquals(List.of("FAILED#3", "end"), after.events);
        feed.publish(progress(MigrationStatus.PRECOPY, 9), false);
        assertEquals(List.of("FAILED#3", "end"), after.events, "not kept as a watcher");
    }

    @Test
    void publishesAfterTheTerminalOneAreIgnored() {
        ProgressFeed feed = new ProgressFeed(progress(MigrationStatus.SETUP, 0));
        Recorder watcher = new Recorder();
        feed.watch(watcher);
        MigrationProgress end = progress(MigrationStatus.CANCELLED, 2);
        feed.publish(end, true);
        feed.publish(progress(MigrationStatus.PRECOPY, 3), false);
        feed.publish(progress(MigrationStatus.COMPLETED, 4), true);
        assertSame(end, feed.latest());
        assertEquals(List.of("SETUP#0", "CANCELLED#2", "end"), watcher.events, "one end, nothing after it");
    }

    @Test
    void unwatchStopsDelivery() {
        ProgressFeed feed = new ProgressFeed(progress(MigrationStatus.SETUP, 0));
        Recorder gone = new Recorder();
        Recorder stays = new Recorder();
        feed.watch(gone);
        feed.watch(stays);
        feed.unwatch(gone);
        feed.publish(progress(MigrationStatus.PRECOPY, 1), false);
        feed.publish(progress(MigrationStatus.COMPLETED, 2), true);
        assertEquals(List.of("SETUP#0"), gone.events, "no progress and no end after unwatch");
        assertEquals(List.of("SETUP#0", "PRECOPY#1", "COMPLETED#2", "end"), stays.events);
        feed.unwatch(gone);  // unwatching twice, or after the end, is harmless
        feed.unwatch(stays);
    }

    @Test
    void aHeldSnapshotIsTheLatestButReachesWatchersOnlyWithTheNextPublish() {
        ProgressFeed feed = new ProgressFeed(progress(MigrationStatus.PRECOPY, 3));
        Recorder watcher = new Recorder();
        feed.watch(watcher);
        MigrationProgress held = progress(MigrationStatus.STOP_AND_COPY, 4);
        feed.hold(held);
        assertSame(held, feed.latest());
        assertEquals(List.of("PRECOPY#3"), watcher.events, "held: no message during the downtime");
        Recorder late = new Recorder();
        feed.watch(late);
        assertEquals(List.of("STOP_AND_COPY#4"), late.events, "a new watcher starts from the held snapshot");
        feed.publish(progress(MigrationStatus.COMPLETED, 4), true);
        assertEquals(List.of("PRECOPY#3", "COMPLETED#4", "end"), watcher.events);
        feed.hold(progress(MigrationStatus.PRECOPY, 9));
        assertEquals(MigrationStatus.COMPLETED, feed.latest().getStatus(), "after the end nothing replaces the outcome");
    }
}
