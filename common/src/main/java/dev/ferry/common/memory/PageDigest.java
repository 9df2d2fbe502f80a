package dev.ferry.common.memory;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.LongAdder;

/**
 * The digest of guest memory as it travelled: the sum of one hash per page, where a page
 * sent again replaces its old contribution. The source records what it sends, the
 * destination what it receives; at commitment the two sums must match, with no full pass
 * over memory during downtime.
 *
 * <p>Different threads may record different pages concurrently (each channel owns its pages);
 * one page is only ever recorded by one thread at a time.
 */
public final class PageDigest {
    private final long[] pageHashes;
    private final LongAdder sum = new LongAdder();

    private PageDigest(int pages) {
        pageHashes = new long[pages];
        long total = 0;
        for (int page = 0; page < pages; page++) {
            pageHashes[page] = PageHash.ofZeroPage(page);
            total += pageHashes[page];
        }
        sum.add(total);
    }

    /** The digest of {@code pages} pages of zeroes: where both sides start. */
    public static PageDigest ofZeroMemory(int pages) {
        return new PageDigest(pages);
    }

    public void record(int page, long hash) {
        sum.add(replace(page, hash));
    }

    /**
     * Sets a page's hash but leaves the sum to the caller: it {@link #add}s the returned
     * change, summed over a batch of pages, with one atomic add instead of one per page.
     */
    public long replace(int page, long hash) {
        long change = hash - pageHashes[page];
        pageHashes[page] = hash;
        return change;
    }

    /** Adds the changes {@link #replace} returned. */
    public void add(long change) {
        sum.add(change);
    }

    public long value() {
        return sum.sum();
    }

    public int pageCount() {
        return pageHashes.length;
    }

    /** Pages whose current contents differ from what was recorded (0 = all equal). */
    public int countMismatches(MemorySegment memory) {
        int mismatches = 0;
        for (int page = 0; page < pageHashes.length; page++) {
            if (PageHash.of(memory, (long) page << GuestMemory.PAGE_SHIFT, page) != pageHashes[page]) {
                mismatches++;
            }
        }
        return mismatches;
    }

    /** Digest of memory as it is now: a full pass, for checks outside the downtime. */
    public static long of(MemorySegment memory) {
        long total = 0;
        int pages = Math.toIntExact(memory.byteSize() >>> GuestMemory.PAGE_SHIFT);
        for (int page = 0; page < pages; page++) {
            total += PageHash.of(memory, (long) page << GuestMemory.PAGE_SHIFT, page);
        }
        return total;
    }
}
