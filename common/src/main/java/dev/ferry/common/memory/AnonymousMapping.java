package dev.ferry.common.memory;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Private anonymous memory from {@code mmap}: zero-filled by the kernel and not touched
 * until used, so creating a large guest costs no memset and untouched pages cost no RAM.
 * Falls back to an {@link Arena} allocation (zeroed eagerly) where mmap is not available.
 */
@SuppressWarnings("restricted")  // mmap/munmap downcalls: the reason this class exists
final class AnonymousMapping implements AutoCloseable {
    private static final int PROT_READ = 1;
    private static final int PROT_WRITE = 2;
    private static final int MAP_PRIVATE = 0x02;
    private static final int MAP_ANONYMOUS = 0x20;
    private static final int MAP_NORESERVE = 0x4000;
    private static final int MADV_HUGEPAGE = 14;
    private static final MethodHandle MMAP;
    private static final MethodHandle MUNMAP;
    private static final MethodHandle MADVISE;

    static {
        MethodHandle mmap = null;
        MethodHandle munmap = null;
        MethodHandle madvise = null;
        try {
            Linker linker = Linker.nativeLinker();
            mmap = linker.downcallHandle(linker.defaultLookup().find("mmap").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG,
                            ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG));
            munmap = linker.downcallHandle(linker.defaultLookup().find("munmap").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
            madvise = linker.downcallHandle(linker.defaultLookup().find("madvise").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
        } catch (RuntimeException | LinkageError e) {
            // not Linux, or native access denied: use the Arena fallback
        }
        MMAP = mmap;
        MUNMAP = munmap;
        MADVISE = madvise;
    }

    private final Arena arena;
    private final MemorySegment segment;
    private final boolean mapped;

    private AnonymousMapping(Arena arena, MemorySegment segment, boolean mapped) {
        this.arena = arena;
        this.segment = segment;
        this.mapped = mapped;
    }

    static AnonymousMapping map(long bytes) {
        Arena arena = Arena.ofShared();
        MemorySegment raw = mmap(bytes);
        if (raw == null) {
            return new AnonymousMapping(arena, arena.allocate(bytes, GuestMemory.PAGE_SIZE), false);
        }
        return new AnonymousMapping(arena, raw.reinterpret(bytes, arena, null), true);
    }

    private static MemorySegment mmap(long bytes) {
        if (MMAP == null) {
            return null;
        }
        try {
            MemorySegment address = (MemorySegment) MMAP.invokeExact(MemorySegment.NULL, bytes,
                    PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0L);
            if (address.address() == -1L) {
                return null;
            }
            adviseHugePages(address, bytes);
            return address;
        } catch (Throwable e) {
            return null;
        }
    }

    /**
     * Asks for transparent huge pages, as QEMU does for guest RAM: one fault and one TLB
     * entry per 2 MiB instead of per 4 KiB, which every pass over guest memory (pre-touch,
     * the socket's copy into it, hashing) feels. Best effort: with THP off, or "always",
     * the kernel's own policy stands. Dirty tracking is a bitmap, not page protection, so
     * it does not care how the memory is mapped.
     */
    private static void adviseHugePages(MemorySegment address, long bytes) {
        if (MADVISE == null) {
            return;
        }
        try {
            int ignored = (int) MADVISE.invokeExact(address, bytes, MADV_HUGEPAGE);
        } catch (Throwable e) {
            // advice only
        }
    }

    MemorySegment segment() {
        return segment;
    }

    /** Closing waits this long at most for an I/O call that holds the memory to return. */
    private static final long CLOSE_WAIT_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(2);

    /**
     * Invalidates every view first (closing the arena), then returns the pages. A socket read
     * straight into this memory (the destination's placed reads) holds the arena while the
     * call runs, and closing a held arena fails: wait for the call to return, bounded.
     */
    @Override
    public void close() {
        long address = segment.address();
        long size = segment.byteSize();
        long deadline = System.nanoTime() + CLOSE_WAIT_NANOS;
        while (true) {
            try {
                arena.close();
                break;
            } catch (IllegalStateException held) {
                if (!arena.scope().isAlive() || System.nanoTime() > deadline) {
                    throw held;
                }
                java.util.concurrent.locks.LockSupport.parkNanos(100_000);
            }
        }
        if (mapped) {
            unmap(address, size);
        }
    }

    private static void unmap(long address, long size) {
        try {
            int rc = (int) MUNMAP.invokeExact(MemorySegment.ofAddress(address), size);
            if (rc != 0) {
                throw new IllegalStateException("munmap failed for " + size + " bytes");
            }
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("munmap failed", e);
        }
    }
}
