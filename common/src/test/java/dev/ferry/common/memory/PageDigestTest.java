package dev.ferry.common.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class PageDigestTest {
    private static final int PAGE = GuestMemory.PAGE_SIZE;

    private static MemorySegment randomPages(int pages, long seed) {
        byte[] bytes = new byte[pages * PAGE];
        new SplittableRandom(seed).nextBytes(bytes);
        return MemorySegment.ofArray(bytes);
    }

    private static long hash(MemorySegment memory, int page) {
        return PageHash.of(memory, (long) page << GuestMemory.PAGE_SHIFT, page);
    }

    @Test
    void zeroMemoryDigestEqualsFullDigestOfZeroes() {
        for (int pages : new int[] {1, 2, 64, 65, 300}) {
            PageDigest digest = PageDigest.ofZeroMemory(pages);
            assertEquals(pages, digest.pageCount());
            assertEquals(PageDigest.of(MemorySegment.ofArray(new byte[pages * PAGE])), digest.value(), pages + " pages");
            assertEquals(0, digest.countMismatches(MemorySegment.ofArray(new byte[pages * PAGE])));
        }
    }

    @Test
    void zeroMemoryDigestMatchesFreshGuestMemory() {
        try (GuestMemory memory = GuestMemory.allocate(1L << 20)) {
            assertEquals(PageDigest.of(memory.segment()), PageDigest.ofZeroMemory(memory.pageCount()).value());
        }
    }

    @Test
    void recordingEveryPageGivesTheFullDigest() {
        MemorySegment memory = randomPages(50, 1);
        PageDigest digest = PageDigest.ofZeroMemory(50);
        for (int page = 0; page < 50; page++) {
            digest.record(page, hash(memory, page));
        }
        assertEquals(PageDigest.of(memory), digest.value());
        assertEquals(0, digest.countMismatches(memory));
    }

    @Test
    void replacingPagesAndAddingTheirChangesOnceEqualsRecordingEach() {
        MemorySegment memory = randomPages(30, 3);
        PageDigest batched = PageDigest.ofZeroMemory(30);
        PageDigest each = PageDigest.ofZeroMemory(30);
        for (int round = 0; round < 2; round++) {  // the second round replaces what the first recorded
            memory.set(ValueLayout.JAVA_LONG_UNALIGNED, 5L * PAGE, round + 1L);
            long change = 0;
            for (int page = 0; page < 30; page++) {
                change += batched.replace(page, hash(memory, page));
                each.record(page, hash(memory, page));
            }
            assertNotEquals(each.value(), batched.value(), "the sum waits for add");
            batched.add(change);
            assertEquals(each.value(), batched.value());
        }
        assertEquals(PageDigest.of(memory), batched.value());
        assertEquals(0, batched.countMismatches(memory));
    }

    @Test
    void reRecordingAPageReplacesItsContribution() {
        MemorySegment memory = randomPages(20, 2);
        PageDigest digest = PageDigest.ofZeroMemory(20);
        for (int page = 0; page < 20; page++) {
            digest.record(page, hash(memory, page));
        }
        long before = digest.value();

        // the page changes and is sent again, twice: only the last contents count
        memory.set(ValueLayout.JAVA_LONG_UNALIGNED, 7L * PAGE + 100, 1L);
        digest.record(7, hash(memory, 7));
        memory.set(ValueLayout.JAVA_LONG_UNALIGNED, 7L * PAGE + 100, 2L);
        digest.record(7, hash(memory, 7));
        assertNotEquals(before, digest.value());
        assertEquals(PageDigest.of(memory), digest.value());

        // recording the same hash again changes nothing
        long now = digest.value();
        digest.record(7, hash(memory, 7));
        assertEquals(now, digest.value());
    }

    @Test
    void recordingAZeroPageOverADataPageRestoresTheZeroContribution() {
        MemorySegment memory = MemorySegment.ofArray(new byte[4 * PAGE]);
        PageDigest digest = PageDigest.ofZeroMemory(4);
        long zero = digest.value();
        memory.set(ValueLayout.JAVA_BYTE, 2L * PAGE, (byte) 1);
        digest.record(2, hash(memory, 2));
        assertNotEquals(zero, digest.value());
        digest.record(2, PageHash.ofZeroPage(2));
        assertEquals(zero, digest.value());
    }

    @Test
    void orderOfRecordingDoesNotMatter() {
        int pages = 200;
        MemorySegment memory = randomPages(pages, 3);
        List<Integer> order = new ArrayList<>();
        for (int page = 0; page < pages; page++) {
            order.add(page);
            order.add(page); // each page sent twice
        }
        PageDigest forward = PageDigest.ofZeroMemory(pages);
        for (int page : order) {
            forward.record(page, hash(memory, page));
        }
        Collections.shuffle(order, new Random(4));
        PageDigest shuffled = PageDigest.ofZeroMemory(pages);
        for (int page : order) {
            shuffled.record(page, hash(memory, page));
        }
        Collections.reverse(order);
        PageDigest reversed = PageDigest.ofZeroMemory(pages);
        for (int page : order) {
            reversed.record(page, hash(memory, page));
        }
        assertEquals(forward.value(), shuffled.value());
        assertEquals(forward.value(), reversed.value());
        assertEquals(PageDigest.of(memory), forward.value());
    }

    @Test
    void countMismatchesFindsExactlyTheChangedPages() {
        int pages = 130;
        MemorySegment memory = randomPages(pages, 5);
        PageDigest digest = PageDigest.ofZeroMemory(pages);
        for (int page = 0; page < pages; page++) {
            digest.record(page, hash(memory, page));
        }
        assertEquals(0, digest.countMismatches(memory));
        int[] changed = {0, 63, 64, 129};
        for (int page : changed) {
            long at = (long) page * PAGE + PAGE - 1;
            memory.set(ValueLayout.JAVA_BYTE, at, (byte) (memory.get(ValueLayout.JAVA_BYTE, at) ^ 1));
        }
        assertEquals(changed.length, digest.countMismatches(memory));
        assertNotEquals(PageDigest.of(memory), digest.value());
        digest.record(63, hash(memory, 63));
        assertEquals(changed.length - 1, digest.countMismatches(memory));
    }

    @Test
    void unrecordedPagesAreExpectedToBeZero() {
        MemorySegment memory = MemorySegment.ofArray(new byte[10 * PAGE]);
        PageDigest digest = PageDigest.ofZeroMemory(10);
        memory.set(ValueLayout.JAVA_BYTE, 3L * PAGE + 5, (byte) 9);
        assertEquals(1, digest.countMismatches(memory));
    }

    @Test
    @Timeout(30)
    void concurrentRecordersOfDisjointPagesSumCorrectly() throws Exception {
        int pages = 4096;
        int threads = 4;
        MemorySegment memory = randomPages(pages, 6);
        PageDigest digest = PageDigest.ofZeroMemory(pages);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int index = t;
                futures.add(pool.submit(() -> {
                    start.await();
                    for (int repeat = 0; repeat < 3; repeat++) {
                        for (int page = index; page < pages; page += threads) { // one channel's pages
                            digest.record(page, hash(memory, page));
                        }
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : futures) {
                f.get(20, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
            assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
        }
        assertEquals(PageDigest.of(memory), digest.value());
        assertEquals(0, digest.countMismatches(memory));
    }
}
