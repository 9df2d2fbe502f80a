package dev.ferry.agent.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.agent.migration.StreamException;
import dev.ferry.proto.v1.Control;
import dev.ferry.proto.v1.StreamErrorCode;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

/** The destination's error goes out with its code, its message and whether the copy is gone; then the channel closes. */
class NettyControlSinkTest {
    @Test
    void anErrorSaysWhetherTheCopyWasDiscardedAndClosesTheChannel() {
        EmbeddedChannel channel = new EmbeddedChannel();
        new NettyControlSink(channel).fail(new StreamException(StreamErrorCode.BAD_FRAME, "garbage").asDiscarded());
        Control sent = channel.readOutbound();
        assertEquals(StreamErrorCode.BAD_FRAME, sent.getError().getCode());
        assertEquals("garbage", sent.getError().getMessage());
        assertTrue(sent.getError().getDiscarded());
        assertFalse(channel.isOpen());
    }

    @Test
    void aPlainErrorIsNotMarked() {
        EmbeddedChannel channel = new EmbeddedChannel();
        new NettyControlSink(channel).fail(new StreamException(StreamErrorCode.INTERNAL, "oops"));
        Control sent = channel.readOutbound();
        assertFalse(sent.getError().getDiscarded());
    }
}
