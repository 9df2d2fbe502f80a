package dev.ferry.agent.migration;

import dev.ferry.common.memory.GuestMemory;
import dev.ferry.proto.v1.MigrationProgress;
import dev.ferry.proto.v1.MigrationStatus;
import dev.ferry.proto.v1.RoundStats;
import java.util.List;

/**
 * What a migration reports, live and at the end (the fields of QEMU's query-migrate and
 * more), kept as one progress message that every change republishes to the feed.
 *
 * <p>From the pause until the destination runs the guest, changes reach the feed's
 * snapshot but not its watchers: a message to a watcher wakes the gRPC threads here and
 * the controller's (and its watchers') during the few milliseconds of the downtime, on
 * cores the downtime needs. Watchers hear the outcome right after; a long last round
 * still sends its periodic live snapshots.
 */
final class MigrationStats {
    private final long startNanos = System.nanoTime();
    private final MigrationProgress.Builder progress;
    private final ProgressFeed feed;
    private long pauseNanos;
    private boolean inDowntime;
    private int roundsDone;

    MigrationStats(MigrationTarget target, String guest, long memoryBytes, MigrationSettings settings) {
        progress = MigrationProgress.newBuilder().setMigrationId(target.migrationId()).setGuest(guest)
                .setSourceHost(target.sourceHost()).setDestinationHost(target.destinationHost())
                .setMemoryBytes(memoryBytes).setRemainingBytes(memoryBytes).setChannels(settings.channels())
                .setOptions(settings.toOptions())
                .setStatus(MigrationStatus.SETUP).setStartedUnixMillis(System.currentTimeMillis());
        feed = new ProgressFeed(progress.build());
    }

    ProgressFeed feed() {
        return feed;
    }

    synchronized void publish(MigrationStatus status) {
        publish(status, false);
    }

    private void publish(MigrationStatus status, boolean live) {
        progress.setStatus(status).setTotalMicros(micros(System.nanoTime() - startNanos));
        if (inDowntime && !live) {
            feed.hold(progress.build());
        } else {
            feed.publish(progress.build(), false);
        }
    }

    synchronized void setupDone() {
        progress.setSetupMicros(micros(System.nanoTime() - startNanos));
    }

    synchronized void roundStarted(int round, MigrationStatus status) {
        progress.setRound(round);
        publish(status);
    }

    /** A snapshot while a round runs. */
    synchronized void live(List<ChannelSender> senders, long dirtyPages, MigrationStatus status) {
        totals(senders);
        progress.setRemainingBytes(dirtyPages * GuestMemory.PAGE_SIZE);
        publish(status, true);
    }

    synchronized void roundDone(RoundResult round, List<ChannelSender> senders) {
        roundsDone++;
        totals(senders);
        progress.setRemainingBytes(round.remainingBytes())
                .setDirtyRateBytesPerSecond(round.dirtyRateBytesPerSecond())
                .setBandwidthBytesPerSecond(round.bandwidthBytesPerSecond())
                .addRounds(RoundStats.newBuilder().setRound(round.round()).setPagesSent(round.pagesSent())
                        .setZeroPages(round.zeroPages()).setPagesDirtied(round.dirtyPagesAfter())
                        .setBytesOnWire(round.bytesOnWire()).setDurationMicros(micros(round.nanos()))
                        .setDirtyRateBytesPerSecond(round.dirtyRateBytesPerSecond())
                        .setBandwidthBytesPerSecond(round.bandwidthBytesPerSecond()));
    }

    synchronized void planned(ConvergencePlanner.Decision decision) {
        long expected = decision.expectedDowntimeNanos();
        progress.setExpectedDowntimeMicros(expected == Long.MAX_VALUE ? -1 : micros(expected))
                .setStalled(decision.stalled());
    }

    private void totals(List<ChannelSender> senders) {
        progress.setPagesSent(senders.stream().mapToLong(s -> s.pagesSent.sum()).sum())
                .setZeroPages(senders.stream().mapToLong(s -> s.zerosSent.sum()).sum())
                .setBytesOnWire(senders.stream().mapToLong(s -> s.bytesOnWire.sum()).sum());
    }

    synchronized int rounds() {
        return roundsDone;
    }

    synchronized void paused() {
        pauseNanos = System.nanoTime();
        inDowntime = true;
    }

    /** The destination runs the guest: the downtime ends ({@code now}: when its ACTIVE arrived). */
    synchronized void activated(long now) {
        progress.setDowntimeMicros(micros(now - pauseNanos)).setTotalMicros(micros(now - startNanos))
                .setRemainingBytes(0);
        inDowntime = false;
    }

    synchronized long downtimeMicros() {
        return progress.getDowntimeMicros();
    }

    synchronized void finish(MigrationStatus status, boolean verified, String error) {
        inDowntime = false;
        progress.setStatus(status).setMemoryVerified(verified).setError(error);
        if (status != MigrationStatus.COMPLETED) {
            progress.setTotalMicros(micros(System.nanoTime() - startNanos));
        }
        feed.publish(progress.build(), true);
    }

    private static long micros(long nanos) {
        return nanos / 1000;
    }
}
