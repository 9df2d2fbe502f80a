package dev.ferry.common.wire;

import dev.ferry.common.memory.GuestMemory;

/**
 * The page stream's frame layout. Every frame:
 * <pre>
 *   int32  length            bytes that follow this field
 *   byte   type              CONTROL | PAGES | ZERO_PAGES
 *   CONTROL     protobuf ferry.v1.Control
 *   PAGES       int32 round, int32 count, int32[count] page index, count x 4096 bytes of data
 *   ZERO_PAGES  int32 round, int32 count, int32[count] page index
 * </pre>
 * Big-endian, like Netty's defaults. Page data never travels inside a protobuf.
 */
public final class PageStreamFormat {
    /**
     * 2: page hashes are NH (see PageHash), no longer xxHash64-style, so digests of 1 and 2
     * never match; and COMMIT may come right behind the device state, before READY.
     */
    public static final int PROTOCOL_VERSION = 2;

    public static final byte CONTROL = 1;
    public static final byte PAGES = 2;
    public static final byte ZERO_PAGES = 3;

    public static final int LENGTH_FIELD = 4;
    public static final int TYPE_FIELD = 1;
    /** round + count, after the type byte of a PAGES or ZERO_PAGES frame. */
    public static final int BATCH_HEADER = 8;
    public static final int INDEX_SIZE = 4;

    public static final int MAX_PAGES_PER_FRAME = 1024;
    public static final int MAX_ZERO_PAGES_PER_FRAME = 16 * 1024;
    public static final int MAX_CONTROL_BYTES = 1 << 20;
    /** The largest frame body (after the length field) a decoder accepts. */
    public static final int MAX_FRAME_BODY = TYPE_FIELD + BATCH_HEADER
            + MAX_PAGES_PER_FRAME * (INDEX_SIZE + GuestMemory.PAGE_SIZE);

    private PageStreamFormat() {}

    public static int pagesBody(int count) {
        return TYPE_FIELD + BATCH_HEADER + count * (INDEX_SIZE + GuestMemory.PAGE_SIZE);
    }

    /**
     * Why a PAGES frame whose header says {@code count} pages, with a body of {@code body}
     * bytes (type byte included), is malformed; null if it is not. The one rule for both of
     * the destination's decoders (the one that copies and the one that reads into place).
     */
    public static String pagesFrameProblem(int count, int body) {
        if (count < 0 || count > MAX_PAGES_PER_FRAME) {
            return "batch page count " + count + " outside 0.." + MAX_PAGES_PER_FRAME;
        }
        return body == pagesBody(count) ? null : "PAGES frame of " + count + " pages must be " + pagesBody(count) + " bytes, got " + body;
    }

    public static int zeroPagesBody(int count) {
        return TYPE_FIELD + BATCH_HEADER + count * INDEX_SIZE;
    }
}
