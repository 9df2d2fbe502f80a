package dev.ferry.common.wire;

/** A decoded ZERO_PAGES frame: pages that are all zero, sent as indices only. */
public record ZeroPageBatch(int round, int[] pages) {
    @Override
    public String toString() {
        return "ZeroPageBatch[round=" + round + ", count=" + pages.length + "]";
    }
}
