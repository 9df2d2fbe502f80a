package dev.ferry.agent.migration;

import dev.ferry.proto.v1.MigrationOptions;
import dev.ferry.proto.v1.StallAction;
import java.time.Duration;

/** A migration's options with defaults filled in and ranges checked. */
public record MigrationSettings(Duration maxDowntime, int maxRounds, int channels,
                                long bandwidthBytesPerSecond, boolean failOnStall, int stallRounds) {
    public static final Duration DEFAULT_MAX_DOWNTIME = Duration.ofMillis(50);
    public static final int DEFAULT_MAX_ROUNDS = 30;
    /**
     * One channel per two cores, 1 to 4. Measured on 2 cores (BENCHMARKS.md): more channels
     * add threads and hand-offs there, not bandwidth, and one gives the lowest downtime.
     */
    public static final int DEFAULT_CHANNELS = Math.clamp(Runtime.getRuntime().availableProcessors() / 2, 1, 4);
    public static final int MAX_CHANNELS = 16;
    public static final int DEFAULT_STALL_ROUNDS = 5;
    public static final long MAX_DOWNTIME_MICROS = 3_600_000_000L;

    public MigrationSettings {
        require(!maxDowntime.isNegative() && !maxDowntime.isZero(), "max downtime must be positive");
        require(maxRounds >= 1 && maxRounds <= 1000, "max rounds must be 1..1000, got " + maxRounds);
        require(channels >= 1 && channels <= MAX_CHANNELS, "channels must be 1.." + MAX_CHANNELS + ", got " + channels);
        require(bandwidthBytesPerSecond >= 0, "bandwidth must be >= 0 (0 = unlimited)");
        require(stallRounds >= 1, "stall rounds must be >= 1");
    }

    public static MigrationSettings from(MigrationOptions o) {
        require(o.getMaxDowntimeMicros() >= 0 && o.getMaxDowntimeMicros() <= MAX_DOWNTIME_MICROS,
                "max downtime must be 0 (default 50 ms) up to 1 hour, got " + o.getMaxDowntimeMicros() + " us");
        return new MigrationSettings(
                o.getMaxDowntimeMicros() == 0 ? DEFAULT_MAX_DOWNTIME : Duration.ofNanos(o.getMaxDowntimeMicros() * 1000),
                o.getMaxRounds() == 0 ? DEFAULT_MAX_ROUNDS : o.getMaxRounds(),
                o.getChannels() == 0 ? DEFAULT_CHANNELS : o.getChannels(),
                o.getBandwidthBytesPerSecond(),
                o.getOnStall() == StallAction.STALL_FAIL,
                o.getStallRounds() == 0 ? DEFAULT_STALL_ROUNDS : o.getStallRounds());
    }

    /** The options as this migration runs them, defaults filled in. */
    public MigrationOptions toOptions() {
        return MigrationOptions.newBuilder().setMaxDowntimeMicros(maxDowntime.toNanos() / 1000).setMaxRounds(maxRounds)
                .setChannels(channels).setBandwidthBytesPerSecond(bandwidthBytesPerSecond)
                .setOnStall(failOnStall ? StallAction.STALL_FAIL : StallAction.STALL_STOP_ANYWAY)
                .setStallRounds(stallRounds).build();
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}
