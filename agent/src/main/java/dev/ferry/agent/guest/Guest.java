package dev.ferry.agent.guest;

import dev.ferry.common.memory.GuestMemory;
import dev.ferry.proto.v1.GuestSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A simulated guest: its memory, its program and the vCPU threads that run it.
 *
 * <p>Created (or restored on a migration destination) not running; {@link #start()} starts the
 * vCPUs, {@link #pause} parks them all at a step boundary, {@link #resume()} lets them go on.
 * While paused, memory and {@link #cpuStates()} together are the complete guest state.
 * The guest owns its memory and frees it in {@link #close()}.
 */
public final class Guest implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Guest.class);
    private static final int MAX_VCPUS = 64;
    private static final Duration CLOSE_JOIN = Duration.ofSeconds(5);

    private final GuestSpec spec;
    private final GuestMemory memory;
    private final PauseGate gate = new PauseGate();
    private final LongAdder steps = new LongAdder();
    private final List<Vcpu> vcpus = new ArrayList<>();
    private final AtomicBoolean started = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();

    Guest(GuestSpec spec, GuestMemory memory, Program program, List<CpuState> states) {
        this.spec = spec;
        this.memory = memory;
        for (int i = 0; i < states.size(); i++) {
            String thread = "vcpu-" + spec.getName() + "-" + i;
            // each vCPU paces its own share of the rate, so they need no shared clock
            Pacer pacer = new Pacer(program.stepsPerSecond() / states.size());
            vcpus.add(new Vcpu(thread, program, memory, states.get(i), gate, steps, pacer));
        }
    }

    /**
     * A new guest: allocates its memory and builds its program; vCPUs not started. An idle
     * program with {@code fill_random} gets random (untracked) initial memory.
     */
    public static Guest create(GuestSpec spec) {
        return create(spec, GuestDevices.NONE);
    }

    /** As {@link #create(GuestSpec)}, with the host's devices (vNIC, disk) for the program to use. */
    public static Guest create(GuestSpec spec, GuestDevices devices) {
        GuestSpec normalized = normalize(spec);
        Program program = Programs.create(normalized.getProgram(), normalized.getMemoryBytes(), devices);
        GuestMemory memory = GuestMemory.allocate(normalized.getMemoryBytes());
        if (normalized.getProgram().hasIdle() && normalized.getProgram().getIdle().getFillRandom()) {
            RandomFill.fill(memory.segment());
            memory.dirtyBitmap().markAll();  // the fill is untracked; a migration must send every page
        }
        return new Guest(normalized, memory, program, freshStates(program, normalized.getVcpus()));
    }

    /**
     * A guest rebuilt on a migration destination from received memory and CPU states; not
     * started. Takes ownership of {@code memory} once it returns; if it throws, the caller
     * still owns it.
     */
    public static Guest restore(GuestSpec spec, GuestMemory memory, List<byte[]> vcpuStates) {
        return restore(spec, memory, vcpuStates, GuestDevices.NONE);
    }

    public static Guest restore(GuestSpec spec, GuestMemory memory, List<byte[]> vcpuStates, GuestDevices devices) {
        GuestSpec normalized = normalize(spec);
        if (memory.byteSize() != normalized.getMemoryBytes()) {
            throw new IllegalArgumentException("guest " + spec.getName() + " has memory_bytes "
                    + normalized.getMemoryBytes() + " but the received memory is " + memory.byteSize() + " bytes");
        }
        if (vcpuStates.size() != normalized.getVcpus()) {
            throw new IllegalArgumentException("guest " + spec.getName() + " has " + normalized.getVcpus()
                    + " vCPUs but " + vcpuStates.size() + " CPU states were received");
        }
        Program program = Programs.create(normalized.getProgram(), normalized.getMemoryBytes(), devices);
        List<CpuState> states = vcpuStates.stream()
                .map(bytes -> CpuState.fromBytes(bytes, program.cpuStateLongs())).toList();
        return new Guest(normalized, memory, program, states);
    }

    /**
     * A guest built on a migration destination before its state has arrived: vCPU threads
     * started and parked on fresh registers, so that activation later only loads the CPU
     * state ({@link #loadCpuStates}) and resumes. Takes ownership of {@code memory} once it
     * returns; if it throws, the caller still owns it.
     */
    public static Guest standby(GuestSpec spec, GuestMemory memory) {
        return standby(spec, memory, GuestDevices.NONE);
    }

    public static Guest standby(GuestSpec spec, GuestMemory memory, GuestDevices devices) {
        GuestSpec normalized = normalize(spec);
        Program program = Programs.create(normalized.getProgram(), normalized.getMemoryBytes(), devices);
        Guest guest = new Guest(normalized, memory, program, freshStates(program, normalized.getVcpus()));
        guest.gate.requestPause();  // before start: every vCPU parks ahead of its first step
        guest.start();
        return guest;
    }

    /** Replaces every vCPU's registers; only while paused. Throws, changing nothing, if a blob does not fit. */
    public void loadCpuStates(List<byte[]> states) {
        if (closed.get() || !gate.pauseRequested()) {
            throw new IllegalStateException("guest " + name() + " must be paused (and not closed) to load CPU states");
        }
        if (states.size() != vcpus.size()) {
            throw new IllegalArgumentException("guest " + name() + " has " + vcpus.size() + " vCPUs but "
                    + states.size() + " CPU states were received");
        }
        for (int i = 0; i < states.size(); i++) {
            CpuState.fromBytes(states.get(i), vcpus.get(i).cpu().size());  // all must fit before any is loaded
        }
        for (int i = 0; i < states.size(); i++) {
            vcpus.get(i).cpu().load(states.get(i));
        }
    }

    /**
     * Checks everything a guest needs of its spec (memory size, vCPU count, program and its
     * parameters) without allocating anything; returns it with {@code vcpus} at least 1.
     */
    public static GuestSpec checkSpec(GuestSpec spec) {
        GuestSpec normalized = normalize(spec);
        Programs.check(normalized.getProgram(), normalized.getMemoryBytes());
        return normalized;
    }

    private static GuestSpec normalize(GuestSpec spec) {
        Objects.requireNonNull(spec, "spec");
        GuestMemory.checkSize(spec.getMemoryBytes());
        if (spec.getVcpus() < 0 || spec.getVcpus() > MAX_VCPUS) {
            throw new IllegalArgumentException("guest vcpus must be between 0 (= 1) and " + MAX_VCPUS
                    + ", got " + spec.getVcpus());
        }
        if (spec.getProgram().hasKv() && spec.getVcpus() > 1) {
            throw new IllegalArgumentException("program kv serves its clients from one vCPU; use --vcpus 1");
        }
        return spec.toBuilder().setVcpus(Math.max(1, spec.getVcpus())).build();
    }

    private static List<CpuState> freshStates(Program program, int count) {
        List<CpuState> states = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            CpuState cpu = new CpuState(program.cpuStateLongs());
            program.initCpu(cpu, i, count);
            states.add(cpu);
        }
        return states;
    }

    public String name() {
        return spec.getName();
    }

    /** The spec, with {@code vcpus} normalized to at least 1. */
    public GuestSpec spec() {
        return spec;
    }

    public GuestMemory memory() {
        return memory;
    }

    /** Starts the vCPU threads. Later calls do nothing; a closed guest cannot start. */
    public void start() {
        if (closed.get()) {
            throw new IllegalStateException("guest " + name() + " is closed");
        }
        if (started.compareAndSet(false, true)) {
            vcpus.forEach(Vcpu::start);
            LOG.debug("guest {}: started {} vCPUs", name(), vcpus.size());
        }
    }

    /**
     * Returns once every vCPU has finished its current step and parked. Every guest write
     * made before then is visible to the caller. Idempotent; on a guest not yet started the
     * vCPUs park before their first step. On timeout the request stays in place (vCPUs still
     * park when they can) and {@link #resume()} withdraws it.
     */
    public void pause(Duration timeout) throws TimeoutException {
        gate.requestPause();
        vcpus.forEach(Vcpu::wake);
        gate.awaitParked(timeout);
    }

    /** Lets parked vCPUs run again. Idempotent. */
    public void resume() {
        gate.resume();
    }

    /** Started, not paused, not closed and no vCPU failed. */
    public boolean isRunning() {
        return started.get() && !closed.get() && !gate.pauseRequested() && failure().isEmpty();
    }

    /** The first vCPU failure: a program step threw, which stopped the guest. */
    public Optional<Throwable> failure() {
        return vcpus.stream().map(Vcpu::failure).filter(Objects::nonNull).findFirst();
    }

    /**
     * One little-endian register blob per vCPU, in vCPU order. Only while no vCPU can be in a
     * step: after {@link #pause} returned (or before start, or after a failure stopped it).
     */
    public List<byte[]> cpuStates() {
        if (closed.get() || !gate.quiescent()) {
            throw new IllegalStateException("guest " + name() + " must be paused (and not closed) to read CPU states");
        }
        return vcpus.stream().map(v -> v.cpu().toBytes()).toList();
    }

    /** Program steps completed on this host (a restored guest starts from 0). */
    public long steps() {
        return steps.sum();
    }

    List<Thread> threads() {
        return vcpus.stream().map(Vcpu::thread).toList();
    }

    /** Stops the vCPUs (waiting up to 5 s in all), then frees memory. Idempotent. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        gate.stop();
        vcpus.forEach(Vcpu::wake);
        long deadline = System.nanoTime() + CLOSE_JOIN.toNanos();
        for (Vcpu vcpu : vcpus) {
            if (!vcpu.join(deadline)) {
                LOG.warn("guest {}: {} still running after {} ms; freeing memory anyway", name(),
                        vcpu.thread().getName(), CLOSE_JOIN.toMillis());
            }
        }
        memory.close();
        LOG.debug("guest {}: closed", name());
    }
}
