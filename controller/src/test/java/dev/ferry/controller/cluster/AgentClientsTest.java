package dev.ferry.controller.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class AgentClientsTest {

    private final List<ManagedChannel> opened = new ArrayList<>();
    private final AgentClients clients = new AgentClients(address -> {
        ManagedChannel channel = InProcessChannelBuilder.forName(address).directExecutor().build();
        opened.add(channel);
        return channel;
    }, Duration.ofSeconds(5));

    @AfterEach
    void close() {
        clients.close();
    }

    @Test
    void reRegistrationAtTheSameAddressKeepsTheChannel() {
        clients.connect("host-a", "agent-a");
        clients.connect("host-a", "agent-a");

        assertEquals(1, opened.size());
        assertSame(opened.getFirst(), clients.find("host-a").orElseThrow().channel());
    }

    @Test
    void aNewAddressReplacesAndClosesTheOldChannel() {
        clients.connect("host-a", "agent-a");
        clients.connect("host-a", "agent-a2");

        assertTrue(opened.getFirst().isShutdown());
        assertFalse(opened.get(1).isShutdown());
        assertEquals("agent-a2", clients.find("host-a").orElseThrow().address());
    }

    @Test
    void closeShutsEveryChannel() {
        clients.connect("host-a", "agent-a");
        clients.connect("host-b", "agent-b");
        clients.close();

        assertTrue(opened.stream().allMatch(ManagedChannel::isTerminated));
        assertTrue(clients.find("host-a").isEmpty());
    }
}
