package dev.ferry.bench;

import dev.ferry.common.memory.PageHash;
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
 * The reference's receiving end, a process of its own with no Ferry code but the page hash:
 * accepts N connections and reads stripe i of a pre-touched off-heap segment from connection
 * i. The first byte on each says how: {@link #PLAIN} reads and answers one byte; {@link
 * #VERIFIED} also hashes every page of each 1 MiB read right after it (Ferry's NH page
 * hash, as a destination does) and answers the sum of the hashes, for the sender to
 * compare. Args: SIZE_BYTES CONNECTIONS PORT_FILE ROUNDS.
 */
public final class RawReceiver {
    static final int CHUNK = 1 << 20;
    static final byte PLAIN = 0;
    static final byte VERIFIED = 1;

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
        long[] digests = new long[connections];
        boolean[] verified = new boolean[connections];
        for (int i = 0; i < connections; i++) {
            SocketChannel channel = channels.get(i);
            MemorySegment stripe = stripe(memory, i, connections);
            int index = i;
            readers.add(Thread.ofPlatform().start(() -> {
                verified[index] = readMode(channel) == VERIFIED;
                digests[index] = readFully(channel, stripe, verified[index]);
            }));
        }
        for (Thread reader : readers) {
            reader.join();
        }
        for (int i = 0; i < connections; i++) {
            SocketChannel channel = channels.get(i);
            ByteBuffer answer = verified[i] ? ByteBuffer.allocate(Long.BYTES).putLong(0, digests[i]) : ByteBuffer.wrap(new byte[] {1});
            while (answer.hasRemaining()) {
                channel.write(answer);
            }
            channel.close();
        }
    }

    private static byte readMode(SocketChannel channel) {
        ByteBuffer mode = ByteBuffer.allocate(1);
        try {
            while (mode.hasRemaining()) {
                if (channel.read(mode) < 0) {
                    throw new IOException("sender closed before saying how to read");
                }
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return mode.get(0);
    }

    /** The sum of {@link PageHash} over the pages of {@code stripe} in {@code [offset, offset + bytes)}: both ends compute it alike. */
    static long hashPages(MemorySegment stripe, long offset, long bytes) {
        long sum = 0;
        for (long at = offset; at < offset + bytes; at += 4096) {
            sum += PageHash.of(stripe, at, (int) (at >>> 12));
        }
        return sum;
    }

    static MemorySegment stripe(MemorySegment memory, int index, int count) {
        long per = memory.byteSize() / count / 4096 * 4096;
        long from = per * index;
        long to = index == count - 1 ? memory.byteSize() : from + per;
        return memory.asSlice(from, to - from);
    }

    private static long readFully(SocketChannel channel, MemorySegment stripe, boolean verified) {
        long digest = 0;
        try {
            for (long offset = 0; offset < stripe.byteSize(); ) {
                ByteBuffer buffer = stripe.asSlice(offset, Math.min(CHUNK, stripe.byteSize() - offset)).asByteBuffer();
                while (buffer.hasRemaining()) {
                    if (channel.read(buffer) < 0) {
                        throw new IOException("sender closed early");
                    }
                }
                if (verified) {
                    digest += hashPages(stripe, offset, buffer.capacity());
                }
                offset += buffer.capacity();
            }
            return digest;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
