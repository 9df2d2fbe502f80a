package dev.ferry.bench;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The reference's receiving end, a process of its own with no Ferry code: accepts N
 * connections and reads stripe i of a pre-touched off-heap segment from connection i, then
 * answers one byte on each. Args: SIZE_BYTES CONNECTIONS PORT_FILE ROUNDS.
 */
public final class RawReceiver {
    static final int CHUNK = 1 << 20;

    public static void main(String[] args) throws Exception {
        long size = Long.parseLong(args[0]);
        int connections = Integer.parseInt(args[1]);
        int rounds = Integer.parseInt(args[3]);
        try (Arena arena = Arena.ofShared(); ServerSocketChannel server = ServerSocketChannel.open()) {
            MemorySegment memory = arena.allocate(size, 4096);
            memory.fill((byte) 1);  // pre-touched, as Ferry's destination is
            server.bind(new InetSocketAddress("127.0.0.1", 0));
            Path portFile = Path.of(args[2]);
            Files.writeString(Path.of(args[2] + ".tmp"), String.valueOf(((InetSocketAddress) server.getLocalAddress()).getPort()));
            Files.move(Path.of(args[2] + ".tmp"), portFile);
            for (int round = 0; round < rounds; round++) {
                receiveOnce(server, memory, connections);
            }
        }
    }

    private static void receiveOnce(ServerSocketChannel server, MemorySegment memory, int connections) throws Exception {
        List<SocketChannel> channels = new ArrayList<>();
        for (int i = 0; i < connections; i++) {
            channels.add(server.accept());
        }
        List<Thread> readers = new ArrayList<>();
        for (int i = 0; i < connections; i++) {
            SocketChannel channel = channels.get(i);
            MemorySegment stripe = stripe(memory, i, connections);
            readers.add(Thread.ofPlatform().start(() -> readFully(channel, stripe)));
        }
        for (Thread reader : readers) {
            reader.join();
        }
        for (SocketChannel channel : channels) {
            channel.write(ByteBuffer.wrap(new byte[] {1}));
            channel.close();
        }
    }

    static MemorySegment stripe(MemorySegment memory, int index, int count) {
        long per = memory.byteSize() / count / 4096 * 4096;
        long from = per * index;
        long to = index == count - 1 ? memory.byteSize() : from + per;
        return memory.asSlice(from, to - from);
    }

    private static void readFully(SocketChannel channel, MemorySegment stripe) {
        try {
            for (long offset = 0; offset < stripe.byteSize(); ) {
                ByteBuffer buffer = stripe.asSlice(offset, Math.min(CHUNK, stripe.byteSize() - offset)).asByteBuffer();
                while (buffer.hasRemaining()) {
                    if (channel.read(buffer) < 0) {
                        throw new IOException("sender closed early");
                    }
                }
                offset += buffer.capacity();
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
