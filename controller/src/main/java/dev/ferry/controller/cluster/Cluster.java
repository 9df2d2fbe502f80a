package dev.ferry.controller.cluster;

import dev.ferry.controller.cluster.AgentClients.Agent;
import dev.ferry.proto.v1.AgentDestroyGuestRequest;
import dev.ferry.proto.v1.CreateGuestRequest;
import dev.ferry.proto.v1.GuestInfo;
import dev.ferry.proto.v1.HeartbeatRequest;
import dev.ferry.proto.v1.HeartbeatResponse;
import dev.ferry.proto.v1.SwitchPeer;
import dev.ferry.common.net.MacAddress;
import java.security.SecureRandom;
import dev.ferry.proto.v1.HostHealth;
import dev.ferry.proto.v1.HostInfo;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster as the controller sees it: hosts, their agents, and the guests they run.
 * Requests that need an agent run on the injected executor and return futures, so gRPC
 * threads never wait on another host.
 */
public final class Cluster {

    private static final Logger LOG = LoggerFactory.getLogger(Cluster.class);

    private final HostRegistry hosts;
    private final GuestDirectory guests;
    private final AgentClients agents;
    private final Executor agentCalls;
    private final Duration callTimeout;
    private final SecureRandom random = new SecureRandom();

    public Cluster(HostRegistry hosts, GuestDirectory guests, AgentClients agents, Executor agentCalls,
            Duration callTimeout) {
        this.hosts = hosts;
        this.guests = guests;
        this.agents = agents;
        this.agentCalls = agentCalls;
        this.callTimeout = callTimeout;
    }

    public void register(HostInfo host) {
        if (host.getName().isBlank() || host.getGrpcAddress().isBlank()) {
            throw RequestRejectedException.invalid("a host registers with a name and a grpc_address");
        }
        agents.connect(host.getName(), host.getGrpcAddress());
        boolean known = hosts.register(host).isPresent();
        LOG.info("host {}: {} at {}, capacity {} bytes", host.getName(), known ? "re-registered" : "registered",
                host.getGrpcAddress(), host.getMemoryCapacityBytes());
    }

    /** Records what an agent reports; false if the host must register first. */
    public boolean heartbeat(HeartbeatRequest report) {
        if (!hosts.heartbeat(report.getHost(), report.getMemoryUsedBytes(), report.getGuestsCount())) {
            return false;
        }
        guests.replaceHost(report.getHost(), report.getGuestsList());
        return true;
    }

    public List<HostInfo> hosts() {
        return hosts.hosts();
    }

    public List<GuestInfo> guests() {
        return guests.guests();
    }

    public HostInfo host(String name) {
        return hosts.find(name).orElseThrow(() -> RequestRejectedException.notFound(
                "no host named '" + name + "'; known hosts: " + known(hosts.names())));
    }

    /** A host that answers heartbeats; migrations and creates only go to such hosts. */
    public HostInfo healthyHost(String name) {
        HostInfo host = host(name);
        if (host.getHealth() != HostHealth.HOST_HEALTHY) {
            throw RequestRejectedException.precondition("host " + name + " is unreachable (last heartbeat "
                    + hosts.heartbeatAge(host).toMillis() + " ms ago)");
        }
        return host;
    }

    public GuestInfo guest(String name) {
        return guests.find(name).orElseThrow(() -> RequestRejectedException.notFound(
                "no guest named '" + name + "'; known guests: " + known(guests.guests().stream().map(g -> g.getSpec().getName()).toList())));
    }

    public Agent agent(String host) {
        return agents.find(host).orElseThrow(() -> RequestRejectedException.notFound("no agent known for host " + host));
    }

    /** A completed migration moves the guest before the next heartbeat says so. */
    public void guestMoved(String name, String from, String to) {
        guests.move(name, from, to);
    }

    public CompletableFuture<GuestInfo> createGuest(CreateGuestRequest request) {
        GuestSpecs.validate(request.getSpec());
        Agent agent = agent(healthyHost(request.getHost()).getName());
        String name = request.getSpec().getName();
        String mac = request.getSpec().getMac().isEmpty() ? null : MacAddress.parse(request.getSpec().getMac()).toString();
        if (mac != null && guests.macInUse(mac)) {
            throw RequestRejectedException.alreadyExists("MAC " + mac + " is already used by another guest in the cluster");
        }
        if (!guests.claim(name)) {
            throw RequestRejectedException.alreadyExists("a guest named '" + name + "' already exists in the cluster");
        }
        String claimed = mac != null ? mac : uniqueMac();
        if (!guests.claimMac(claimed)) {
            guests.release(name);
            throw RequestRejectedException.alreadyExists("MAC " + claimed + " is being given to another guest right now");
        }
        CreateGuestRequest withMac = request.toBuilder().setSpec(request.getSpec().toBuilder().setMac(claimed)).build();
        return CompletableFuture.supplyAsync(() -> createOn(agent, withMac), agentCalls)
                .whenComplete((guest, error) -> {
                    guests.release(name);
                    guests.releaseMac(claimed);
                });
    }

    /** A random locally administered MAC no guest in the cluster has (40 random bits: a retry is rare). */
    private String uniqueMac() {
        for (int attempt = 0; attempt < 100; attempt++) {
            String mac = MacAddress.random(random).toString();
            if (!guests.macInUse(mac)) {
                return mac;
            }
        }
        throw new IllegalStateException("no free MAC address found in 100 attempts");
    }

    /** What an agent's switch needs: the other hosts' switch ports and where every guest runs. */
    public HeartbeatResponse.Builder switchView(String host) {
        HeartbeatResponse.Builder view = HeartbeatResponse.newBuilder();
        for (HostInfo other : hosts.hosts()) {
            if (!other.getName().equals(host) && !other.getNetAddress().isEmpty()) {
                view.addPeers(SwitchPeer.newBuilder().setHost(other.getName()).setNetAddress(other.getNetAddress()));
            }
        }
        return view.addAllLocations(guests.locations());
    }

    public CompletableFuture<Void> destroyGuest(String name) {
        return destroyGuest(name, false);
    }

    public CompletableFuture<Void> destroyGuest(String name, boolean keepDisk) {
        GuestInfo guest = guest(name);
        Agent agent = agent(guest.getHost());
        return CompletableFuture.runAsync(() -> destroyOn(agent, name, keepDisk), agentCalls);
    }

    private GuestInfo createOn(Agent agent, CreateGuestRequest request) {
        GuestInfo created = agent.call(callTimeout, stub -> stub.createGuest(request.getSpec()));
        GuestInfo placed = created.toBuilder().setHost(agent.host()).build();
        guests.put(placed);
        LOG.info("host {}: created guest {} ({} bytes)", agent.host(), request.getSpec().getName(),
                request.getSpec().getMemoryBytes());
        return placed;
    }

    private void destroyOn(Agent agent, String name, boolean keepDisk) {
        agent.call(callTimeout, stub -> stub.destroyGuest(AgentDestroyGuestRequest.newBuilder().setName(name)
                .setKeepDisk(keepDisk).build()));
        guests.remove(agent.host(), name);
        LOG.info("host {}: destroyed guest {}", agent.host(), name);
    }

    private static String known(List<String> names) {
        return names.isEmpty() ? "(none)" : String.join(", ", names);
    }
}
