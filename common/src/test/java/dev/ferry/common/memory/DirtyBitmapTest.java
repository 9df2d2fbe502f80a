package dev.ferry.common.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DirtyBitmapTest {

    /** Every set page of the bitmap, harvesting (so clearing) it word by word. */
    private static List<Integer> harvestAll(DirtyBitmap bitmap) {
        List<Integer> pages = new ArrayList<>();
        for (int w = 0; w < bitmap.wordCount(); w++) {
            long bits = bitmap.harvest(w);
            while (bits != 0) {
                pages.add((w << 6) + Long.numberOfTrailingZeros(bits));
                bits &= bits - 1;
            }
        }
        return pages;
    }

    @Test
    void rejectsEmptyBitmap() {
        assertThrows(IllegalArgumentException.class, () -> new DirtyBitmap(0));
        assertThrows(IllegalArgumentException.class, () -> new DirtyBitmap(-1));
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 63, 64, 65, 127, 128, 129, 1000})
    void wordCountCoversEveryPage(int pages) {
        DirtyBitmap bitmap = new DirtyBitmap(pages);
        assertEquals(pages, bitmap.pageCount());
        assertEquals((pages + 63) / 64, bitmap.wordCount());
        assertEquals(0, bitmap.dirtyPages());
    }

    @Test
    void markAndIsDirtyAtWordBoundaries() {
        int pages = 200; // 3 full words and 8 pages of a fourth
        DirtyBitmap bitmap = new DirtyBitmap(pages);
        int[] marked = {0, 63, 64, 127, 128, pages - 1};
        for (int page : marked) {
            bitmap.mark(page);
        }
        for (int page = 0; page < pages; page++) {
            boolean expected = false;
            for (int m : marked) {
                expected |= m == page;
            }
            assertEquals(expected, bitmap.isDirty(page), "page " + page);
        }
        assertEquals(marked.length, bitmap.dirtyPages());
    }

    @Test
    void harvestReturnsBitsOfOneWordAndClearsThem() {
        DirtyBitmap bitmap = new DirtyBitmap(200);
        bitmap.mark(0);
        bitmap.mark(63);
        bitmap.mark(64);
        bitmap.mark(199);

        assertEquals(1L | (1L << 63), bitmap.harvest(0));
        assertFalse(bitmap.isDirty(0));
        assertFalse(bitmap.isDirty(63));
        assertTrue(bitmap.isDirty(64), "harvesting word 0 must not touch word 1");
        assertEquals(0L, bitmap.harvest(0), "a harvested word is clear");

        assertEquals(1L, bitmap.harvest(1));
        assertEquals(0L, bitmap.harvest(2));
        assertEquals(1L << (199 - 192), bitmap.harvest(3));
        assertEquals(0, bitmap.dirtyPages());
    }

    @Test
    void markIsIdempotent() {
        DirtyBitmap bitmap = new DirtyBitmap(64);
        bitmap.mark(5);
        bitmap.mark(5);
        bitmap.mark(5);
        assertEquals(1, bitmap.dirtyPages());
        assertEquals(1L << 5, bitmap.harvest(0));
        bitmap.mark(5);
        assertTrue(bitmap.isDirty(5), "a page can be marked again after a harvest");
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 63, 64, 65, 100, 128, 129, 191, 1000, 4096})
    void markAllSetsExactlyPageCountBits(int pages) {
        DirtyBitmap bitmap = new DirtyBitmap(pages);
        bitmap.markAll();
        assertEquals(pages, bitmap.dirtyPages());
        for (int page = 0; page < pages; page++) {
            assertTrue(bitmap.isDirty(page), "page " + page);
        }
        int last = bitmap.wordCount() - 1;
        int bitsInLast = pages - (last << 6);
        long expectedLast = bitsInLast == 64 ? -1L : (1L << bitsInLast) - 1;
        for (int w = 0; w < last; w++) {
            assertEquals(-1L, bitmap.harvest(w), "word " + w);
        }
        assertEquals(expectedLast, bitmap.harvest(last), "no bit beyond the last page");
        assertEquals(0, bitmap.dirtyPages());
    }

    @Test
    void markAllThenHarvestYieldsEveryPageOnce() {
        DirtyBitmap bitmap = new DirtyBitmap(130);
        bitmap.markAll();
        List<Integer> pages = harvestAll(bitmap);
        assertEquals(130, pages.size());
        for (int i = 0; i < 130; i++) {
            assertEquals(i, pages.get(i));
        }
        assertTrue(harvestAll(bitmap).isEmpty());
    }

    @Test
    void clearAllClearsEverything() {
        DirtyBitmap bitmap = new DirtyBitmap(300);
        bitmap.markAll();
        bitmap.clearAll();
        assertEquals(0, bitmap.dirtyPages());
        assertTrue(harvestAll(bitmap).isEmpty());
    }

    @Test
    void markBytesMarksEveryTouchedPage() {
        DirtyBitmap bitmap = new DirtyBitmap(10);
        bitmap.markBytes(GuestMemory.PAGE_SIZE - 1, 2); // last byte of page 0, first of page 1
        bitmap.markBytes(3L * GuestMemory.PAGE_SIZE, GuestMemory.PAGE_SIZE); // exactly page 3
        bitmap.markBytes(5L * GuestMemory.PAGE_SIZE + 10, 0); // empty: nothing
        bitmap.markBytes(6L * GuestMemory.PAGE_SIZE, -5); // negative: nothing
        bitmap.markBytes(7L * GuestMemory.PAGE_SIZE + 1, 2L * GuestMemory.PAGE_SIZE); // 7, 8, 9
        assertEquals(List.of(0, 1, 3, 7, 8, 9), harvestAll(bitmap));
    }

    @Test
    void markPagesMarksABatchAcrossWordsAsMarkWouldEachPage() {
        DirtyBitmap bitmap = new DirtyBitmap(64 * 4 + 5);
        bitmap.mark(65);  // already set: stays set
        bitmap.markPages(new int[] {0, 1, 63, 64, 65, 66, 200, 128, 260});  // not sorted: 128 after 200
        bitmap.markPages(new int[] {});
        assertEquals(List.of(0, 1, 63, 64, 65, 66, 128, 200, 260), harvestAll(bitmap));

        DirtyBitmap untracked = new DirtyBitmap(64, false);
        untracked.markPages(new int[] {1, 2});
        assertEquals(List.of(), harvestAll(untracked));
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 4, 7})
    void dirtyPagesPerStrideSumToTotal(int stride) {
        int pages = 64 * 11 + 17;
        DirtyBitmap bitmap = new DirtyBitmap(pages);
        SplittableRandom random = new SplittableRandom(stride);
        for (int i = 0; i < 300; i++) {
            bitmap.mark(random.nextInt(pages));
        }
        bitmap.mark(pages - 1);
        long total = bitmap.dirtyPages();
        long sum = 0;
        for (int index = 0; index < stride; index++) {
            long share = bitmap.dirtyPages(index, stride);
            long expected = 0;
            for (int w = index; w < bitmap.wordCount(); w += stride) {
                for (int bit = 0; bit < 64 && (w << 6) + bit < pages; bit++) {
                    expected += bitmap.isDirty((w << 6) + bit) ? 1 : 0;
                }
            }
            assertEquals(expected, share, "share " + index + " of " + stride);
            sum += share;
        }
        assertEquals(total, sum);
    }

    @Test
    void dirtyPagesAfterMarkAllSplitsByStride() {
        DirtyBitmap bitmap = new DirtyBitmap(64 * 3 + 5); // words: 64, 64, 64, 5
        bitmap.markAll();
        assertEquals(64 + 5, bitmap.dirtyPages(0, 3)); // words 0 and 3
        assertEquals(64, bitmap.dirtyPages(1, 3));
        assertEquals(64, bitmap.dirtyPages(2, 3));
    }
}
