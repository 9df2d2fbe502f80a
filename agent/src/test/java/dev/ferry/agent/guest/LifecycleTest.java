package dev.ferry.agent.guest;

import static dev.ferry.agent.guest.TestGuests.MIB;
import static dev.ferry.agent.guest.TestGuests.PAUSE_TIMEOUT;
import static dev.ferry.agent.guest.TestGuests.dirtier;
import static dev.ferry.agent.guest.TestGuests.eventually;
import static dev.ferry.agent.guest.TestGuests.idle;
import static dev.ferry.agent.guest.TestGuests.sleepMillis;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.common.memory.GuestMemory;
import dev.ferry.common.memory.PageDigest;
import dev.ferry.proto.v1.DirtyPattern;
import dev.ferry.proto.v1.GuestSpec;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class LifecycleTest {
    @Test
    @Timeout(10)
    void closeStopsEveryVcpuThreadAndFreesMemory() {
        Guest guest = Guest.create(dirtier("cl", 4 * MIB, 3, DirtyPattern.UNIFORM, 0, 0));
        guest.start();
        List<Thread> threads = guest.threads();
        assertEquals(List.of("vcpu-cl-0", "vcpu-cl-1", "vcpu-cl-2"), threads.stream().map(Thread::getName).toList());
        assertTrue(threads.stream().allMatch(t -> t.isAlive() && t.isDaemon()));
        guest.close();
        assertTrue(threads.stream().noneMatch(Thread::isAlive), "vCPU threads still alive after close");
        assertThrows(IllegalStateException.class, () -> guest.memory().readLong(0), "memory must be freed");
        assertFalse(guest.isRunning());
        guest.close();
        assertThrows(IllegalStateException.class, guest::start);
        assertThrows(IllegalStateException.class, guest::cpuStates);
    }

    @Test
    @Timeout(10)
    void closeWhilePausedAndNeverStarted() throws Exception {
        Guest paused = Guest.create(dirtier("cp", MIB, 2, DirtyPattern.UNIFORM, 0, MIB));
        paused.start();
        paused.pause(PAUSE_TIMEOUT);
        paused.close();
        assertTrue(paused.threads().stream().noneMatch(Thread::isAlive));
        Guest never = Guest.create(dirtier("cn", MIB, 1, DirtyPattern.UNIFORM, 0, 0));
        never.close();
        never.close();
    }

    @Test
    @Timeout(10)
    void aFailingStepStopsTheGuestAndIsReported() throws Exception {
        GuestSpec spec = dirtier("boom", MIB, 2, DirtyPattern.UNIFORM, 0, 0);
        Program failing = new Program() {
            @Override
            public void step(GuestMemory memory, CpuState cpu) {
                if (cpu.get(0) == 1 && memory.readLong(0) == 0) {
                    throw new IllegalStateException("simulated guest fault");
                }
                LockSupport.parkNanos(100_000); // don't spin
            }

            @Override
            public int cpuStateLongs() {
                return 1;
            }

            @Override
            public void initCpu(CpuState cpu, int vcpu, int vcpus) {
                cpu.set(0, vcpu);
            }
        };
        GuestMemory memory = GuestMemory.allocate(MIB);
        List<CpuState> states = List.of(new CpuState(1), new CpuState(1));
        failing.initCpu(states.get(1), 1, 2);
        try (Guest guest = new Guest(spec, memory, failing, states)) {
            guest.start();
            assertTrue(eventually(Duration.ofSeconds(2), () -> guest.failure().isPresent()));
            assertEquals("simulated guest fault", guest.failure().orElseThrow().getMessage());
            assertFalse(guest.isRunning());
            assertTrue(eventually(Duration.ofSeconds(2),
                    () -> guest.threads().stream().noneMatch(Thread::isAlive)), "the whole guest stops");
            guest.pause(PAUSE_TIMEOUT);
            assertEquals(2, guest.cpuStates().size());
        }
    }

    @Test
    @Timeout(10)
    void idleGuestWithRandomFillNeverWrites() throws Exception {
        try (Guest guest = Guest.create(idle("idle", 8 * MIB, true))) {
            GuestMemory memory = guest.memory();
            assertEquals(memory.pageCount(), memory.dirtyBitmap().dirtyPages(),
                    "the fill is untracked, so it marks every page for the first migration");
            memory.dirtyBitmap().clearAll();
            long nonZero = 0;
            for (long offset = 0; offset < memory.byteSize(); offset += GuestMemory.PAGE_SIZE) {
                nonZero += memory.readLong(offset) != 0 ? 1 : 0;
            }
            assertEquals(memory.pageCount(), nonZero, "every page filled");
            long digest = PageDigest.of(memory.segment());
            guest.start();
            assertTrue(eventually(Duration.ofSeconds(2), () -> guest.steps() > 20));
            sleepMillis(100);
            // ~1 ms naps: a busy loop would have run millions of steps by now
            assertTrue(guest.steps() < 1_000, "idle steps: " + guest.steps());
            guest.pause(PAUSE_TIMEOUT);
            assertEquals(digest, PageDigest.of(memory.segment()));
            assertEquals(0, memory.dirtyBitmap().dirtyPages());
        }
    }

    @Test
    @Timeout(5)
    void idleWithoutFillStartsZeroed() {
        try (Guest guest = Guest.create(idle("zero", MIB, false))) {
            assertEquals(PageDigest.ofZeroMemory(256).value(), PageDigest.of(guest.memory().segment()));
        }
    }
}
