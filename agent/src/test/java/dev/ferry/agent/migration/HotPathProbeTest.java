package dev.ferry.agent.migration;

import dev.ferry.common.memory.*;
import java.lang.foreign.*;
import org.junit.jupiter.api.Test;

class HotPathProbeTest {
    @Test
    void probe() {
        long size = 256L << 20;
        try (GuestMemory m = GuestMemory.allocate(size); Arena a = Arena.ofConfined()) {
            new java.util.Random(1).nextBytes(new byte[1]);
            for (long o = 0; o < size; o += 8) m.segment().set(ValueLayout.JAVA_LONG_UNALIGNED, o, o * 0x9E3779B97F4A7C15L);
            MemorySegment dst = a.allocate(size, 4096);
            for (int rep = 0; rep < 5; rep++) {
                long t0 = System.nanoTime();
                long h = 0;
                for (int p = 0; p < m.pageCount(); p++) h += PageHash.of(m.segment(), (long) p << 12, p);
                long t1 = System.nanoTime();
                MemorySegment.copy(m.segment(), 0, dst, 0, size);
                long t2 = System.nanoTime();
                int z = 0;
                for (int p = 0; p < m.pageCount(); p++) if (ZeroPages.isZero(m.segment(), (long) p << 12)) z++;
                long t3 = System.nanoTime();
                for (int p = 0; p < m.pageCount(); p++) MemorySegment.copy(m.segment(), (long) p << 12, dst, (long) p << 12, 4096);
                long t4 = System.nanoTime();
                System.out.printf("HOT hash %.2f GB/s, memcpy %.2f GB/s, zero-scan %.2f GB/s, page-copy %.2f GB/s (%d %d)%n",
                        size / (double) (t1 - t0), size / (double) (t2 - t1), size / (double) (t3 - t2), size / (double) (t4 - t3), h, z);
            }
        }
    }
}
