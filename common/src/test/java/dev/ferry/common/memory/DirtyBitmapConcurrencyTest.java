package dev.ferry.common.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.common.testing.Await;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Pre-copy in miniature: guest threads write through the tracked API while a harvester
 * copies dirty pages to a destination the way a migration does (get-and-clear a word, then
 * copy its pages). After the writers stop, one last pass (stop-and-copy) must leave the
 * destination byte-for-byte equal to the source, and the digest accumulated from the copies
 * must equal a full digest of the source. A write that escaped the bitmap would show here.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class DirtyBitmapConcurrencyTest {
    private static final long MEMORY_BYTES = 64L << 20;
    /** Writers run at least this long, and until the harvester has done a few rounds under them. */
    private static final Duration MIN_RUN = Duration.ofMillis(1_000);
    private static final Duration MAX_RUN = Duration.ofSeconds(30);
    private static final int MIN_ROUNDS_UNDER_WRITES = 3;
    private static final int WRITERS = 3;

    private GuestMemory source;
    private GuestMemory destination;
    private ExecutorService threads;

    @BeforeEach
    void setUp() {
        source = GuestMemory.allocate(MEMORY_BYTES);
        destination = GuestMemory.allocate(MEMORY_BYTES);
        // first touch is slow on these machines: pay it before the clock starts, as a real destination does
        source.pretouch();
        destination.pretouch();
        threads = Executors.newFixedThreadPool(WRITERS + 1);
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        threads.shutdownNow();
        assertTrue(threads.awaitTermination(10, TimeUnit.SECONDS), "test threads did not stop");
        source.close();
        destination.close();
    }

    /** Copies one page source -> destination, as a PAGES frame would, and records its hash. */
    private void copyPage(int page, PageDigest received) {
        long offset = (long) page << GuestMemory.PAGE_SHIFT;
        MemorySegment.copy(source.segment(), offset, destination.segment(), offset, GuestMemory.PAGE_SIZE);
        received.record(page, PageHash.of(destination.segment(), offset, page));
    }

    /** One migration round: harvest each word, then copy each page it names. Returns pages copied. */
    private long round(PageDigest received) {
        DirtyBitmap bitmap = source.dirtyBitmap();
        long copied = 0;
        for (int w = 0; w < bitmap.wordCount(); w++) {
            long bits = bitmap.harvest(w);
            while (bits != 0) {
                copyPage((w << 6) + Long.numberOfTrailingZeros(bits), received);
                bits &= bits - 1;
                copied++;
            }
        }
        return copied;
    }

    /** A guest thread writing pages {@code [0, pages)} until stopped. */
    private Runnable writer(int id, long seed, int pages, AtomicBoolean stop, AtomicLong writes) {
        return () -> {
            SplittableRandom random = new SplittableRandom(seed);
            long sequence = 0;
            while (!stop.get()) {
                for (int i = 0; i < 64; i++) {
                    sequence++;
                    if ((sequence & 1) == 0) {
                        // a whole page, unique per (writer, sequence)
                        source.fillPage(random.nextInt(pages), ((long) id << 56) | sequence, 0x9E3779B97F4A7C15L);
                    } else {
                        // a single aligned long (never crosses a page)
                        long offset = ((long) random.nextInt(pages) << GuestMemory.PAGE_SHIFT)
                                + (long) random.nextInt(GuestMemory.PAGE_SIZE / Long.BYTES) * Long.BYTES;
                        source.writeLong(offset, random.nextLong() | 1);
                    }
                }
                writes.addAndGet(64);
            }
        };
    }

    /**
     * Working sets: all of memory (writes rarely meet a copy), two words of pages (writers and
     * harvester fight over the same words), and one page (every mark meets a set bit or a
     * get-and-clear: the fast path of {@link DirtyBitmap#mark} under constant harvesting).
     */
    @ParameterizedTest(name = "working set of {0} pages")
    @ValueSource(ints = {16_384, 128, 1})
    void preCopyWithConcurrentWritersConverges(int workingSet) throws Exception {
        int pages = source.pageCount();
        PageDigest received = PageDigest.ofZeroMemory(pages);
        source.dirtyBitmap().markAll(); // round 0 sends everything

        AtomicBoolean stopWriters = new AtomicBoolean();
        AtomicBoolean stopHarvester = new AtomicBoolean();
        AtomicLong writes = new AtomicLong();
        AtomicLong rounds = new AtomicLong();
        AtomicLong copiedWhileRunning = new AtomicLong();

        List<Future<?>> writerFutures = new ArrayList<>();
        for (int id = 0; id < WRITERS; id++) {
            writerFutures.add(threads.submit(writer(id, 31L * workingSet + id, workingSet, stopWriters, writes)));
        }
        Future<?> harvester = threads.submit(() -> {
            while (!stopHarvester.get()) {
                copiedWhileRunning.addAndGet(round(received));
                rounds.incrementAndGet();
            }
        });

        long started = System.nanoTime();
        Await.until(() -> rounds.get() >= MIN_ROUNDS_UNDER_WRITES, MAX_RUN,
                () -> MIN_ROUNDS_UNDER_WRITES + " harvest rounds under writes (did " + rounds.get() + ")");
        long remaining = MIN_RUN.toNanos() - (System.nanoTime() - started);
        if (remaining > 0) {
            TimeUnit.NANOSECONDS.sleep(remaining);
        }
        long roundsUnderWrites = rounds.get();
        stopWriters.set(true);
        for (Future<?> f : writerFutures) {
            f.get(10, TimeUnit.SECONDS); // rethrows a writer's failure
        }
        stopHarvester.set(true);
        harvester.get(10, TimeUnit.SECONDS);

        // stop-and-copy: the guest is paused, one last pass
        round(received);

        assertTrue(writes.get() > 1_000, "writers made too little progress: " + writes.get());
        assertTrue(roundsUnderWrites >= MIN_ROUNDS_UNDER_WRITES, "harvester ran only " + roundsUnderWrites + " rounds");
        assertTrue(copiedWhileRunning.get() > pages,
                "round 0 copies every page and later rounds resend dirtied ones; copied " + copiedWhileRunning.get());
        assertEquals(0, source.dirtyBitmap().dirtyPages(), "nothing may be left dirty after stop-and-copy");

        long mismatch = MemorySegment.mismatch(source.segment(), 0, MEMORY_BYTES, destination.segment(), 0, MEMORY_BYTES);
        assertEquals(-1L, mismatch, () -> "destination differs from source at byte " + mismatch
                + " (page " + (mismatch >>> GuestMemory.PAGE_SHIFT) + "): a write escaped the bitmap");
        long full = PageDigest.of(source.segment());
        assertEquals(full, received.value(), "digest of the copies must equal a full digest of the source");
        assertEquals(full, PageDigest.of(destination.segment()));
        assertEquals(0, received.countMismatches(source.segment()));
        assertNotEquals(PageDigest.ofZeroMemory(pages).value(), full, "the writers must have changed memory");
    }

    /** The checks above are not vacuous: a write that bypasses the bitmap is caught by them. */
    @Test
    void untrackedWriteIsDetected() {
        int pages = source.pageCount();
        PageDigest received = PageDigest.ofZeroMemory(pages);
        source.fillPage(7, 1, 1);
        source.writeLong(100L * GuestMemory.PAGE_SIZE + 8, 42);
        source.dirtyBitmap().markAll();
        round(received);
        assertEquals(-1L, source.segment().mismatch(destination.segment()));
        assertEquals(PageDigest.of(source.segment()), received.value());

        long offset = 1234L * GuestMemory.PAGE_SIZE + 16;
        source.segment().set(ValueLayout.JAVA_LONG_UNALIGNED, offset, 99L); // not tracked
        assertEquals(0, round(received), "an untracked write leaves no dirty bit");
        assertEquals(offset, source.segment().mismatch(destination.segment()));
        assertNotEquals(PageDigest.of(source.segment()), received.value());
        assertEquals(1, received.countMismatches(source.segment()));
    }
}
