package dev.ferry.agent.transport;

import dev.ferry.common.wire.PageFrames;
import dev.ferry.common.wire.PageStreamFormat;
import dev.ferry.proto.v1.Control;
import dev.ferry.proto.v1.Hello;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.Socket;
import java.net.SocketTimeoutException;

/** A hand-driven page-stream client for fault tests: writes raw bytes, reads raw replies. */
public final class RawPageStreamClient implements AutoCloseable {
    private final Socket socket;
    private final DataInputStream in;

    public RawPageStreamClient(int port) throws IOException {
        socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(10_000);
        in = new DataInputStream(socket.getInputStream());
    }

    public static Hello hello(String migrationId, String ticket, long memoryBytes) {
        return Hello.newBuilder().setProtocolVersion(PageStreamFormat.PROTOCOL_VERSION).setMigrationId(migrationId)
                .setTicket(ticket).setChannelIndex(0).setChannelCount(1).setMemoryBytes(memoryBytes).build();
    }

    public void send(Control control) throws IOException {
        send(PageFrames.control(UnpooledByteBufAllocator.DEFAULT, control));
    }

    /** Writes the frame's bytes and releases it. */
    public void send(ByteBuf frame) throws IOException {
        try {
            byte[] bytes = new byte[frame.readableBytes()];
            frame.readBytes(bytes);
            sendBytes(bytes);
        } finally {
            frame.release();
        }
    }

    public void sendBytes(byte[] bytes) throws IOException {
        socket.getOutputStream().write(bytes);
        socket.getOutputStream().flush();
    }

    public Control receive() throws IOException {
        int length = in.readInt();
        byte type = in.readByte();
        if (type != PageStreamFormat.CONTROL) {
            throw new IOException("expected a CONTROL frame, got type " + type);
        }
        byte[] body = new byte[length - 1];
        in.readFully(body);
        return Control.parseFrom(body);
    }

    /** Whether the peer closed the connection (EOF) within the socket timeout. */
    public boolean closedByPeer() throws IOException {
        try {
            return in.read() == -1;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (EOFException | java.net.SocketException e) {
            return true;
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
