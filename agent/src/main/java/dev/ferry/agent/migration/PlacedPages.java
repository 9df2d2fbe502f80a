package dev.ferry.agent.migration;

/**
 * A PAGES frame whose data is already in guest memory: the socket read it there (or the
 * decoder copied what arrived with the header). What is left is to check, hash and count
 * the pages. {@code pages} are the frame's indices, in order.
 */
public record PlacedPages(int round, int[] pages) {
    @Override
    public String toString() {
        return "PlacedPages[round=" + round + ", count=" + pages.length + "]";
    }
}
