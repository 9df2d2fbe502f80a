package dev.ferry.controller;

import dev.ferry.common.config.HostPort;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Everything the controller daemon can be told, with its defaults. One typed record so the
 * values in effect can be logged at start and tests can build variants with the withers.
 *
 * @param listen where the gRPC service listens; port 0 picks a free port
 * @param portFile where to write the bound address after binding, if anywhere
 * @param heartbeatTimeout a host with no heartbeat for longer than this is unreachable
 * @param heartbeatInterval how often agents are asked to send heartbeats
 * @param agentCallTimeout deadline of unary calls to agents (prepare pre-touches memory, so generous)
 * @param watchRetries how many times a broken watch of a source agent is re-opened
 * @param watchRetryBackoff pause before re-opening a broken watch
 * @param shutdownTimeout bound of each shutdown step
 */
public record ControllerConfig(
        HostPort listen,
        Optional<Path> portFile,
        Duration heartbeatTimeout,
        Duration heartbeatInterval,
        Duration agentCallTimeout,
        int watchRetries,
        Duration watchRetryBackoff,
        Duration shutdownTimeout) {

    public static final HostPort DEFAULT_LISTEN = new HostPort("0.0.0.0", 7700);

    public static ControllerConfig defaults() {
        return new ControllerConfig(DEFAULT_LISTEN, Optional.empty(), Duration.ofSeconds(3),
                Duration.ofSeconds(1), Duration.ofSeconds(120), 3, Duration.ofSeconds(1),
                Duration.ofSeconds(5));
    }

    public ControllerConfig withListen(HostPort value) {
        return new ControllerConfig(value, portFile, heartbeatTimeout, heartbeatInterval,
                agentCallTimeout, watchRetries, watchRetryBackoff, shutdownTimeout);
    }

    public ControllerConfig withPortFile(Optional<Path> value) {
        return new ControllerConfig(listen, value, heartbeatTimeout, heartbeatInterval,
                agentCallTimeout, watchRetries, watchRetryBackoff, shutdownTimeout);
    }

    public ControllerConfig withHeartbeatTimeout(Duration value) {
        return new ControllerConfig(listen, portFile, value, heartbeatInterval,
                agentCallTimeout, watchRetries, watchRetryBackoff, shutdownTimeout);
    }

    public ControllerConfig withWatchRetries(int retries, Duration backoff) {
        return new ControllerConfig(listen, portFile, heartbeatTimeout, heartbeatInterval,
                agentCallTimeout, retries, backoff, shutdownTimeout);
    }

    /** Key/value view for the start-up log line. */
    public Map<String, Object> describe() {
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("listen", listen);
        values.put("port-file", portFile.map(Path::toString).orElse("-"));
        values.put("heartbeat-timeout", heartbeatTimeout);
        values.put("heartbeat-interval", heartbeatInterval);
        values.put("agent-call-timeout", agentCallTimeout);
        values.put("watch-retries", watchRetries);
        values.put("watch-retry-backoff", watchRetryBackoff);
        values.put("shutdown-timeout", shutdownTimeout);
        return values;
    }
}
