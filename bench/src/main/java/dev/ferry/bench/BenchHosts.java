package dev.ferry.bench;

import dev.ferry.bench.scenario.MigrationScenario;
import dev.ferry.proto.v1.GuestSpec;
import dev.ferry.proto.v1.MigrationOptions;
import dev.ferry.proto.v1.MigrationProgress;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;

/** The two agents of a bench run; every guest is created on the first and migrated to the second. */
final class BenchHosts implements MigrationScenario.Hosts, AutoCloseable {
    private final AgentProcess a;
    private final AgentProcess b;

    private BenchHosts(AgentProcess a, AgentProcess b) {
        this.a = a;
        this.b = b;
    }

    static BenchHosts start(Path java, Path agentJar, Path dir) throws Exception {
        AgentProcess a = AgentProcess.start("bench-a", java, agentJar, dir, "10g");
        try {
            return new BenchHosts(a, AgentProcess.start("bench-b", java, agentJar, dir, "10g"));
        } catch (Exception e) {
            a.close();
            throw e;
        }
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
    public void close() throws InterruptedException {
        b.close();
        a.close();
    }
}
