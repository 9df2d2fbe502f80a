package dev.ferry.bench;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The reference's sending end: one thread per connection streams its stripe in 1 MiB writes;
 * verified, it also hashes every page of each slice before writing it and checks the sum
 * against the receiver's (what Ferry's verification costs, in plain Java).
 */
public final class RawSender implements AutoCloseable {
    private final Arena arena = Arena.ofShared();
    private final MemorySegment memory;
    private final int connections;
    private final Process receiver;
    private final int port;

    public RawSender(Path java, Path benchJar, Path dir, long bytes, int connections, int rounds) throws Exception {
        this.memory = arena.allocate(bytes, 4096);
        memory.fill((byte) 0x5a);
        this.connections = connections;
        Path portFile = dir.resolve("receiver.port");
        this.receiver = new ProcessBuilder(java.toString(), "-Xmx256m", "-cp", benchJar.toString(),
                RawReceiver.class.getName(), String.valueOf(bytes), String.valueOf(connections), portFile.toString(),
                String.valueOf(rounds * 2)).redirectErrorStream(true).redirectOutput(dir.resolve("receiver.log").toFile()).start();
        this.port = awaitPort(portFile);
    }

    private int awaitPort(Path portFile) throws Exception {
        for (int i = 0; i < 2400; i++) {
            if (!receiver.isAlive()) {
                throw new IOException("reference receiver exited with " + receiver.exitValue());
            }
            if (Files.exists(portFile)) {
                return Integer.parseInt(Files.readString(portFile).trim());
            }
            Thread.sleep(50);
        }
        throw new IOException("reference receiver did not start within 120 s");
    }

    /**
     * Streams the whole segment once, plain and then {@code verified} (hashed on both ends);
     * returns the seconds from first write to last acknowledgement. Each repeat asks for both,
     * in that order: the receiver expects two rounds per repeat.
     */
    public double sendOnce(boolean verified) throws Exception {
        List<SocketChannel> channels = new ArrayList<>();
        for (int i = 0; i < connections; i++) {
            channels.add(SocketChannel.open(new InetSocketAddress("127.0.0.1", port)));
        }
        long start = System.nanoTime();
        List<Thread> writers = new ArrayList<>();
        for (int i = 0; i < connections; i++) {
            SocketChannel channel = channels.get(i);
            MemorySegment stripe = RawReceiver.stripe(memory, i, connections);
            writers.add(Thread.ofPlatform().start(() -> writeAndAwaitAck(channel, stripe, verified)));
        }
        for (Thread writer : writers) {
            writer.join();
        }
        return (System.nanoTime() - start) / 1e9;
    }

    private static void writeAndAwaitAck(SocketChannel channel, MemorySegment stripe, boolean verified) {
        try (channel) {
            ByteBuffer mode = ByteBuffer.wrap(new byte[] {verified ? RawReceiver.VERIFIED : RawReceiver.PLAIN});
            while (mode.hasRemaining()) {
                channel.write(mode);
            }
            long digest = 0;
            for (long offset = 0; offset < stripe.byteSize(); ) {
                ByteBuffer buffer = stripe.asSlice(offset, Math.min(RawReceiver.CHUNK, stripe.byteSize() - offset)).asByteBuffer();
                if (verified) {
                    digest += RawReceiver.hashPages(stripe, offset, buffer.capacity());
                }
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                offset += buffer.capacity();
            }
            ByteBuffer answer = ByteBuffer.allocate(verified ? Long.BYTES : 1);
            while (answer.hasRemaining()) {
                if (channel.read(answer) < 0) {
                    throw new IOException("no acknowledgement from the receiver");
                }
            }
            if (verified && answer.getLong(0) != digest) {
                throw new IOException("the reference receiver's page hashes differ from the sender's");
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Override
    public void close() throws InterruptedException {
        receiver.destroy();
        if (!receiver.waitFor(10, TimeUnit.SECONDS)) {
            receiver.destroyForcibly();
        }
        arena.close();
    }
}
