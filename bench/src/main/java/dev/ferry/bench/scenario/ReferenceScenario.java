package dev.ferry.bench.scenario;

import dev.ferry.bench.RawSender;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The ceiling on this machine, measured in the same run: plain Java senders stream an
 * off-heap segment over loopback TCP into a pre-touched segment in another process (as
 * many connections as Ferry's channels, no framing, no Ferry code), and a memcpy of the
 * same size. Then the same stream verified: both ends hash every page with Ferry's page
 * hash (the sender before each 1 MiB write, the receiver after each read) and compare the
 * sums, which is the work Ferry's verification adds to a copy.
 */
public final class ReferenceScenario implements Scenario {
    private final RawSender sender;
    private final long bytes;

    public ReferenceScenario(RawSender sender, long bytes) {
        this.sender = sender;
        this.bytes = bytes;
    }

    @Override
    public String name() {
        return "reference";
    }

    @Override
    public Measurement runOnce() throws Exception {
        Map<String, Double> m = new LinkedHashMap<>();
        double tcpSeconds = sender.sendOnce(false);
        m.put("total_ms", tcpSeconds * 1e3);
        m.put("throughput_gbps", bytes * 8 / tcpSeconds / 1e9);
        double verifiedSeconds = sender.sendOnce(true);
        m.put("verified_total_ms", verifiedSeconds * 1e3);
        m.put("verified_throughput_gbps", bytes * 8 / verifiedSeconds / 1e9);
        m.put("memcpy_gbps", memcpyGbps());
        return Measurement.of(m);
    }

    private double memcpyGbps() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment from = arena.allocate(bytes, 4096);
            MemorySegment to = arena.allocate(bytes, 4096);
            from.fill((byte) 7);
            to.fill((byte) 0);
            long start = System.nanoTime();
            MemorySegment.copy(from, 0, to, 0, bytes);
            return bytes * 8 / ((System.nanoTime() - start) / 1e9) / 1e9;
        }
    }
}
