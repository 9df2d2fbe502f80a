package dev.ferry.common.memory;

import java.lang.foreign.MemorySegment;

/** Finds pages that hold only zeroes, which travel as an index without data. */
public final class ZeroPages {
    private static final MemorySegment ZERO_PAGE = MemorySegment.ofArray(new byte[GuestMemory.PAGE_SIZE]);

    private ZeroPages() {}

    /** Whether the page at {@code offset} is all zero; stops at the first non-zero byte. */
    public static boolean isZero(MemorySegment memory, long offset) {
        return MemorySegment.mismatch(memory, offset, offset + GuestMemory.PAGE_SIZE,
                ZERO_PAGE, 0, GuestMemory.PAGE_SIZE) == -1;
    }
}
