package dev.ferry.agent;

import dev.ferry.common.config.HostPort;
import dev.ferry.common.config.PortFile;
import dev.ferry.common.units.ByteSizes;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ferry-agent}: the per-host daemon. Runs until SIGTERM/SIGINT, then shuts down in order. */
@Command(name = "ferry-agent", mixinStandardHelpOptions = true,
        description = "Runs a Ferry agent: holds guests in memory and migrates them to and from peer agents.")
public final class AgentMain implements Callable<Integer> {
    @Option(names = "--name", description = "This host's name in the cluster (default: the machine's host name).")
    String name;

    @Option(names = "--listen", defaultValue = "0.0.0.0:7701", description = "gRPC address, HOST:PORT (port 0 = any free port). Default: ${DEFAULT-VALUE}")
    String listen;

    @Option(names = "--data-listen", defaultValue = "0.0.0.0:7702", description = "Page-stream address for incoming migrations. Default: ${DEFAULT-VALUE}")
    String dataListen;

    @Option(names = "--net-listen", defaultValue = "0.0.0.0:7703", description = "Virtual-switch port: clients attach here to reach any guest, peers forward frames. Default: ${DEFAULT-VALUE}")
    String netListen;

    @Option(names = "--storage", description = "The shared mount guest disks live on (NFS, CIFS, iSCSI; the same path on every agent). Without it guests get no disk and the kv program is unavailable.")
    Path storage;

    @Option(names = "--advertise", description = "Address the controller and peers use to reach this host (default: the --listen host, or the host name if that is 0.0.0.0).")
    String advertise;

    @Option(names = "--controller", description = "The controller, HOST:PORT (default: $FERRY_CONTROLLER; none = standalone).")
    String controller;

    @Option(names = "--memory-capacity", description = "Memory for guests, e.g. 16g (default: 80% of physical memory).")
    String capacity;

    @Option(names = "--port-file", description = "Write the bound gRPC address HOST:PORT to this file once listening.")
    Path portFile;

    @Option(names = "--heartbeat", defaultValue = "1000", description = "Heartbeat interval to the controller in ms. Default: ${DEFAULT-VALUE}")
    long heartbeatMillis;

    public static void main(String[] args) {
        System.exit(new CommandLine(new AgentMain()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        AgentConfig config = config();
        Agent agent = Agent.start(config);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            agent.close();
            stopped.countDown();
        }, "shutdown"));
        if (portFile != null) {
            PortFile.write(portFile, agent.grpcAddress());
        }
        stopped.await();
        return 0;
    }

    private AgentConfig config() throws IOException {
        InetSocketAddress grpc = address(listen, "--listen");
        String host = name != null ? name : java.net.InetAddress.getLocalHost().getHostName();
        String advertised = advertise != null ? advertise
                : grpc.getAddress().isAnyLocalAddress() ? java.net.InetAddress.getLocalHost().getHostName() : grpc.getHostString();
        String ctrl = controller != null ? controller : System.getenv("FERRY_CONTROLLER");
        long bytes = capacity != null ? ByteSizes.parse(capacity) : defaultCapacity();
        return new AgentConfig(host, grpc, address(dataListen, "--data-listen"), address(netListen, "--net-listen"),
                advertised, ctrl, bytes, storage, portFile, Duration.ofMillis(heartbeatMillis), Duration.ofSeconds(60));
    }

    private static long defaultCapacity() {
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        return os.getTotalMemorySize() / 5 * 4 / 4096 * 4096;
    }

    static InetSocketAddress address(String text, String option) {
        try {
            return HostPort.parse(text).toSocketAddress();
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(new CommandLine(new AgentMain()),
                    option + ": " + e.getMessage() + " (HOST:PORT, port 0-65535; 0 = any free port)");
        }
    }
}
