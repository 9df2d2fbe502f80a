package dev.ferry.agent.guest;

import dev.ferry.common.memory.DirtyBitmap;
import dev.ferry.common.memory.GuestMemory;
import dev.ferry.proto.v1.DirtierSpec;
import dev.ferry.proto.v1.DirtyPattern;
import dev.ferry.proto.v1.GuestSpec;
import dev.ferry.proto.v1.IdleSpec;
import dev.ferry.proto.v1.ProgramSpec;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** Specs and probes shared by the guest tests. */
final class TestGuests {
    static final long MIB = 1 << 20;
    static final Duration PAUSE_TIMEOUT = Duration.ofSeconds(2);

    private TestGuests() {}

    static GuestSpec dirtier(String name, long memoryBytes, int vcpus, DirtyPattern pattern, long workingSet,
            long rate) {
        DirtierSpec dirtier = DirtierSpec.newBuilder().setPattern(pattern).setWorkingSetBytes(workingSet)
                .setRateBytesPerSecond(rate).build();
        return spec(name, memoryBytes, vcpus, ProgramSpec.newBuilder().setDirtier(dirtier).build());
    }

    static GuestSpec idle(String name, long memoryBytes, boolean fillRandom) {
        IdleSpec idle = IdleSpec.newBuilder().setFillRandom(fillRandom).build();
        return spec(name, memoryBytes, 1, ProgramSpec.newBuilder().setIdle(idle).build());
    }

    static GuestSpec spec(String name, long memoryBytes, int vcpus, ProgramSpec program) {
        return GuestSpec.newBuilder().setName(name).setMemoryBytes(memoryBytes).setVcpus(vcpus)
                .setProgram(program).build();
    }

    /** Takes and clears every dirty bit, as a migration round would. */
    static BitSet harvest(GuestMemory memory) {
        DirtyBitmap bitmap = memory.dirtyBitmap();
        long[] words = new long[bitmap.wordCount()];
        for (int w = 0; w < words.length; w++) {
            words[w] = bitmap.harvest(w);
        }
        return BitSet.valueOf(words);
    }

    static GuestMemory copyOf(GuestMemory memory) {
        GuestMemory copy = GuestMemory.allocate(memory.byteSize());
        MemorySegment.copy(memory.segment(), 0, copy.segment(), 0, memory.byteSize());
        return copy;
    }

    static long register(byte[] state, int register) {
        return ByteBuffer.wrap(state).order(ByteOrder.LITTLE_ENDIAN).getLong(register * Long.BYTES);
    }

    static long registerSum(List<byte[]> states, int register) {
        return states.stream().mapToLong(s -> register(s, register)).sum();
    }

    /** Polls {@code condition} every millisecond until it holds or {@code timeout} passes. */
    static boolean eventually(Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            sleepMillis(1);
        }
        return true;
    }

    static void sleepMillis(long millis) {
        try {
            TimeUnit.MILLISECONDS.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}
