package dev.ferry.bench;

import dev.ferry.bench.scenario.KvBlackoutScenario;
import dev.ferry.common.config.HostPort;
import dev.ferry.proto.v1.GuestSpec;
import dev.ferry.proto.v1.MigrationOptions;
import dev.ferry.proto.v1.MigrationProgress;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The daemons of a bench run: a controller and two agents registered with it, sharing one
 * storage directory. Every guest is created on the first agent and migrated to the second
 * (and, in {@code kv-blackout}, back). The bench drives the agents directly, as the controller would.
 */
final class BenchHosts implements KvBlackoutScenario.Hosts, AutoCloseable {
    private static final Duration REGISTRATION_LIMIT = Duration.ofSeconds(60);

    /** In the order they started: the controller, then the agents. */
    private final List<AutoCloseable> daemons;
    private final AgentProcess a;
    private final AgentProcess b;
    private final List<HostPort> switchPorts;

    private BenchHosts(List<AutoCloseable> daemons, AgentProcess a, AgentProcess b, List<HostPort> switchPorts) {
        this.daemons = daemons;
        this.a = a;
        this.b = b;
        this.switchPorts = switchPorts;
    }

    static BenchHosts start(Path java, Path agentJar, Path controllerJar, Path dir) throws Exception {
        List<AutoCloseable> daemons = new ArrayList<>();
        try {
            ControllerProcess controller = started(daemons, ControllerProcess.start(java, controllerJar, dir));
            AgentProcess.Cluster cluster = new AgentProcess.Cluster(java, agentJar, dir, controller.address(),
                    Files.createDirectories(dir.resolve("shared")), "10g");
            AgentProcess a = started(daemons, AgentProcess.start("bench-a", cluster));
            AgentProcess b = started(daemons, AgentProcess.start("bench-b", cluster));
            List<HostPort> switchPorts = controller.awaitHosts(List.of(a.name(), b.name()), REGISTRATION_LIMIT);
            return new BenchHosts(daemons, a, b, switchPorts);
        } catch (Exception e) {
            closeAll(daemons);
            throw e;
        }
    }

    private static <T extends AutoCloseable> T started(List<AutoCloseable> daemons, T daemon) {
        daemons.add(daemon);
        return daemon;
    }

    @Override
    public void create(GuestSpec spec) {
        a.stub().createGuest(spec);
    }

    @Override
    public MigrationProgress migrate(GuestSpec spec, MigrationOptions options) {
        return Migrations.run(a, b, spec, options);
    }

    @Override
    public MigrationProgress migrateBack(GuestSpec spec, MigrationOptions options) {
        return Migrations.run(b, a, spec, options);
    }

    @Override
    public List<HostPort> switchPorts() {
        return switchPorts;
    }

    @Override
    public void destroyEverywhere(String guest) {
        for (AgentProcess host : new AgentProcess[] {a, b}) {
            try {
                Migrations.destroy(host, guest);
            } catch (StatusRuntimeException e) {
                // not on that host
            }
        }
    }

    @Override
    public void close() {
        closeAll(daemons);
    }

    /** In reverse order of starting; each close is bounded, and one failing does not keep the others running. */
    private static void closeAll(List<AutoCloseable> daemons) {
        for (AutoCloseable daemon : daemons.reversed()) {
            try {
                daemon.close();
            } catch (Exception e) {
                System.err.println("bench: stopping a daemon failed: " + e);
            }
        }
    }
}
