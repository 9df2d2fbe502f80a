package dev.ferry.controller.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.controller.FakeClock;
import dev.ferry.proto.v1.HostHealth;
import dev.ferry.proto.v1.HostInfo;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class HostRegistryTest {

    private final FakeClock clock = new FakeClock(Instant.parse("2025-01-01T00:00:00Z"));
    private final HostRegistry registry = new HostRegistry(clock, Duration.ofSeconds(3));

    @Test
    void hostGoesUnreachableWithoutHeartbeatsAndRecoversOnTheNextOne() {
        registry.register(HostInfo.newBuilder().setName("host-a").setGrpcAddress("a:1").build());
        assertEquals(HostHealth.HOST_HEALTHY, health());

        clock.advance(Duration.ofSeconds(3));
        assertEquals(HostHealth.HOST_HEALTHY, health(), "exactly at the timeout is still healthy");

        clock.advance(Duration.ofMillis(1));
        assertEquals(HostHealth.HOST_UNREACHABLE, health());

        assertTrue(registry.heartbeat("host-a", 1024, 2));
        assertEquals(HostHealth.HOST_HEALTHY, health());
    }

    @Test
    void heartbeatUpdatesUsageAndTime() {
        registry.register(HostInfo.newBuilder().setName("host-a").setGrpcAddress("a:1").build());
        clock.advance(Duration.ofSeconds(1));
        registry.heartbeat("host-a", 4096, 3);

        HostInfo host = registry.find("host-a").orElseThrow();
        assertEquals(4096, host.getMemoryUsedBytes());
        assertEquals(3, host.getGuestCount());
        assertEquals(clock.millis(), host.getLastHeartbeatUnixMillis());
    }

    @Test
    void heartbeatFromUnknownHostIsRefused() {
        assertFalse(registry.heartbeat("ghost", 0, 0));
        assertTrue(registry.hosts().isEmpty());
    }

    @Test
    void reRegistrationReturnsThePreviousEntry() {
        HostInfo first = HostInfo.newBuilder().setName("host-a").setGrpcAddress("a:1").build();
        assertTrue(registry.register(first).isEmpty());
        assertEquals("a:1", registry.register(first.toBuilder().setGrpcAddress("a:2").build()).orElseThrow().getGrpcAddress());
        assertEquals("a:2", registry.find("host-a").orElseThrow().getGrpcAddress());
    }

    private HostHealth health() {
        return registry.find("host-a").orElseThrow().getHealth();
    }
}
