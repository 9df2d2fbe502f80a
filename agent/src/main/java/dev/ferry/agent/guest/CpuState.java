package dev.ferry.agent.guest;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A vCPU's registers: a small fixed array of longs. With guest memory they are the program's
 * whole state, and they travel in the device state as little-endian bytes.
 */
final class CpuState {
    private final long[] registers;

    CpuState(int registers) {
        if (registers < 0) {
            throw new IllegalArgumentException("register count must be >= 0, got " + registers);
        }
        this.registers = new long[registers];
    }

    int size() {
        return registers.length;
    }

    long get(int register) {
        return registers[register];
    }

    void set(int register, long value) {
        registers[register] = value;
    }

    byte[] toBytes() {
        ByteBuffer bytes = ByteBuffer.allocate(registers.length * Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asLongBuffer().put(registers);
        return bytes.array();
    }

    /** Parses a blob from {@link #toBytes()}; it must hold exactly {@code registers} longs. */
    static CpuState fromBytes(byte[] bytes, int registers) {
        CpuState state = new CpuState(registers);
        state.load(bytes);
        return state;
    }

    /** Replaces every register with a blob from {@link #toBytes()} of the same size. */
    void load(byte[] bytes) {
        if (bytes.length != registers.length * Long.BYTES) {
            throw new IllegalArgumentException("CPU state must be " + registers.length * Long.BYTES + " bytes ("
                    + registers.length + " registers of 8 bytes) for this program, got " + bytes.length);
        }
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(registers);
    }
}
