package dev.ferry.common.wire;

import io.netty.handler.codec.LengthFieldBasedFrameDecoder;

/**
 * Cuts the byte stream into frame bodies: waits for a whole frame, strips the length,
 * and fails fast ({@code TooLongFrameException}) on a length above the protocol's cap.
 */
public final class PageStreamFraming extends LengthFieldBasedFrameDecoder {
    /**
     * A composite cumulation keeps the socket's buffers as they came instead of copying them
     * into one growing buffer: a 1 MiB page frame is then copied once, into guest memory.
     */
    public PageStreamFraming() {
        // Netty's cap counts the length field too
        super(PageStreamFormat.LENGTH_FIELD + PageStreamFormat.MAX_FRAME_BODY, 0, PageStreamFormat.LENGTH_FIELD, 0, PageStreamFormat.LENGTH_FIELD, true);
        setCumulator(COMPOSITE_CUMULATOR);
    }
}
