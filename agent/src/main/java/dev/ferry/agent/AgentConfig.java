package dev.ferry.agent;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Everything an agent is started with.
 *
 * @param name            this host's name in the cluster
 * @param listen          gRPC address (port 0 = any free port)
 * @param dataListen      page-stream address (port 0 = any free port)
 * @param netListen       virtual-switch port for clients and peers (port 0 = any free port)
 * @param advertiseHost   the address peers and the controller use to reach this host
 * @param controller      the controller's host:port, or null to run standalone
 * @param capacityBytes   memory this host may give to guests and reservations
 * @param storage         the shared mount guest disks live on, or null (guests get no disk)
 * @param portFile        where to write the bound gRPC address once listening, or null
 * @param heartbeat       how often to report to the controller
 * @param reservationTimeout how long a prepared migration waits for its source
 */
public record AgentConfig(String name, InetSocketAddress listen, InetSocketAddress dataListen,
                          InetSocketAddress netListen, String advertiseHost, String controller, long capacityBytes,
                          Path storage, Path portFile, Duration heartbeat, Duration reservationTimeout) {

    public static AgentConfig loopback(String name, String controller) {
        InetSocketAddress any = new InetSocketAddress("127.0.0.1", 0);
        return new AgentConfig(name, any, any, any, "127.0.0.1", controller, 8L << 30, null, null,
                Duration.ofMillis(200), Duration.ofSeconds(60));
    }

    public AgentConfig withHeartbeat(Duration interval) {
        return new AgentConfig(name, listen, dataListen, netListen, advertiseHost, controller, capacityBytes, storage,
                portFile, interval, reservationTimeout);
    }

    public AgentConfig withCapacity(long bytes) {
        return new AgentConfig(name, listen, dataListen, netListen, advertiseHost, controller, bytes, storage,
                portFile, heartbeat, reservationTimeout);
    }

    public AgentConfig withStorage(Path mount) {
        return new AgentConfig(name, listen, dataListen, netListen, advertiseHost, controller, capacityBytes, mount,
                portFile, heartbeat, reservationTimeout);
    }
}
