package dev.ferry.agent.migration;

/**
 * Which channel carries which page. Pages go by bitmap word (64 pages, 256 KiB): word w
 * belongs to channel w mod N. A page thus always travels on the same channel, so the
 * channel's FIFO order keeps its versions in order, and each sender harvests only its
 * own words.
 */
public final class Striping {
    private Striping() {}

    public static int channelOf(int page, int channels) {
        return (page >>> 6) % channels;
    }
}
