package dev.ferry.agent.network;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.common.net.Frame;
import dev.ferry.common.net.MacAddress;
import dev.ferry.proto.v1.GuestLocation;
import dev.ferry.proto.v1.NoticeCode;
import dev.ferry.proto.v1.SwitchMessage;
import dev.ferry.proto.v1.VnicState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class VirtualSwitchTest {
    private static final MacAddress GUEST = MacAddress.parse("02:00:00:00:00:01");

    private final FakeNetwork network = new FakeNetwork();
    private final VirtualSwitch a = network.add("a");
    private final VirtualSwitch b = network.add("b");
    private final VirtualSwitch c = network.add("c");

    @AfterEach
    void close() {
        network.close();
    }

    /** A client attached to {@code vswitch}, talking to the guest named "kv". */
    private FakeNetwork.ClientEnd attach(VirtualSwitch vswitch, ClientPort[] port) throws Exception {
        FakeNetwork.ClientEnd end = new FakeNetwork.ClientEnd();
        port[0] = new ClientPort(end);
        vswitch.attach(port[0], "kv");
        SwitchMessage attached = end.next();
        assertTrue(attached.hasAttached(), () -> "expected Attached, got " + attached);
        assertEquals(GUEST.toString(), attached.getAttached().getGuestMac());
        return end;
    }

    private static byte[] bytes(String text) {
        return text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    private static List<String> drain(VirtualNic nic) {
        List<String> out = new ArrayList<>();
        for (Frame f = nic.receive(); f != null; f = nic.receive()) {
            out.add(new String(f.payload(), java.nio.charset.StandardCharsets.UTF_8));
        }
        return out;
    }

    @Test
    void aClientOnAnyHostReachesTheGuestAndGetsItsReplies() throws Exception {
        VirtualNic nic = new VirtualNic(GUEST);
        b.plugIn("kv", nic, 1);
        network.settle();
        ClientPort[] port = new ClientPort[1];
        FakeNetwork.ClientEnd client = attach(a, port);

        a.fromClient(port[0], bytes("ping"));
        network.settle();
        Frame request = nic.receive();
        assertEquals("ping", new String(request.payload()));
        assertEquals(GUEST, request.destination());

        nic.transmit(new Frame(request.source(), GUEST, bytes("pong")));
        SwitchMessage reply = client.next();
        assertEquals("pong", reply.getPayload().toStringUtf8());
    }

    @Test
    void anAnnouncementUpdatesEveryTableAndAStaleReportDoesNot() throws Exception {
        b.plugIn("kv", new VirtualNic(GUEST), 1);
        network.settle();
        assertEquals("b", a.lookup(GUEST).get(5, TimeUnit.SECONDS).orElseThrow().getHost());

        VirtualNic moved = new VirtualNic(GUEST);
        b.handOff(GUEST, "c", 2);
        c.plugIn("kv", moved, 2);
        network.settle();
        for (VirtualSwitch s : List.of(a, b, c)) {
            GuestLocation location = s.lookup(GUEST).get(5, TimeUnit.SECONDS).orElseThrow();
            assertEquals("c", location.getHost(), "table on " + s.host());
            assertEquals(2, location.getEpoch());
        }
        // the controller's heartbeat answer may still say "b": an older epoch never wins
        a.learn(List.of(GuestLocation.newBuilder().setGuest("kv").setMac(GUEST.toString()).setHost("b").setEpoch(1).build()));
        network.settle();
        assertEquals("c", a.lookup(GUEST).get(5, TimeUnit.SECONDS).orElseThrow().getHost());
    }

    @Test
    void framesHeldDuringAMigrationGoToTheNewHostInOrderAndLateOnesFollow() throws Exception {
        VirtualNic source = new VirtualNic(GUEST);
        b.plugIn("kv", source, 1);
        network.settle();
        ClientPort[] port = new ClientPort[1];
        attach(a, port);
        a.fromClient(port[0], bytes("before"));
        network.settle();

        VnicState state = source.freeze(1);
        assertEquals(1, state.getRxCount(), "the frame not yet consumed travels in the device state");
        assertEquals(1, state.getEpoch());
        for (int i = 0; i < 3; i++) {
            a.fromClient(port[0], bytes("held-" + i));
        }
        network.settle();
        assertEquals(List.of("before"), drain(source), "held frames must not reach the paused source guest");

        VirtualNic destination = new VirtualNic(GUEST);
        destination.restore(state);
        c.plugIn("kv", destination, 2);
        b.handOff(GUEST, "c", 2);
        network.settle();
        a.fromClient(port[0], bytes("after"));
        network.settle();
        assertEquals(List.of("before", "held-0", "held-1", "held-2", "after"), drain(destination));
    }

    @Test
    void theNewHostsAnnouncementAloneHandsTheGuestOff() throws Exception {
        VirtualNic source = new VirtualNic(GUEST);
        b.plugIn("kv", source, 1);
        network.settle();
        ClientPort[] port = new ClientPort[1];
        attach(a, port);
        source.freeze(1);
        a.fromClient(port[0], bytes("held"));
        network.settle();

        VirtualNic destination = new VirtualNic(GUEST);
        c.plugIn("kv", destination, 2);  // announces; b never hears ACTIVE (no handOff call)
        network.settle();
        assertEquals(List.of("held"), drain(destination));
        assertEquals("c", b.lookup(GUEST).get(5, TimeUnit.SECONDS).orElseThrow().getHost());
    }

    @Test
    void framesPassedOnAtCommitWaitAtTheDestinationUntilItRunsTheGuest() throws Exception {
        VirtualNic source = new VirtualNic(GUEST);
        b.plugIn("kv", source, 1);
        c.expect(GUEST);
        network.settle();
        ClientPort[] port = new ClientPort[1];
        attach(a, port);
        a.fromClient(port[0], bytes("before"));
        network.settle();
        VnicState state = source.freeze(1);
        a.fromClient(port[0], bytes("held"));
        network.settle();

        b.forwardHeld(GUEST, "c");  // COMMIT has left
        a.fromClient(port[0], bytes("after commit"));  // a still routes to b, which passes it on
        network.settle();
        VirtualNic destination = new VirtualNic(GUEST);
        destination.restore(state);
        assertEquals(1, destination.received(), "nothing reaches the guest before it runs");

        c.plugIn("kv", destination, 2);
        b.handOff(GUEST, "c", 2);
        network.settle();
        assertEquals(List.of("before", "held", "after commit"), drain(destination));
    }

    @Test
    void whileTheDestinationPreparesItsOwnClientsStillReachTheRunningGuest() throws Exception {
        VirtualNic source = new VirtualNic(GUEST);
        b.plugIn("kv", source, 1);
        c.expect(GUEST);
        network.settle();
        ClientPort[] port = new ClientPort[1];
        attach(c, port);
        c.fromClient(port[0], bytes("from c"));
        network.settle();
        assertEquals(List.of("from c"), drain(source), "only frames the source passes on after COMMIT wait at c");
    }

    @Test
    void aDestinationThatGivesTheGuestUpReturnsTheFramesPassedOnAtCommit() throws Exception {
        VirtualNic source = new VirtualNic(GUEST);
        b.plugIn("kv", source, 1);
        c.expect(GUEST);
        network.settle();
        ClientPort[] port = new ClientPort[1];
        attach(a, port);
        source.freeze(1);
        a.fromClient(port[0], bytes("one"));
        network.settle();
        b.forwardHeld(GUEST, "c");
        a.fromClient(port[0], bytes("two"));
        network.settle();

        c.abandon(GUEST, "b");  // activation failed there: the frames come back, and stay until the rollback
        network.settle();
        assertNull(source.receive());
        b.thaw(GUEST);
        network.settle();
        assertEquals(List.of("one", "two"), drain(source));
    }

    @Test
    void aRollbackGivesTheHeldFramesBackToTheGuest() throws Exception {
        VirtualNic nic = new VirtualNic(GUEST);
        b.plugIn("kv", nic, 1);
        network.settle();
        ClientPort[] port = new ClientPort[1];
        attach(a, port);
        nic.freeze(1);
        a.fromClient(port[0], bytes("one"));
        a.fromClient(port[0], bytes("two"));
        network.settle();
        assertNull(nic.receive());
        b.thaw(GUEST);
        network.settle();
        assertEquals(List.of("one", "two"), drain(nic));
    }

    @Test
    void aFullHoldBufferRejectsWithANoticeToTheClient() throws Exception {
        VirtualNic source = new VirtualNic(GUEST);
        b.plugIn("kv", source, 1);
        network.settle();
        ClientPort[] port = new ClientPort[1];
        FakeNetwork.ClientEnd client = attach(a, port);
        source.freeze(1);
        for (int i = 0; i <= VirtualSwitch.HOLD_LIMIT; i++) {
            a.fromClient(port[0], bytes("f" + i));
        }
        network.settle();
        SwitchMessage notice = client.next();
        assertEquals(NoticeCode.QUEUE_FULL, notice.getNotice().getCode());
        assertTrue(notice.getNotice().getMessage().contains("being migrated"), notice.getNotice().getMessage());
        assertNull(client.received.poll(), "exactly one frame over the limit");
    }

    @Test
    void aFullReceiveQueueRejectsWithANotice() throws Exception {
        a.plugIn("kv", new VirtualNic(GUEST), 1);
        ClientPort[] port = new ClientPort[1];
        FakeNetwork.ClientEnd client = attach(a, port);
        for (int i = 0; i <= VirtualNic.QUEUE_LIMIT; i++) {
            a.fromClient(port[0], bytes("f" + i));
        }
        SwitchMessage notice = client.next();
        assertEquals(NoticeCode.QUEUE_FULL, notice.getNotice().getCode());
        assertTrue(notice.getNotice().getMessage().contains("receive queue is full"), notice.getNotice().getMessage());
    }

    @Test
    void attachingToAnUnknownGuestSaysSo() throws Exception {
        FakeNetwork.ClientEnd end = new FakeNetwork.ClientEnd();
        a.attach(new ClientPort(end), "nobody");
        SwitchMessage notice = end.next();
        assertEquals(NoticeCode.UNKNOWN_GUEST, notice.getNotice().getCode());
        assertTrue(notice.getNotice().getMessage().contains("nobody"));
    }

    @Test
    void tablesThatDisagreeDoNotLoopAFrame() throws Exception {
        // a believes b runs it, b believes a does: the frame bounces at most MAX_HOPS times
        a.learn(List.of(GuestLocation.newBuilder().setGuest("kv").setMac(GUEST.toString()).setHost("b").setEpoch(1).build()));
        b.learn(List.of(GuestLocation.newBuilder().setGuest("kv").setMac(GUEST.toString()).setHost("a").setEpoch(1).build()));
        network.settle();
        ClientPort[] port = new ClientPort[1];
        FakeNetwork.ClientEnd client = attach(a, port);
        a.fromClient(port[0], bytes("lost?"));
        network.settle();
        SwitchMessage notice = client.next();
        assertEquals(NoticeCode.NO_ROUTE, notice.getNotice().getCode());
    }

    @Test
    void framesTheGuestSentBeforeThePauseGoOutFromTheNewHost() throws Exception {
        VirtualNic source = new VirtualNic(GUEST);
        b.plugIn("kv", source, 1);
        network.settle();
        ClientPort[] port = new ClientPort[1];
        FakeNetwork.ClientEnd client = attach(a, port);
        a.fromClient(port[0], bytes("hello"));
        network.settle();
        MacAddress clientMac = source.receive().source();

        VnicState state = source.freeze(1);
        source.transmit(new Frame(clientMac, GUEST, bytes("late reply")));  // queued while frozen: stays in tx
        VnicState withTx = source.snapshot(1);
        assertEquals(0, state.getTxCount());
        assertEquals(1, withTx.getTxCount());
        network.settle();
        assertNull(client.received.poll(), "a frozen vNIC sends nothing");

        VirtualNic destination = new VirtualNic(GUEST);
        destination.restore(withTx);
        c.plugIn("kv", destination, 2);  // c never saw this client: it floods, a delivers
        assertArrayEquals(bytes("late reply"), client.next().getPayload().toByteArray());
    }

    @Test
    void aDestroyedGuestIsForgottenEverywhere() throws Exception {
        a.plugIn("kv", new VirtualNic(GUEST), 1);
        network.settle();
        assertEquals("a", c.lookup(GUEST).get(5, TimeUnit.SECONDS).orElseThrow().getHost());
        a.unplug(GUEST);
        network.settle();
        for (VirtualSwitch s : List.of(a, b, c)) {
            assertTrue(s.lookup(GUEST).get(5, TimeUnit.SECONDS).isEmpty(), "table on " + s.host());
        }
        FakeNetwork.ClientEnd end = new FakeNetwork.ClientEnd();
        b.attach(new ClientPort(end), "kv");
        assertEquals(NoticeCode.UNKNOWN_GUEST, end.next().getNotice().getCode(), "a client learns at once it is gone");

        // the controller's answer may still list it for a heartbeat: that must not bring it back
        b.learn(List.of(GuestLocation.newBuilder().setGuest("kv").setMac(GUEST.toString()).setHost("a").setEpoch(1).build()));
        network.settle();
        assertTrue(b.lookup(GUEST).get(5, TimeUnit.SECONDS).isEmpty());
        // created again with the same MAC: its host's announcement counts
        c.plugIn("kv", new VirtualNic(GUEST), 1);
        network.settle();
        assertEquals("c", b.lookup(GUEST).get(5, TimeUnit.SECONDS).orElseThrow().getHost());
    }

    @Test
    void aLateWithdrawalDoesNotForgetAGuestThatMovedOn() throws Exception {
        a.plugIn("kv", new VirtualNic(GUEST), 1);
        network.settle();
        a.handOff(GUEST, "b", 2);
        b.plugIn("kv", new VirtualNic(GUEST), 2);
        network.settle();
        c.fromPeer(dev.ferry.proto.v1.Announce.newBuilder().setWithdrawn(true).setLocation(GuestLocation.newBuilder()
                .setGuest("kv").setMac(GUEST.toString()).setHost("a").setEpoch(1)).build());
        network.settle();
        assertEquals("b", c.lookup(GUEST).get(5, TimeUnit.SECONDS).orElseThrow().getHost());
    }
}
