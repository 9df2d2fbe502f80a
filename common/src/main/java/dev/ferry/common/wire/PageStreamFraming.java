package dev.ferry.common.wire;

import io.netty.handler.codec.LengthFieldBasedFrameDecoder;

/**
 * Cuts the byte stream into frame bodies: waits for a whole frame, strips the length,
 * and fails fast ({@code TooLongFrameException}) on a length above the protocol's cap.
 */
public final class PageStreamFraming extends LengthFieldBasedFrameDecoder {
    public PageStreamFraming() {
        // Netty's cap counts the length field too
        super(PageStreamFormat.LENGTH_FIELD + PageStreamFormat.MAX_FRAME_BODY, 0, PageStreamFormat.LENGTH_FIELD, 0, PageStreamFormat.LENGTH_FIELD, true);
    }
}
