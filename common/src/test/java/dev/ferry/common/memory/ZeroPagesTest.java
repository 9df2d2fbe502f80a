package dev.ferry.common.memory;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class ZeroPagesTest {
    private static final int PAGE = GuestMemory.PAGE_SIZE;

    @Test
    void zeroPageIsZero() {
        MemorySegment memory = MemorySegment.ofArray(new byte[3 * PAGE]);
        assertTrue(ZeroPages.isZero(memory, 0));
        assertTrue(ZeroPages.isZero(memory, PAGE));
        assertTrue(ZeroPages.isZero(memory, 2L * PAGE));
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, PAGE / 2, PAGE - 8, PAGE - 1})
    void oneNonZeroByteMakesThePageNonZero(int position) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment memory = arena.allocate(3L * PAGE, PAGE);
            memory.set(ValueLayout.JAVA_BYTE, PAGE + position, (byte) 0x80);
            assertFalse(ZeroPages.isZero(memory, PAGE), "non-zero byte at " + position);
            assertTrue(ZeroPages.isZero(memory, 0), "previous page is still zero");
            assertTrue(ZeroPages.isZero(memory, 2L * PAGE), "next page is still zero");
        }
    }

    @Test
    void looksOnlyAtThePageAtTheOffset() {
        MemorySegment memory = MemorySegment.ofArray(new byte[2 * PAGE + 2]);
        memory.set(ValueLayout.JAVA_BYTE, 0, (byte) 1);
        memory.set(ValueLayout.JAVA_BYTE, PAGE + 1 + PAGE, (byte) 1);
        // an unaligned window [1, PAGE + 1) that avoids both set bytes
        assertTrue(ZeroPages.isZero(memory, 1));
    }
}
