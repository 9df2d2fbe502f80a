package dev.ferry.bench.scenario;

import dev.ferry.agent.guest.Guest;
import dev.ferry.common.memory.GuestMemory;
import dev.ferry.proto.v1.DirtierSpec;
import dev.ferry.proto.v1.DirtyPattern;
import dev.ferry.proto.v1.GuestSpec;
import dev.ferry.proto.v1.ProgramSpec;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;

/**
 * What dirty tracking costs the guest: the dirtier at unlimited rate, once on memory that
 * tracks writes and once on memory that does not (a mode that exists only for this), each
 * for a fixed time, alternating; the figure is the percent of write throughput lost.
 */
public final class TrackingOverheadScenario implements Scenario {
    private static final long MEMORY = 256L << 20;
    private static final Duration RUN = Duration.ofSeconds(2);
    private static final GuestSpec SPEC = GuestSpec.newBuilder().setName("tracking").setMemoryBytes(MEMORY).setVcpus(1)
            .setProgram(ProgramSpec.newBuilder().setDirtier(DirtierSpec.newBuilder().setPattern(DirtyPattern.UNIFORM)))
            .build();

    @Override
    public String name() {
        return "tracking-overhead";
    }

    @Override
    public Measurement runOnce() throws Exception {
        double untracked = pagesPerSecond(GuestMemory.allocateUntracked(MEMORY));
        double tracked = pagesPerSecond(GuestMemory.allocate(MEMORY));
        double untracked2 = pagesPerSecond(GuestMemory.allocateUntracked(MEMORY));
        double baseline = (untracked + untracked2) / 2;
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("overhead_pct", (baseline - tracked) / baseline * 100);
        m.put("tracked_mib_s", tracked * GuestMemory.PAGE_SIZE / (1 << 20));
        m.put("untracked_mib_s", baseline * GuestMemory.PAGE_SIZE / (1 << 20));
        return Measurement.of(m);
    }

    /** Runs the dirtier on {@code memory} (pre-touched, so first-touch faults don't count); takes ownership. */
    private static double pagesPerSecond(GuestMemory memory) throws TimeoutException, InterruptedException {
        memory.pretouch();
        List<byte[]> states;
        try (Guest fresh = Guest.create(SPEC)) {
            states = fresh.cpuStates();
        }
        try (Guest guest = Guest.restore(SPEC, memory, states)) {
            guest.start();
            Thread.sleep(300);  // warm up the JIT
            long before = guest.steps();
            long start = System.nanoTime();
            Thread.sleep(RUN);
            long steps = guest.steps() - before;
            double seconds = (System.nanoTime() - start) / 1e9;
            guest.pause(Duration.ofSeconds(5));
            return steps / seconds;
        }
    }
}
