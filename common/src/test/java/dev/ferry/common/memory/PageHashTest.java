package dev.ferry.common.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class PageHashTest {
    private static final int PAGE = GuestMemory.PAGE_SIZE;

    private static MemorySegment randomPages(int pages, long seed) {
        byte[] bytes = new byte[pages * PAGE];
        new SplittableRandom(seed).nextBytes(bytes);
        return MemorySegment.ofArray(bytes);
    }

    @Test
    void sameBytesAtDifferentIndicesHashDifferently() {
        MemorySegment page = randomPages(1, 1);
        Set<Long> hashes = new HashSet<>();
        for (int index = 0; index < 1000; index++) {
            hashes.add(PageHash.of(page, 0, index));
        }
        assertEquals(1000, hashes.size());
    }

    @Test
    void hashIsDeterministicAndDependsOnlyOnThePageBytes() {
        MemorySegment memory = randomPages(3, 2);
        MemorySegment copy = MemorySegment.ofArray(new byte[PAGE]);
        MemorySegment.copy(memory, PAGE, copy, 0, PAGE);
        assertEquals(PageHash.of(memory, PAGE, 5), PageHash.of(copy, 0, 5));
        assertEquals(PageHash.of(memory, PAGE, 5), PageHash.of(memory, PAGE, 5));
    }

    @Test
    void everyByteAndBitPositionMatters() {
        MemorySegment page = randomPages(1, 3);
        long original = PageHash.of(page, 0, 9);
        Set<Long> seen = new HashSet<>();
        seen.add(original);
        for (int position = 0; position < PAGE; position += 37) {
            byte old = page.get(ValueLayout.JAVA_BYTE, position);
            page.set(ValueLayout.JAVA_BYTE, position, (byte) (old ^ (1 << (position % 8))));
            long flipped = PageHash.of(page, 0, 9);
            assertNotEquals(original, flipped, "flip at byte " + position);
            seen.add(flipped);
            page.set(ValueLayout.JAVA_BYTE, position, old);
        }
        page.set(ValueLayout.JAVA_BYTE, PAGE - 1, (byte) (page.get(ValueLayout.JAVA_BYTE, PAGE - 1) + 1));
        assertNotEquals(original, PageHash.of(page, 0, 9), "the last byte matters");
        assertEquals(1 + (PAGE + 36) / 37, seen.size(), "single-bit flips collide");
    }

    @Test
    void wordsThatSwapPlacesInsideAPageChangeTheHash() {
        MemorySegment page = randomPages(1, 7);
        long original = PageHash.of(page, 0, 3);
        for (int[] pair : new int[][] {{0, 1}, {0, 511}, {17, 300}, {510, 511}}) {
            long first = page.get(ValueLayout.JAVA_LONG_UNALIGNED, pair[0] * 8L);
            long second = page.get(ValueLayout.JAVA_LONG_UNALIGNED, pair[1] * 8L);
            page.set(ValueLayout.JAVA_LONG_UNALIGNED, pair[0] * 8L, second);
            page.set(ValueLayout.JAVA_LONG_UNALIGNED, pair[1] * 8L, first);
            assertNotEquals(original, PageHash.of(page, 0, 3), "words " + pair[0] + " and " + pair[1] + " swapped");
            page.set(ValueLayout.JAVA_LONG_UNALIGNED, pair[0] * 8L, first);
            page.set(ValueLayout.JAVA_LONG_UNALIGNED, pair[1] * 8L, second);
        }
        assertEquals(original, PageHash.of(page, 0, 3));
    }

    @Test
    void aWordWhoseHalvesMeetTheirKeyAsZeroStillCounts() {
        // the product of a half that XORs to zero with its key is 0 whatever the other half
        // holds; the plain sum of the words must still tell the pages apart
        MemorySegment zeroes = MemorySegment.ofArray(new byte[PAGE]);
        MemorySegment changed = MemorySegment.ofArray(new byte[PAGE]);
        changed.set(ValueLayout.JAVA_LONG_UNALIGNED, 8, 1L << 40);
        assertNotEquals(PageHash.of(zeroes, 0, 0), PageHash.of(changed, 0, 0));
        changed.set(ValueLayout.JAVA_LONG_UNALIGNED, 8, 1L);
        assertNotEquals(PageHash.of(zeroes, 0, 0), PageHash.of(changed, 0, 0));
    }

    @Test
    void swappedPagesDoNotCancelOut() {
        MemorySegment a = randomPages(1, 4);
        MemorySegment b = randomPages(1, 5);
        long inOrder = PageHash.of(a, 0, 0) + PageHash.of(b, 0, 1);
        long swapped = PageHash.of(b, 0, 0) + PageHash.of(a, 0, 1);
        assertNotEquals(inOrder, swapped);
    }

    @Test
    void zeroPageHashMatchesHashingZeroes() {
        MemorySegment zeroes = MemorySegment.ofArray(new byte[2 * PAGE]);
        for (int index : new int[] {0, 1, 63, 64, 12345, Integer.MAX_VALUE - 1, Integer.MAX_VALUE}) {
            assertEquals(PageHash.of(zeroes, 0, index), PageHash.ofZeroPage(index), "page " + index);
            assertEquals(PageHash.of(zeroes, PAGE, index), PageHash.ofZeroPage(index), "page " + index);
        }
        assertNotEquals(PageHash.ofZeroPage(0), PageHash.ofZeroPage(1));
    }

    @Test
    void hashesOffHeapAndUnalignedOffsetsAlike() {
        MemorySegment heap = randomPages(2, 6);
        try (GuestMemory memory = GuestMemory.allocate(2L * PAGE)) {
            MemorySegment.copy(heap, 0, memory.segment(), 0, 2L * PAGE);
            assertEquals(PageHash.of(heap, 0, 0), PageHash.of(memory.segment(), 0, 0));
            assertEquals(PageHash.of(heap, 3, 0), PageHash.of(memory.segment(), 3, 0));
        }
    }
}
