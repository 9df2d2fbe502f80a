package dev.ferry.agent.migration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.proto.v1.MigrationOptions;
import dev.ferry.proto.v1.StallAction;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Options as a request gives them, defaults filled in, ranges checked, and back. */
class MigrationSettingsTest {

    private static MigrationOptions.Builder options() {
        return MigrationOptions.newBuilder();
    }

    private static IllegalArgumentException invalid(MigrationOptions options) {
        return assertThrows(IllegalArgumentException.class, () -> MigrationSettings.from(options));
    }

    @Test
    void emptyOptionsGetTheDefaults() {
        MigrationSettings s = MigrationSettings.from(MigrationOptions.getDefaultInstance());
        assertEquals(Duration.ofMillis(50), s.maxDowntime());
        assertEquals(30, s.maxRounds());
        assertEquals(MigrationSettings.DEFAULT_CHANNELS, s.channels());
        assertEquals(0, s.bandwidthBytesPerSecond(), "unlimited");
        assertFalse(s.failOnStall(), "stop anyway");
        assertEquals(5, s.stallRounds());
        assertEquals(new MigrationSettings(MigrationSettings.DEFAULT_MAX_DOWNTIME, MigrationSettings.DEFAULT_MAX_ROUNDS,
                MigrationSettings.DEFAULT_CHANNELS, 0, false, MigrationSettings.DEFAULT_STALL_ROUNDS), s);
    }

    @Test
    void explicitValuesAreKept() {
        MigrationSettings s = MigrationSettings.from(options().setMaxDowntimeMicros(120_500).setMaxRounds(7).setChannels(16)
                .setBandwidthBytesPerSecond(10L << 20).setOnStall(StallAction.STALL_FAIL).setStallRounds(3).build());
        assertEquals(Duration.ofNanos(120_500_000), s.maxDowntime());
        assertEquals(7, s.maxRounds());
        assertEquals(16, s.channels());
        assertEquals(10L << 20, s.bandwidthBytesPerSecond());
        assertTrue(s.failOnStall());
        assertEquals(3, s.stallRounds());
    }

    @Test
    void stallActionsMap() {
        assertFalse(MigrationSettings.from(options().setOnStall(StallAction.STALL_STOP_ANYWAY).build()).failOnStall());
        assertFalse(MigrationSettings.from(options().setOnStall(StallAction.STALL_ACTION_UNSPECIFIED).build()).failOnStall());
        assertTrue(MigrationSettings.from(options().setOnStall(StallAction.STALL_FAIL).build()).failOnStall());
    }

    @Test
    void rangeEdgesAreAccepted() {
        assertEquals(1, MigrationSettings.from(options().setChannels(1).build()).channels());
        assertEquals(16, MigrationSettings.from(options().setChannels(MigrationSettings.MAX_CHANNELS).build()).channels());
        assertEquals(1, MigrationSettings.from(options().setMaxRounds(1).build()).maxRounds());
        assertEquals(1000, MigrationSettings.from(options().setMaxRounds(1000).build()).maxRounds());
        assertEquals(1, MigrationSettings.from(options().setStallRounds(1).build()).stallRounds());
        assertEquals(Duration.ofNanos(1000), MigrationSettings.from(options().setMaxDowntimeMicros(1).build()).maxDowntime());
    }

    @Test
    void tooManyChannelsNamesTheRange() {
        IllegalArgumentException e = invalid(options().setChannels(17).build());
        assertTrue(e.getMessage().contains("1..16"), e.getMessage());
        assertTrue(e.getMessage().contains("17"), e.getMessage());
        assertTrue(invalid(options().setChannels(-1).build()).getMessage().contains("channels"));
    }

    @Test
    void zeroChannelsOnlyInTheRecordItself() {
        assertEquals(MigrationSettings.DEFAULT_CHANNELS, MigrationSettings.from(options().setChannels(0).build()).channels(),
                "0 means the default");
        assertTrue(MigrationSettings.DEFAULT_CHANNELS >= 1 && MigrationSettings.DEFAULT_CHANNELS <= 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new MigrationSettings(Duration.ofMillis(50), 30, 0, 0, false, 5));
        assertTrue(e.getMessage().contains("channels"), e.getMessage());
    }

    @Test
    void negativeBandwidthIsRefused() {
        assertTrue(invalid(options().setBandwidthBytesPerSecond(-1).build()).getMessage().contains("bandwidth"));
    }

    @Test
    void maxRoundsZeroIsTheDefaultButOverAThousandIsRefused() {
        assertEquals(30, MigrationSettings.from(options().setMaxRounds(0).build()).maxRounds());
        IllegalArgumentException e = invalid(options().setMaxRounds(1001).build());
        assertTrue(e.getMessage().contains("1..1000"), e.getMessage());
        assertTrue(e.getMessage().contains("1001"), e.getMessage());
        assertTrue(invalid(options().setMaxRounds(-3).build()).getMessage().contains("max rounds"));
    }

    @Test
    void negativeDowntimeAndStallRoundsAreRefused() {
        assertTrue(invalid(options().setMaxDowntimeMicros(-1).build()).getMessage().contains("max downtime"));
        assertTrue(invalid(options().setStallRounds(-1).build()).getMessage().contains("stall rounds"));
        assertThrows(IllegalArgumentException.class, () -> new MigrationSettings(Duration.ZERO, 30, 2, 0, false, 5));
    }

    @Test
    void hugeDowntimeDoesNotWrapAround() {
        MigrationOptions wraps = options().setMaxDowntimeMicros(18_446_744_073_709_552L).build();
        try {
            MigrationSettings s = MigrationSettings.from(wraps);
            assertTrue(s.maxDowntime().compareTo(Duration.ofDays(1)) > 0,
                    "asked for ~584 years of downtime, got " + s.maxDowntime());
        } catch (IllegalArgumentException refused) {
            assertTrue(refused.getMessage().contains("max downtime"), refused.getMessage());
        }
    }

    @Test
    void toOptionsFillsInTheDefaults() {
        MigrationOptions filled = MigrationSettings.from(MigrationOptions.getDefaultInstance()).toOptions();
        assertEquals(MigrationOptions.newBuilder().setMaxDowntimeMicros(50_000).setMaxRounds(30).setChannels(MigrationSettings.DEFAULT_CHANNELS)
                .setBandwidthBytesPerSecond(0).setOnStall(StallAction.STALL_STOP_ANYWAY).setStallRounds(5).build(), filled);
    }

    @Test
    void toOptionsRoundTrips() {
        MigrationOptions[] cases = {
            options().setMaxDowntimeMicros(1).setMaxRounds(1).setChannels(1).setOnStall(StallAction.STALL_STOP_ANYWAY)
                    .setStallRounds(1).build(),
            options().setMaxDowntimeMicros(123_456).setMaxRounds(1000).setChannels(16).setBandwidthBytesPerSecond(1)
                    .setOnStall(StallAction.STALL_FAIL).setStallRounds(999).build(),
            options().setMaxDowntimeMicros(300_000).setMaxRounds(12).setChannels(4)
                    .setBandwidthBytesPerSecond(32L << 20).setOnStall(StallAction.STALL_STOP_ANYWAY).setStallRounds(2).build(),
        };
        for (MigrationOptions o : cases) {
            MigrationSettings s = MigrationSettings.from(o);
            assertEquals(o, s.toOptions(), "explicit options come back as given");
            assertEquals(s, MigrationSettings.from(s.toOptions()));
        }
        MigrationSettings defaults = MigrationSettings.from(MigrationOptions.getDefaultInstance());
        assertEquals(defaults, MigrationSettings.from(defaults.toOptions()));
    }
}
