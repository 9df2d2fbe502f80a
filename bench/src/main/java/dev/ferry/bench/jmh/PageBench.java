package dev.ferry.bench.jmh;

import dev.ferry.common.memory.GuestMemory;
import dev.ferry.common.memory.PageDigest;
import dev.ferry.common.memory.PageHash;
import dev.ferry.common.memory.ZeroPages;
import dev.ferry.common.wire.PageFrames;
import dev.ferry.common.wire.PageStreamDecoder;
import dev.ferry.common.wire.PageStreamFraming;
import dev.ferry.common.wire.PageBatch;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/** Per-page hot paths: zero scan, page hash, and a 256-page frame built from memory and decoded. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class PageBench {
    private static final int PAGES = 256;
    private GuestMemory memory;
    private PageDigest digest;
    private final int[] indices = new int[PAGES];
    private EmbeddedChannel decoder;

    @Setup(Level.Trial)
    public void setUp() {
        memory = GuestMemory.allocate((long) PAGES * GuestMemory.PAGE_SIZE * 2);
        for (long offset = 0; offset < memory.byteSize() / 2; offset += 8) {
            memory.segment().set(ValueLayout.JAVA_LONG_UNALIGNED, offset, offset * 0x9E3779B97F4A7C15L);
        }
        digest = PageDigest.ofZeroMemory(memory.pageCount());
        for (int i = 0; i < PAGES; i++) {
            indices[i] = i * 2 % PAGES;
        }
        decoder = new EmbeddedChannel(new PageStreamFraming(), new PageStreamDecoder());
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        decoder.finishAndReleaseAll();
        memory.close();
    }

    @Benchmark
    public boolean zeroScanNonZeroPage() {
        return ZeroPages.isZero(memory.segment(), 0);
    }

    @Benchmark
    public boolean zeroScanZeroPage() {
        return ZeroPages.isZero(memory.segment(), memory.byteSize() - GuestMemory.PAGE_SIZE);
    }

    @Benchmark
    public long hashPage() {
        return PageHash.of(memory.segment(), 0, 0);
    }

    /** Build a 1 MiB PAGES frame from memory, decode it, release it: the codec's share of a MiB. */
    @Benchmark
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public int encodeDecodeFrame() {
        ByteBuf frame = PageFrames.pagesFromMemory(PooledByteBufAllocator.DEFAULT, 1, indices, PAGES, memory, digest);
        decoder.writeInbound(frame);
        PageBatch batch = decoder.readInbound();
        int count = batch.count();
        batch.release();
        return count;
    }
}
