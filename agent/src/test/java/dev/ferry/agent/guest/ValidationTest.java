package dev.ferry.agent.guest;

import static dev.ferry.agent.guest.TestGuests.MIB;
import static dev.ferry.agent.guest.TestGuests.dirtier;
import static dev.ferry.agent.guest.TestGuests.spec;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.proto.v1.DirtierSpec;
import dev.ferry.proto.v1.DirtyPattern;
import dev.ferry.proto.v1.GuestSpec;
import dev.ferry.proto.v1.ProgramSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class ValidationTest {
    @Test
    @Timeout(5)
    void unsetProgramListsTheChoices() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> Programs.create(ProgramSpec.getDefaultInstance(), MIB, GuestDevices.NONE));
        assertTrue(e.getMessage().contains("dirtier, idle"), e.getMessage());
    }

    @Test
    @Timeout(5)
    void workingSetLargerThanMemoryIsRejected() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> Guest.create(dirtier("ws", MIB, 1, DirtyPattern.UNIFORM, 2 * MIB, 0)));
        assertTrue(e.getMessage().contains("working_set_bytes") && e.getMessage().contains("2097152"), e.getMessage());
    }

    @Test
    @Timeout(5)
    void negativeRateIsRejected() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> Guest.create(dirtier("rate", MIB, 1, DirtyPattern.UNIFORM, 0, -1)));
        assertTrue(e.getMessage().contains("rate_bytes_per_second must be >= 0"), e.getMessage());
    }

    @Test
    @Timeout(5)
    void unknownPatternIsRejected() {
        ProgramSpec program = ProgramSpec.newBuilder()
                .setDirtier(DirtierSpec.newBuilder().setPatternValue(42)).build();
        var e = assertThrows(IllegalArgumentException.class, () -> Programs.create(program, MIB, GuestDevices.NONE));
        assertTrue(e.getMessage().contains("UNIFORM, HOTSET, SEQUENTIAL"), e.getMessage());
    }

    @Test
    @Timeout(5)
    void badMemoryAndVcpuCountsAreRejected() {
        GuestSpec odd = dirtier("odd", MIB + 1, 1, DirtyPattern.UNIFORM, 0, 0);
        assertThrows(IllegalArgumentException.class, () -> Guest.create(odd));
        GuestSpec negative = dirtier("neg", MIB, -1, DirtyPattern.UNIFORM, 0, 0);
        var e = assertThrows(IllegalArgumentException.class, () -> Guest.create(negative));
        assertTrue(e.getMessage().contains("vcpus"), e.getMessage());
    }

    @Test
    @Timeout(5)
    void partialPageWorkingSetRoundsUpAndZeroMeansAll() {
        Dirtier partial = Dirtier.of(DirtierSpec.newBuilder().setWorkingSetBytes(4097).build(), MIB);
        assertEquals(2, partial.workingPages());
        Dirtier all = Dirtier.of(DirtierSpec.getDefaultInstance(), MIB);
        assertEquals(256, all.workingPages());
        assertEquals(25, all.hotPages());
        assertEquals(1, Dirtier.of(DirtierSpec.newBuilder().setWorkingSetBytes(1).build(), MIB).hotPages());
    }

    @Test
    @Timeout(5)
    void zeroVcpusMeansOne() {
        try (Guest guest = Guest.create(spec("one", MIB, 0, ProgramSpec.newBuilder()
                .setDirtier(DirtierSpec.getDefaultInstance()).build()))) {
            assertEquals(1, guest.spec().getVcpus());
            assertEquals(1, guest.cpuStates().size());
        }
    }

    @Test
    @Timeout(5)
    void cpuStateRoundTripsLittleEndianAndChecksLength() {
        CpuState state = new CpuState(2);
        state.set(0, 0x0102030405060708L);
        state.set(1, -1);
        byte[] bytes = state.toBytes();
        assertEquals(8, bytes[0]);
        assertArrayEquals(bytes, CpuState.fromBytes(bytes, 2).toBytes());
        var e = assertThrows(IllegalArgumentException.class, () -> CpuState.fromBytes(bytes, 3));
        assertEquals("CPU state must be 24 bytes (3 registers of 8 bytes) for this program, got 16", e.getMessage());
    }
}
