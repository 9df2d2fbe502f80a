package dev.ferry.agent.guest;

import static dev.ferry.agent.guest.TestGuests.MIB;
import static dev.ferry.agent.guest.TestGuests.PAUSE_TIMEOUT;
import static dev.ferry.agent.guest.TestGuests.dirtier;
import static dev.ferry.agent.guest.TestGuests.harvest;
import static dev.ferry.agent.guest.TestGuests.sleepMillis;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.common.memory.GuestMemory;
import dev.ferry.proto.v1.DirtyPattern;
import java.util.BitSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class DirtierTest {
    private static final int PAGES = 4096; // 16 MiB guests

    @Test
    @Timeout(10)
    void writesOnlyInsideTheWorkingSet() throws Exception {
        try (Guest guest = Guest.create(dirtier("ws", 16 * MIB, 2, DirtyPattern.UNIFORM, 4 * MIB, 0))) {
            guest.start();
            sleepMillis(300);
            guest.pause(PAUSE_TIMEOUT);
            BitSet dirty = harvest(guest.memory());
            assertTrue(dirty.cardinality() > 100, "expected many dirty pages, got " + dirty.cardinality());
            assertEquals(1024, dirty.length(), "highest dirty page + 1 should be the working set's end");
        }
    }

    @Test
    @Timeout(10)
    void hotsetConcentratesWritesInTheFirstTenthOfTheWorkingSet() throws Exception {
        int hot = PAGES / 10;
        long inHot = 0;
        long total = 0;
        try (Guest guest = Guest.create(dirtier("hot", 16 * MIB, 1, DirtyPattern.HOTSET, 0, 16 * MIB))) {
            guest.start();
            for (int round = 0; round < 60; round++) {
                sleepMillis(5);
                BitSet dirty = harvest(guest.memory());
                inHot += dirty.get(0, hot).cardinality();
                total += dirty.cardinality();
            }
        }
        assertTrue(total > 500, "expected writes, got " + total);
        // 91% of writes land in the hot set; a few collide within a harvest
        assertTrue(inHot > 0.8 * total, inHot + " of " + total + " dirty harvests in the hot set");
        assertTrue(inHot < total, "some writes go outside the hot set");
    }

    @Test
    @Timeout(10)
    void sequentialMarksConsecutivePagesFromTheStart() throws Exception {
        try (Guest guest = Guest.create(dirtier("seq", 16 * MIB, 1, DirtyPattern.SEQUENTIAL, 0, 4 * MIB))) {
            guest.start();
            sleepMillis(300);
            guest.pause(PAUSE_TIMEOUT);
            BitSet dirty = harvest(guest.memory());
            assertTrue(dirty.cardinality() > 50, "dirty pages: " + dirty.cardinality());
            assertEquals(dirty.cardinality(), dirty.length(), "dirty pages must be exactly 0.." + dirty.length());
        }
    }

    @Test
    @Timeout(10)
    void sequentialVcpusStartSpreadOverTheWorkingSet() throws Exception {
        try (Guest guest = Guest.create(dirtier("seq2", 16 * MIB, 2, DirtyPattern.SEQUENTIAL, 0, 8 * MIB))) {
            guest.start();
            sleepMillis(300);
            guest.pause(PAUSE_TIMEOUT);
            BitSet dirty = harvest(guest.memory());
            int firstRun = dirty.nextClearBit(0);
            int secondRun = dirty.nextClearBit(PAGES / 2) - PAGES / 2;
            assertTrue(firstRun > 50 && secondRun > 50, "runs of " + firstRun + " and " + secondRun);
            assertEquals(firstRun + secondRun, dirty.cardinality(), "only the two runs are dirty");
        }
    }

    @Test
    @Timeout(5)
    void everyWriteChangesThePageAndSequentialWraps() {
        Dirtier dirtier = new Dirtier(DirtyPattern.SEQUENTIAL, 3, 0);
        CpuState cpu = new CpuState(dirtier.cpuStateLongs());
        dirtier.initCpu(cpu, 0, 1);
        try (GuestMemory memory = GuestMemory.allocate(4 * GuestMemory.PAGE_SIZE)) {
            dirtier.step(memory, cpu);
            long first = memory.readLong(8);
            for (int i = 0; i < 3; i++) {
                dirtier.step(memory, cpu);
            }
            assertNotEquals(first, memory.readLong(8), "page 0 rewritten with new contents");
            assertEquals(0, memory.readLong(3L * GuestMemory.PAGE_SIZE + 8), "page 3 is outside the working set");
            assertEquals(4, cpu.get(Dirtier.SEQ));
            assertEquals(1, cpu.get(Dirtier.CURSOR));
        }
    }

    @Test
    @Timeout(5)
    void vcpusGetDifferentRandomStreams() {
        Dirtier dirtier = new Dirtier(DirtyPattern.UNIFORM, PAGES, 0);
        CpuState a = new CpuState(dirtier.cpuStateLongs());
        CpuState b = new CpuState(dirtier.cpuStateLongs());
        dirtier.initCpu(a, 0, 2);
        dirtier.initCpu(b, 1, 2);
        assertNotEquals(a.get(Dirtier.RNG), b.get(Dirtier.RNG));
        assertNotEquals(0, a.get(Dirtier.RNG));
    }
}
