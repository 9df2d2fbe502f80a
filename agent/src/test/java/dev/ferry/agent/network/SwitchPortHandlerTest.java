package dev.ferry.agent.network;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.common.net.MacAddress;
import dev.ferry.common.net.SwitchCodec;
import dev.ferry.proto.v1.Attach;
import dev.ferry.proto.v1.NoticeCode;
import dev.ferry.proto.v1.PeerHello;
import dev.ferry.proto.v1.SwitchMessage;
import dev.ferry.proto.v1.TrunkFrame;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The switch port's Netty adapter on an EmbeddedChannel: the wire in, switch calls and notices out. */
class SwitchPortHandlerTest {
    private final VirtualSwitch vswitch = new VirtualSwitch("a", Trunks.NONE);

    @AfterEach
    void close() {
        vswitch.close();
    }

    private EmbeddedChannel channel() {
        EmbeddedChannel channel = new EmbeddedChannel();
        SwitchCodec.install(channel.pipeline()).addLast(new SwitchPortHandler(vswitch));
        return channel;
    }

    private static ByteBuf encode(SwitchMessage message) {
        byte[] body = message.toByteArray();
        return Unpooled.buffer().writeInt(body.length).writeBytes(body);
    }

    /**
     * The next message the port wrote back, decoded as a client would. The switch's own thread
     * writes the replies: wait for it to finish what it has queued before reading the channel.
     */
    private SwitchMessage written(EmbeddedChannel channel) throws Exception {
        for (int i = 0; i < 500; i++) {
            vswitch.flush(Duration.ofSeconds(5));
            channel.runPendingTasks();
            ByteBuf out = channel.readOutbound();
            if (out != null) {
                // the length prefix may come as a buffer of its own, ahead of the body; the switch's
                // thread writes them, so the body may still be on its way (bounded: 5 s)
                ByteBuf all = Unpooled.buffer();
                try {
                    all.writeBytes(out);
                    out.release();
                    int length = all.readInt();
                    for (int wait = 0; all.readableBytes() < length; wait++) {
                        channel.runPendingTasks();
                        ByteBuf more = channel.readOutbound();
                        if (more == null) {
                            if (wait >= 500) {
                                throw new AssertionError("message body of " + length + " bytes missing after 5 s");
                            }
                            Thread.sleep(10);
                            continue;
                        }
                        all.writeBytes(more);
                        more.release();
                    }
                    byte[] body = new byte[length];
                    all.readBytes(body);
                    return SwitchMessage.parseFrom(body);
                } finally {
                    all.release();
                }
            }
            Thread.sleep(10);
        }
        throw new AssertionError("the port wrote nothing within 5 s");
    }

    @Test
    void aClientAttachesAndIsAnsweredOnItsConnection() throws Exception {
        vswitch.plugIn("kv", new VirtualNic(MacAddress.parse("02:00:00:00:00:07")), 1);
        EmbeddedChannel channel = channel();
        channel.writeInbound(encode(SwitchMessage.newBuilder().setAttach(Attach.newBuilder().setGuest("kv")).build()));
        SwitchMessage reply = written(channel);
        assertEquals("02:00:00:00:00:07", reply.getAttached().getGuestMac());
        assertTrue(channel.isActive());
        channel.finishAndReleaseAll();
    }

    @Test
    void aPayloadBeforeAttachIsRefusedAndTheConnectionClosed() throws Exception {
        EmbeddedChannel channel = channel();
        channel.writeInbound(encode(SwitchMessage.newBuilder().setPayload(com.google.protobuf.ByteString.copyFromUtf8("x")).build()));
        SwitchMessage reply = written(channel);
        assertEquals(NoticeCode.BAD_MESSAGE, reply.getNotice().getCode());
        assertFalse(channel.isActive());
        channel.finishAndReleaseAll();
    }

    @Test
    void aClientCannotSendTrunkTraffic() throws Exception {
        EmbeddedChannel channel = channel();
        channel.writeInbound(encode(SwitchMessage.newBuilder().setTrunk(TrunkFrame.getDefaultInstance()).build()));
        assertEquals(NoticeCode.BAD_MESSAGE, written(channel).getNotice().getCode());
        assertFalse(channel.isActive());
        channel.finishAndReleaseAll();
    }

    @Test
    void aPeerCannotHelloTwice() throws Exception {
        EmbeddedChannel channel = channel();
        SwitchMessage hello = SwitchMessage.newBuilder().setPeerHello(PeerHello.newBuilder().setHost("b")).build();
        channel.writeInbound(encode(hello));
        channel.writeInbound(encode(hello));
        assertEquals(NoticeCode.BAD_MESSAGE, written(channel).getNotice().getCode());
        channel.finishAndReleaseAll();
    }

    @Test
    void garbageAndOversizedMessagesCloseTheConnectionNotTheSwitch() throws Exception {
        EmbeddedChannel garbage = channel();
        garbage.writeInbound(Unpooled.buffer().writeInt(3).writeBytes(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff}));
        assertEquals(NoticeCode.BAD_MESSAGE, written(garbage).getNotice().getCode());
        assertFalse(garbage.isActive());
        garbage.finishAndReleaseAll();

        EmbeddedChannel oversized = channel();
        oversized.writeInbound(Unpooled.buffer().writeInt(SwitchCodec.MAX_MESSAGE + 1).writeZero(16));
        assertEquals(NoticeCode.BAD_MESSAGE, written(oversized).getNotice().getCode());
        assertFalse(oversized.isActive());
        oversized.finishAndReleaseAll();

        vswitch.flush(Duration.ofSeconds(5));  // still serving
    }
}
