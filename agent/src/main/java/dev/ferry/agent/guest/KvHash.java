package dev.ferry.agent.guest;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * A 64-bit hash of a key, the same on every host and JVM (the table built on one host is
 * probed on another after a migration, so no per-process seed). Eight bytes at a time, each
 * word spread by SplitMix64's finalizer, so keys that differ in one byte land far apart.
 */
final class KvHash {
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long SEED = 0x9E3779B97F4A7C15L;
    private static final long PRIME = 0xC2B2AE3D27D4EB4FL;

    private KvHash() {}

    static long of(byte[] key) {
        long hash = SEED ^ (key.length * PRIME);
        int i = 0;
        for (; i + Long.BYTES <= key.length; i += Long.BYTES) {
            hash = round(hash, (long) LONGS.get(key, i));
        }
        return Random64.mix(round(hash, tail(key, i)));
    }

    private static long round(long hash, long word) {
        return Long.rotateLeft(hash ^ Random64.mix(word), 27) * PRIME;
    }

    /** The last 0..7 bytes as one little-endian word (the length, mixed in first, tells them apart). */
    private static long tail(byte[] key, int from) {
        long word = 0;
        for (int i = key.length - 1; i >= from; i--) {
            word = (word << 8) | (key[i] & 0xFF);
        }
        return word;
    }
}
