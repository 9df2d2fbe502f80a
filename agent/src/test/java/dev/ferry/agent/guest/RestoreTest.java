package dev.ferry.agent.guest;

import static dev.ferry.agent.guest.TestGuests.MIB;
import static dev.ferry.agent.guest.TestGuests.PAUSE_TIMEOUT;
import static dev.ferry.agent.guest.TestGuests.copyOf;
import static dev.ferry.agent.guest.TestGuests.dirtier;
import static dev.ferry.agent.guest.TestGuests.eventually;
import static dev.ferry.agent.guest.TestGuests.register;
import static dev.ferry.agent.guest.TestGuests.registerSum;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.common.memory.GuestMemory;
import dev.ferry.common.memory.PageDigest;
import dev.ferry.proto.v1.DirtyPattern;
import dev.ferry.proto.v1.GuestSpec;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class RestoreTest {
    @Test
    @Timeout(10)
    void restoredGuestContinuesWhereTheSourceStopped() throws Exception {
        GuestSpec spec = dirtier("mig", 8 * MIB, 2, DirtyPattern.SEQUENTIAL, 0, 8 * MIB);
        List<byte[]> states;
        GuestMemory received;
        try (Guest source = Guest.create(spec)) {
            source.start();
            assertTrue(eventually(Duration.ofSeconds(2), () -> source.steps() > 50));
            source.pause(PAUSE_TIMEOUT);
            states = source.cpuStates();
            received = copyOf(source.memory());
            assertEquals(PageDigest.of(source.memory().segment()), PageDigest.of(received.segment()));
        }
        try (Guest destination = Guest.restore(spec, received, states)) {
            assertEquals(0, destination.steps());
            assertArrayEquals(states.get(1), destination.cpuStates().get(1), "not started: states as received");
            destination.start();
            assertTrue(eventually(Duration.ofSeconds(2), () -> destination.steps() > 20));
            destination.pause(PAUSE_TIMEOUT);
            List<byte[]> after = destination.cpuStates();
            assertEquals(registerSum(states, Dirtier.SEQ) + destination.steps(), registerSum(after, Dirtier.SEQ),
                    "write sequence continues from the source's");
            for (int vcpu = 0; vcpu < 2; vcpu++) {
                long ran = register(after.get(vcpu), Dirtier.SEQ) - register(states.get(vcpu), Dirtier.SEQ);
                long pages = received.pageCount();
                assertEquals((register(states.get(vcpu), Dirtier.CURSOR) + ran) % pages,
                        register(after.get(vcpu), Dirtier.CURSOR), "cursor of vCPU " + vcpu + " moved on");
            }
        }
    }

    @Test
    @Timeout(5)
    void restoreRejectsStatesThatDoNotFit() {
        GuestSpec spec = dirtier("bad", 4 * MIB, 2, DirtyPattern.UNIFORM, 0, 0);
        try (GuestMemory memory = GuestMemory.allocate(4 * MIB); GuestMemory small = GuestMemory.allocate(MIB)) {
            byte[] ok = new byte[32];
            var count = assertThrows(IllegalArgumentException.class, () -> Guest.restore(spec, memory, List.of(ok)));
            assertTrue(count.getMessage().contains("2 vCPUs but 1 CPU states"), count.getMessage());
            var size = assertThrows(IllegalArgumentException.class,
                    () -> Guest.restore(spec, memory, List.of(ok, new byte[31])));
            assertTrue(size.getMessage().contains("must be 32 bytes"), size.getMessage());
            var mem = assertThrows(IllegalArgumentException.class, () -> Guest.restore(spec, small, List.of(ok, ok)));
            assertTrue(mem.getMessage().contains("received memory is 1048576 bytes"), mem.getMessage());
        }
    }
}
