package dev.ferry.bench.jmh;

import dev.ferry.common.memory.DirtyBitmap;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/** The guest's write-path cost of tracking (mark, bit clear vs already set) and the harvest. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class BitmapBench {
    private static final int PAGES = 1 << 18;  // 1 GiB of guest memory
    private DirtyBitmap bitmap;
    private int page;

    @Setup
    public void setUp() {
        bitmap = new DirtyBitmap(PAGES);
    }

    @Benchmark
    public void markAlreadySet() {
        bitmap.mark(7);
    }

    @Benchmark
    public void markSpread() {
        page = (page + 4099) & (PAGES - 1);
        bitmap.mark(page);
    }

    /** Harvesting all of a 1 GiB guest's words with every page dirty. */
    @Benchmark
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public long harvestAllDirty() {
        bitmap.markAll();
        long bits = 0;
        for (int w = 0; w < bitmap.wordCount(); w++) {
            bits += Long.bitCount(bitmap.harvest(w));
        }
        return bits;
    }

    /** A clean bitmap: harvest skips the atomic on zero words. */
    @Benchmark
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public long harvestAllClean() {
        long bits = 0;
        for (int w = 0; w < bitmap.wordCount(); w++) {
            bits += bitmap.harvest(w);
        }
        return bits;
    }
}
