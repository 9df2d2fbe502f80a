package dev.ferry.agent.guest;

import dev.ferry.common.memory.GuestMemory;
import dev.ferry.proto.v1.DirtierSpec;
import dev.ferry.proto.v1.DirtyPattern;

/**
 * The benchmark workload: each step rewrites one whole page of the working set, chosen by
 * the pattern. Page contents derive from the page index, the vCPU and a per-vCPU write
 * sequence number, so every write changes the page.
 *
 * <p>Registers: {@link #SEQ} writes done, {@link #RNG} xorshift state, {@link #CURSOR} next
 * sequential page, {@link #SALT} the vCPU's index (so two vCPUs never write equal contents).
 */
final class Dirtier implements Program {
    static final int SEQ = 0;
    static final int RNG = 1;
    static final int CURSOR = 2;
    static final int SALT = 3;
    private static final int REGISTERS = 4;
    /** HOTSET: one write in this many goes anywhere in the working set, the rest to the hot set. */
    private static final int COLD_ONE_IN = 10;

    private final DirtyPattern pattern;
    private final int workingPages;
    private final int hotPages;
    private final double pagesPerSecond;

    Dirtier(DirtyPattern pattern, int workingPages, long rateBytesPerSecond) {
        this.pattern = pattern;
        this.workingPages = workingPages;
        this.hotPages = Math.max(1, workingPages / 10);
        this.pagesPerSecond = (double) rateBytesPerSecond / GuestMemory.PAGE_SIZE;
    }

    int workingPages() {
        return workingPages;
    }

    int hotPages() {
        return hotPages;
    }

    @Override
    public void initCpu(CpuState cpu, int vcpu, int vcpus) {
        cpu.set(RNG, Random64.seed(vcpu));
        // Sequential vCPUs start evenly spread so they do not rewrite each other's pages.
        cpu.set(CURSOR, (long) workingPages * vcpu / vcpus);
        cpu.set(SALT, vcpu);
    }

    @Override
    public void step(GuestMemory memory, CpuState cpu) {
        int page = nextPage(cpu);
        long seq = cpu.get(SEQ) + 1;
        long seed = Random64.mix(((long) page << 20) ^ (cpu.get(SALT) << 52) ^ seq);
        memory.fillPage(page, seed, Random64.mix(seed) | 1);
        cpu.set(SEQ, seq);
    }

    private int nextPage(CpuState cpu) {
        return switch (pattern) {
            case HOTSET -> Random64.below(cpu, RNG, COLD_ONE_IN) == 0
                    ? Random64.below(cpu, RNG, workingPages)
                    : Random64.below(cpu, RNG, hotPages);
            case SEQUENTIAL -> sequential(cpu);
            default -> Random64.below(cpu, RNG, workingPages);
        };
    }

    private int sequential(CpuState cpu) {
        // floorMod: a cursor from a foreign CPU state still lands inside the working set
        int page = (int) Math.floorMod(cpu.get(CURSOR), (long) workingPages);
        cpu.set(CURSOR, (page + 1) % workingPages);
        return page;
    }

    @Override
    public int cpuStateLongs() {
        return REGISTERS;
    }

    @Override
    public double stepsPerSecond() {
        return pagesPerSecond;
    }

    static Dirtier of(DirtierSpec spec, long memoryBytes) {
        if (spec.getRateBytesPerSecond() < 0) {
            throw new IllegalArgumentException("dirtier rate_bytes_per_second must be >= 0 (0 = unlimited), got "
                    + spec.getRateBytesPerSecond());
        }
        return new Dirtier(pattern(spec), workingPages(spec, memoryBytes), spec.getRateBytesPerSecond());
    }

    private static DirtyPattern pattern(DirtierSpec spec) {
        return switch (spec.getPattern()) {
            case DIRTY_PATTERN_UNSPECIFIED, UNIFORM -> DirtyPattern.UNIFORM;
            case HOTSET, SEQUENTIAL -> spec.getPattern();
            case UNRECOGNIZED -> throw new IllegalArgumentException(
                    "unknown dirtier pattern " + spec.getPatternValue() + "; use one of UNIFORM, HOTSET, SEQUENTIAL");
        };
    }

    /** Working set in pages, rounded up; 0 bytes means all of memory. */
    private static int workingPages(DirtierSpec spec, long memoryBytes) {
        long bytes = spec.getWorkingSetBytes();
        if (bytes < 0 || bytes > memoryBytes) {
            throw new IllegalArgumentException("dirtier working_set_bytes must be between 0 (all of memory) and the "
                    + "guest's memory_bytes " + memoryBytes + ", got " + bytes);
        }
        long effective = bytes == 0 ? memoryBytes : bytes;
        return Math.toIntExact((effective + GuestMemory.PAGE_SIZE - 1) / GuestMemory.PAGE_SIZE);
    }
}
