package dev.ferry.agent.guest;

import dev.ferry.common.memory.GuestMemory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/** A program that never writes. Each step sleeps briefly so an idle guest burns no CPU. */
final class Idle implements Program {
    private static final long NAP_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    @Override
    public void step(GuestMemory memory, CpuState cpu) {
        // A pause unparks the thread, so this nap never delays it.
        LockSupport.parkNanos(NAP_NANOS);
    }

    @Override
    public int cpuStateLongs() {
        return 0;
    }
}
