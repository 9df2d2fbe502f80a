package dev.ferry.common.memory;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A 64-bit hash of one 4 KiB page, bound to the page's index (so two swapped pages do not
 * cancel out in a sum). Four independent lanes in the style of xxHash64 keep the multiply
 * chains short enough to hash at several GB/s.
 */
public final class PageHash {
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final long P1 = 0x9E3779B185EBCA87L;
    private static final long P2 = 0xC2B2AE3D27D4EB4FL;
    private static final long P3 = 0x165667B19E3779F9L;
    private static final long P4 = 0x85EBCA77C2B2AE63L;
    private static final long P5 = 0x27D4EB2F165667C5L;
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
        long a = P1 + P2;
        long b = P2;
        long c = 0;
        long d = -P1;
        for (long i = offset; i < offset + GuestMemory.PAGE_SIZE; i += 32) {  // no slice: nothing to allocate per page
            a = round(a, segment.get(LONG, i));
            b = round(b, segment.get(LONG, i + 8));
            c = round(c, segment.get(LONG, i + 16));
            d = round(d, segment.get(LONG, i + 24));
        }
        return Long.rotateLeft(a, 1) + Long.rotateLeft(b, 7) + Long.rotateLeft(c, 12) + Long.rotateLeft(d, 18);
    }

    private static long round(long acc, long input) {
        return Long.rotateLeft(acc + input * P2, 31) * P1;
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
}
