package dev.ferry.agent.guest;

/**
 * Stateless helpers for a xorshift64* generator whose state lives in a CPU register, so the
 * random sequence continues across a migration instead of restarting.
 */
final class Random64 {
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    private Random64() {}

    /** A non-zero starting state, different for every {@code stream} (e.g. vCPU index). */
    static long seed(long stream) {
        return mix(GOLDEN * (stream + 1)) | 1;
    }

    /** Advances the register and returns the next random value. */
    static long next(CpuState cpu, int register) {
        long x = cpu.get(register);
        x ^= x >>> 12;
        x ^= x << 25;
        x ^= x >>> 27;
        cpu.set(register, x);
        return x * 0x2545F4914F6CDD1DL;
    }

    /** A value in {@code [0, bound)} from the next random value, without modulo bias. */
    static int below(CpuState cpu, int register, int bound) {
        return (int) Math.unsignedMultiplyHigh(next(cpu, register), bound);
    }

    /** SplitMix64's finalizer: spreads nearby inputs over all 64 bits. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
