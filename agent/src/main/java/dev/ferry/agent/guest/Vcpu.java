package dev.ferry.agent.guest;

import dev.ferry.common.memory.GuestMemory;
import java.time.Duration;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One vCPU: a daemon thread running program steps until the gate says park or stop.
 * A step that throws stops this vCPU and, through the gate, the whole guest: a guest with a
 * dead vCPU must not look like it runs. The failure is logged and kept for {@link #failure()}.
 */
final class Vcpu implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(Vcpu.class);

    private final String name;
    private final Program program;
    private final GuestMemory memory;
    private final CpuState cpu;
    private final PauseGate gate;
    private final LongAdder steps;
    private final Pacer pacer;
    private final Thread thread;
    private volatile Throwable failure;

    Vcpu(String name, Program program, GuestMemory memory, CpuState cpu, PauseGate gate, LongAdder steps,
            Pacer pacer) {
        this.name = name;
        this.program = program;
        this.memory = memory;
        this.cpu = cpu;
        this.gate = gate;
        this.steps = steps;
        this.pacer = pacer;
        this.thread = Thread.ofPlatform().name(name).daemon().unstarted(this);
    }

    void start() {
        gate.entered();
        thread.start();
    }

    @Override
    public void run() {
        pacer.restart(System.nanoTime());
        try {
            loop();
        } catch (Throwable t) {
            failure = t;
            LOG.error("{}: program step failed; stopping the guest", name, t);
            gate.stop();
        } finally {
            gate.exited();
        }
    }

    private void loop() {
        while (!gate.stopRequested()) {
            if (gate.pauseRequested()) {
                if (!gate.park()) {
                    return;
                }
                pacer.restart(System.nanoTime());
            } else if (pacer.awaitNext(gate::pauseRequested)) {
                program.step(memory, cpu);
                steps.increment();
            }
        }
    }

    /** Cuts a pacing or idle sleep short so a pause or stop is seen at once. */
    void wake() {
        LockSupport.unpark(thread);
    }

    /** Waits for the thread to end until {@code deadlineNanos}; true if it has. */
    boolean join(long deadlineNanos) {
        if (thread.getState() == Thread.State.NEW) {
            return true; // never started: nothing to wait for
        }
        try {
            long left = Math.max(1, deadlineNanos - System.nanoTime());
            return thread.join(Duration.ofNanos(left));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return !thread.isAlive();
        }
    }

    Thread thread() {
        return thread;
    }

    CpuState cpu() {
        return cpu;
    }

    Throwable failure() {
        return failure;
    }
}
