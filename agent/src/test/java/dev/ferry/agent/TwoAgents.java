package dev.ferry.agent;

import dev.ferry.agent.migration.MigrationTimeouts;
import dev.ferry.proto.v1.AgentDescribeGuestRequest;
import dev.ferry.proto.v1.AgentServiceGrpc;
import dev.ferry.proto.v1.AgentWatchMigrationRequest;
import dev.ferry.proto.v1.GuestInfo;
import dev.ferry.proto.v1.GuestSpec;
import dev.ferry.proto.v1.MigrateOutRequest;
import dev.ferry.proto.v1.MigrationOptions;
import dev.ferry.proto.v1.MigrationProgress;
import dev.ferry.proto.v1.PrepareIncomingRequest;
import dev.ferry.proto.v1.PrepareIncomingResponse;
import dev.ferry.proto.v1.ProgramSpec;
import dev.ferry.proto.v1.DirtierSpec;
import dev.ferry.proto.v1.DirtyPattern;
import dev.ferry.proto.v1.IdleSpec;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Agents started in this JVM on loopback, with gRPC clients to each; migrations driven the
 * way the controller drives them (prepare on the destination, migrate out on the source).
 */
public final class TwoAgents implements AutoCloseable {
    private final List<Agent> agents = new ArrayList<>();
    private final List<ManagedChannel> channels = new ArrayList<>();

    public TwoAgents(int count, MigrationTimeouts timeouts) {
        for (int i = 0; i < count; i++) {
            agents.add(Agent.start(AgentConfig.loopback("host-" + (char) ('a' + i), null), timeouts));
            channels.add(NettyChannelBuilder.forAddress("127.0.0.1", agents.get(i).grpcPort()).usePlaintext().build());
        }
    }

    public TwoAgents() {
        this(2, MigrationTimeouts.DEFAULT);
    }

    public Agent agent(int i) {
        return agents.get(i);
    }

    public AgentServiceGrpc.AgentServiceBlockingStub stub(int i) {
        return AgentServiceGrpc.newBlockingStub(channels.get(i)).withDeadlineAfter(60, TimeUnit.SECONDS);
    }

    public static GuestSpec dirtier(String name, long bytes, long rate, DirtyPattern pattern) {
        return GuestSpec.newBuilder().setName(name).setMemoryBytes(bytes).setVcpus(1)
                .setProgram(ProgramSpec.newBuilder().setDirtier(DirtierSpec.newBuilder()
                        .setRateBytesPerSecond(rate).setPattern(pattern))).build();
    }

    public static GuestSpec idleRandom(String name, long bytes) {
        return idle(name, bytes, true);
    }

    public static GuestSpec idle(String name, long bytes, boolean fillRandom) {
        return GuestSpec.newBuilder().setName(name).setMemoryBytes(bytes).setVcpus(1)
                .setProgram(ProgramSpec.newBuilder().setIdle(IdleSpec.newBuilder().setFillRandom(fillRandom))).build();
    }

    public GuestInfo describe(int agent, String guest, boolean digest) {
        return stub(agent).describeGuest(AgentDescribeGuestRequest.newBuilder().setName(guest).setWithDigest(digest).build());
    }

    /** Prepares on {@code to}, starts on {@code from}; returns the migration id. */
    public String startMigration(int from, int to, String guest, MigrationOptions options) {
        String id = "m-" + UUID.randomUUID().toString().substring(0, 8);
        GuestSpec spec = describe(from, guest, false).getSpec();
        PrepareIncomingResponse prepared = stub(to).prepareIncoming(PrepareIncomingRequest.newBuilder()
                .setMigrationId(id).setSpec(spec).setSourceHost(agent(from).name()).build());
        stub(from).migrateOut(MigrateOutRequest.newBuilder().setMigrationId(id).setGuest(guest)
                .setDestinationHost(agent(to).name()).setDataHost(prepared.getDataHost())
                .setDataPort(prepared.getDataPort()).setTicket(prepared.getTicket()).setOptions(options).build());
        return id;
    }

    /** Follows a migration's progress stream to its end; returns every update. */
    public List<MigrationProgress> watch(int source, String id, Duration timeout) {
        List<MigrationProgress> updates = new ArrayList<>();
        stream(source, id, timeout).forEachRemaining(updates::add);
        return updates;
    }

    /** The live progress stream of a migration, ending after its terminal status. */
    public Iterator<MigrationProgress> stream(int source, String id, Duration timeout) {
        return AgentServiceGrpc.newBlockingStub(channels.get(source))
                .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
                .watchMigration(AgentWatchMigrationRequest.newBuilder().setMigrationId(id).build());
    }

    public MigrationProgress migrate(int from, int to, String guest, MigrationOptions options) {
        return watch(from, startMigration(from, to, guest, options), Duration.ofSeconds(60)).getLast();
    }

    public void stop(int i) {
        agents.get(i).close();
    }

    @Override
    public void close() {
        for (ManagedChannel channel : channels) {
            channel.shutdownNow();
        }
        for (int i = agents.size() - 1; i >= 0; i--) {
            agents.get(i).close();
        }
    }
}
