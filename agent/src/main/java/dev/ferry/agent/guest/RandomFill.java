package dev.ferry.agent.guest;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import java.util.stream.LongStream;

/**
 * Fills memory with random bytes, untracked: the initial contents of an idle guest that
 * should not compress or look like zero pages. Chunks are filled in parallel, each from its
 * own generator, so gigabytes take well under a second per core.
 */
final class RandomFill {
    private static final long CHUNK = 1 << 20;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;

    private RandomFill() {}

    static void fill(MemorySegment segment) {
        long seed = new SplittableRandom().nextLong();
        long chunks = (segment.byteSize() + CHUNK - 1) / CHUNK;
        LongStream.range(0, chunks).parallel().forEach(c -> fillChunk(segment, c * CHUNK, seed + c));
    }

    private static void fillChunk(MemorySegment segment, long from, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        long to = Math.min(segment.byteSize(), from + CHUNK);
        for (long offset = from; offset < to; offset += Long.BYTES) {
            segment.set(LONG, offset, random.nextLong());
        }
    }
}
