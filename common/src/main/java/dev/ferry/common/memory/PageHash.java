package dev.ferry.common.memory;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A 64-bit hash of one 4 KiB page, bound to the page's index (so two swapped pages do not
 * cancel out in a sum).
 *
 * <p>The body is UMAC's NH, the accumulate step XXH3 uses: every 64-bit word is XORed with a
 * key of its own position in the page and its two 32-bit halves multiplied, the products
 * summed; the words are summed too, so a half that meets its key as zero still counts.
 * Nothing carries from one word to the next but two sums, so the JIT turns the loop into
 * SIMD (AVX2 here: ~35 GB/s from cache against ~8 GB/s for the chained xxHash64-style body
 * this replaced), so hashing a page costs little more than reading it: on the destination,
 * copying a page out of the socket buffer and hashing it from guest memory goes at the
 * speed of the copy alone. (A loop that copies and hashes in one pass does not vectorize:
 * the JIT cannot rule out that the two ranges overlap.) Per-position keys make words that
 * swap places inside a page change the hash. This checks a transfer, it is not a MAC: the
 * keys are fixed and public.
 */
public final class PageHash {
    private static final ValueLayout.OfLong WORD = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int WORDS = GuestMemory.PAGE_SIZE / Long.BYTES;
    private static final long LOW_HALF = 0xFFFF_FFFFL;
    private static final long P3 = 0x165667B19E3779F9L;
    private static final long P4 = 0x85EBCA77C2B2AE63L;
    private static final long P5 = 0x27D4EB2F165667C5L;
    private static final long[] KEYS = keys();
    private static final long ZERO_PAGE_BODY = body(MemorySegment.ofArray(new byte[GuestMemory.PAGE_SIZE]), 0);

    private PageHash() {}

    /** Hash of the page at {@code offset} of {@code segment}, as page number {@code page}. */
    public static long of(MemorySegment segment, long offset, int page) {
        return finish(body(segment, offset), page);
    }

    /** Hash of an all-zero page number {@code page}, without reading memory. */
    public static long ofZeroPage(int page) {
        return finish(ZERO_PAGE_BODY, page);
    }

    private static long body(MemorySegment segment, long offset) {
        long products = 0;
        long words = 0;
        for (int i = 0; i < WORDS; i++) {  // no slice: nothing to allocate per page
            long word = segment.get(WORD, offset + ((long) i << 3));
            long keyed = word ^ KEYS[i];
            products += (keyed & LOW_HALF) * (keyed >>> 32);
            words += word;
        }
        return combine(products, words);
    }

    private static long combine(long products, long words) {
        return products ^ Long.rotateLeft(words * P3, 29);
    }

    private static long finish(long body, int page) {
        long h = body ^ ((page + 1L) * P5);
        h ^= h >>> 33;
        h *= P3;
        h ^= h >>> 29;
        h *= P4;
        h ^= h >>> 32;
        return h;
    }

    /** One key per word of a page: splitmix64 from a fixed seed, the same on every agent. */
    private static long[] keys() {
        long[] keys = new long[WORDS];
        long state = 0x9E3779B97F4A7C15L;
        for (int i = 0; i < WORDS; i++) {
            state += 0x9E3779B97F4A7C15L;
            long z = state;
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            keys[i] = z ^ (z >>> 31);
        }
        return keys;
    }
}
