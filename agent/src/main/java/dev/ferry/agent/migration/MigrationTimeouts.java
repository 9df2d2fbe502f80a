package dev.ferry.agent.migration;

import java.time.Duration;

/** How long the source waits at each step before giving up (and rolling back, or fencing). */
public record MigrationTimeouts(Duration connect, Duration handshake, Duration writable, Duration pause,
                                Duration ready, Duration active) {
    public static final MigrationTimeouts DEFAULT = new MigrationTimeouts(Duration.ofSeconds(10),
            Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(5), Duration.ofSeconds(30),
            Duration.ofSeconds(30));
}
