package dev.ferry.common.memory;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One bit per guest page, set by the guest's write path and harvested by a migration.
 *
 * <p>A set bit means "may differ from what a destination holds": fresh memory reads as
 * zero and starts clean, tracked writes mark, untracked fills and received pages mark,
 * and a migration harvests. So round 0 never reads memory that was never written.
 *
 * <p>Ordering contract (DESIGN.md): a writer stores the page data <em>first</em> and then
 * calls {@link #mark}; the harvester clears a word with an atomic get-and-set and only then
 * reads the pages it covers. So a write that lands during a copy always leaves its bit set
 * and the page is sent again.
 *
 * <p>{@link #mark} skips the atomic when the bit is already set, so a hot page costs a
 * fence and a load, never a write to a shared cache line. The fence is what makes the skip
 * safe: without it the CPU may read the (still set) bit before its data store is visible,
 * the harvester may clear the bit and copy the old data, and the new data would then sit in
 * a clean page and be lost.
 */
public final class DirtyBitmap {
    private static final VarHandle WORD = MethodHandles.arrayElementVarHandle(long[].class);

    private final int pages;
    private final long[] words;
    private final boolean tracking;

    public DirtyBitmap(int pages) {
        this(pages, true);
    }

    /** {@code tracking} false makes {@link #mark} do nothing: only to measure what tracking costs. */
    DirtyBitmap(int pages, boolean tracking) {
        if (pages <= 0) {
            throw new IllegalArgumentException("a bitmap needs at least one page, got " + pages);
        }
        this.pages = pages;
        this.words = new long[wordsFor(pages)];
        this.tracking = tracking;
    }

    static int wordsFor(int pages) {
        return (pages + 63) >>> 6;
    }

    public int pageCount() {
        return pages;
    }

    public int wordCount() {
        return words.length;
    }

    /** Marks a page dirty. Call after the data store. */
    public void mark(int page) {
        if (!tracking) {
            return;
        }
        int word = page >>> 6;
        long bit = 1L << page;
        VarHandle.fullFence();
        if (((long) WORD.getOpaque(words, word) & bit) == 0) {
            WORD.getAndBitwiseOr(words, word, bit);
        }
    }

    /**
     * Marks {@code pages} (each in range) as {@link #mark} would, with one fence for the batch
     * and one atomic per bitmap word they touch: for a destination marking every page it
     * receives, a fence and an atomic per page cost more than the bookkeeping is worth.
     */
    public void markPages(int[] pages) {
        if (!tracking) {
            return;
        }
        VarHandle.fullFence();
        int word = -1;
        long bits = 0;
        for (int page : pages) {
            if (page >>> 6 != word) {
                orWord(word, bits);
                word = page >>> 6;
                bits = 0;
            }
            bits |= 1L << page;
        }
        orWord(word, bits);
    }

    private void orWord(int word, long bits) {
        if (bits != 0 && ((long) WORD.getOpaque(words, word) & bits) != bits) {
            WORD.getAndBitwiseOr(words, word, bits);
        }
    }

    /** Marks every page that the byte range {@code [offset, offset + length)} touches. */
    public void markBytes(long offset, long length) {
        if (length <= 0) {
            return;
        }
        int first = (int) (offset >>> GuestMemory.PAGE_SHIFT);
        int last = (int) ((offset + length - 1) >>> GuestMemory.PAGE_SHIFT);
        for (int page = first; page <= last; page++) {
            mark(page);
        }
    }

    /** Atomically takes the dirty bits of one word (64 pages), leaving them clear. */
    public long harvest(int word) {
        return (long) WORD.getOpaque(words, word) == 0 ? 0 : (long) WORD.getAndSet(words, word, 0L);
    }

    /** Sets every page dirty: the start of a migration sends all of memory. */
    public void markAll() {
        for (int w = 0; w < words.length; w++) {
            WORD.setVolatile(words, w, lastWordMask(w));
        }
    }

    public void clearAll() {
        for (int w = 0; w < words.length; w++) {
            WORD.setVolatile(words, w, 0L);
        }
    }

    public boolean isDirty(int page) {
        return ((long) WORD.getVolatile(words, page >>> 6) & (1L << page)) != 0;
    }

    public long dirtyPages() {
        long count = 0;
        for (int w = 0; w < words.length; w++) {
            count += Long.bitCount((long) WORD.getVolatile(words, w));
        }
        return count;
    }

    /** Dirty pages among the words {@code word ≡ index (mod stride)}: one channel's share. */
    public long dirtyPages(int index, int stride) {
        long count = 0;
        for (int w = index; w < words.length; w += stride) {
            count += Long.bitCount((long) WORD.getVolatile(words, w));
        }
        return count;
    }

    private long lastWordMask(int word) {
        int bitsInWord = Math.min(64, pages - (word << 6));
        return bitsInWord == 64 ? -1L : (1L << bitsInWord) - 1;
    }
}
