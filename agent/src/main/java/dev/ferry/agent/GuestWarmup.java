package dev.ferry.agent;

import dev.ferry.agent.guest.Guest;
import dev.ferry.common.memory.GuestMemory;
import dev.ferry.proto.v1.DirtierSpec;
import dev.ferry.proto.v1.GuestSpec;
import dev.ferry.proto.v1.ProgramSpec;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a tiny guest through the path an activation takes (create, run, pause, CPU state,
 * restore elsewhere, run, close) once at start. Activation happens inside the downtime, and
 * loading its classes there for the first time cost 5-18 ms of it.
 */
final class GuestWarmup {
    private static final Logger log = LoggerFactory.getLogger(GuestWarmup.class);
    private static final GuestSpec SPEC = GuestSpec.newBuilder().setName("warmup").setMemoryBytes(16 * GuestMemory.PAGE_SIZE)
            .setVcpus(1).setProgram(ProgramSpec.newBuilder().setDirtier(DirtierSpec.newBuilder().setRateBytesPerSecond(1 << 20)))
            .build();

    private GuestWarmup() {}

    static void run() {
        long start = System.nanoTime();
        try (Guest source = Guest.create(SPEC)) {
            source.start();
            source.pause(Duration.ofSeconds(5));
            List<byte[]> states = source.cpuStates();
            GuestMemory copy = GuestMemory.allocate(SPEC.getMemoryBytes());
            copy.segment().copyFrom(source.memory().segment());
            try (Guest target = Guest.restore(SPEC, copy, states)) {
                target.start();
                target.pause(Duration.ofSeconds(5));
            }
        } catch (Exception e) {
            log.warn("guest warm-up failed (activations may be slower): {}", e.toString());
        }
        log.debug("guest warm-up took {} us", (System.nanoTime() - start) / 1000);
    }
}
