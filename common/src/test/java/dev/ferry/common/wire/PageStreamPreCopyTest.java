package dev.ferry.common.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.common.memory.DirtyBitmap;
import dev.ferry.common.memory.GuestMemory;
import dev.ferry.common.memory.PageDigest;
import dev.ferry.common.memory.PageHash;
import dev.ferry.common.memory.ZeroPages;
import dev.ferry.common.testing.Await;
import dev.ferry.common.testing.TrackingAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Pre-copy through the real codec: the source harvests dirty words and builds ZERO_PAGES and
 * PAGES frames with {@link PageFrames} (which hashes what it copies), the frames go through
 * {@link PageStreamFraming} and {@link PageStreamDecoder} in odd-sized chunks, and the
 * destination applies them and hashes what it received. With a guest writing all along, the
 * two digests must agree with each other and with the source's final memory.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class PageStreamPreCopyTest {
    private static final int PAGE = GuestMemory.PAGE_SIZE;
    private static final long MEMORY_BYTES = 16L << 20;

    private static final class Destination {
        final GuestMemory memory;
        final PageDigest received;
        final EmbeddedChannel channel;
        long dataPages;
        long zeroPages;

        Destination(GuestMemory memory, TrackingAllocator alloc) {
            this.memory = memory;
            this.received = PageDigest.ofZeroMemory(memory.pageCount());
            this.channel = new EmbeddedChannel();
            channel.config().setAllocator(alloc);
            channel.pipeline().addLast(new PageStreamFraming(), new PageStreamDecoder());
        }

        /** Feeds one frame in chunks of awkward sizes, then applies whatever was decoded. */
        void receive(ByteBuf frame, SplittableRandom random) {
            while (frame.isReadable()) {
                int chunk = Math.min(frame.readableBytes(), 1 + random.nextInt(50_000));
                channel.writeInbound(frame.readRetainedSlice(chunk));
            }
            frame.release();
            Object msg;
            while ((msg = channel.readInbound()) != null) {
                apply(msg);
            }
        }

        private void apply(Object msg) {
            MemorySegment mem = memory.segment();
            if (msg instanceof PageBatch batch) {
                try {
                    ByteBuf content = batch.content();
                    for (int i = 0; i < batch.count(); i++) {
                        int page = batch.pageIndex(i);
                        long at = (long) page << GuestMemory.PAGE_SHIFT;
                        MemorySegment.copy(MemorySegment.ofBuffer(content.nioBuffer(batch.dataOffset(i), PAGE)), 0,
                                mem, at, PAGE);
                        received.record(page, PageHash.of(mem, at, page));
                        dataPages++;
                    }
                } finally {
                    batch.release();
                }
            } else if (msg instanceof ZeroPageBatch zeros) {
                for (int page : zeros.pages()) {
                    mem.asSlice((long) page << GuestMemory.PAGE_SHIFT, PAGE).fill((byte) 0);
                    received.record(page, PageHash.ofZeroPage(page));
                    zeroPages++;
                }
            } else {
                throw new AssertionError("unexpected message " + msg);
            }
        }
    }

    /** One round on the source: per dirty word one ZERO_PAGES and one PAGES frame. */
    private static void round(GuestMemory source, PageDigest sent, TrackingAllocator alloc, Destination dst,
                              SplittableRandom random) {
        DirtyBitmap bitmap = source.dirtyBitmap();
        int[] data = new int[64];
        int[] zeros = new int[64];
        for (int w = 0; w < bitmap.wordCount(); w++) {
            long bits = bitmap.harvest(w);
            int dataCount = 0;
            int zeroCount = 0;
            while (bits != 0) {
                int page = (w << 6) + Long.numberOfTrailingZeros(bits);
                bits &= bits - 1;
                if (ZeroPages.isZero(source.segment(), (long) page << GuestMemory.PAGE_SHIFT)) {
                    zeros[zeroCount++] = page;
                    sent.record(page, PageHash.ofZeroPage(page));
                } else {
                    data[dataCount++] = page;
                }
            }
            if (zeroCount > 0) {
                dst.receive(PageFrames.zeroPages(alloc, 0, zeros, zeroCount), random);
            }
            if (dataCount > 0) {
                dst.receive(PageFrames.pagesFromMemory(alloc, 0, data, dataCount, source, sent), random);
            }
        }
    }

    @Test
    void digestsAgreeAfterPreCopyThroughTheCodec() throws Exception {
        TrackingAllocator alloc = new TrackingAllocator();
        ExecutorService threads = Executors.newFixedThreadPool(3);
        try (GuestMemory source = GuestMemory.allocate(MEMORY_BYTES);
             GuestMemory target = GuestMemory.allocate(MEMORY_BYTES)) {
            int pages = source.pageCount();
            // half the pages hold data, the rest stay zero (and some become zero again)
            for (int page = 0; page < pages; page += 2) {
                source.fillPage(page, page, 7);
            }
            target.pretouch();
            source.dirtyBitmap().markAll();

            PageDigest sent = PageDigest.ofZeroMemory(pages);
            Destination dst = new Destination(target, alloc);
            AtomicBoolean stopWriters = new AtomicBoolean();
            AtomicBoolean stopSource = new AtomicBoolean();
            AtomicLong rounds = new AtomicLong();
            AtomicLong writes = new AtomicLong();
            SplittableRandom chunks = new SplittableRandom(11);

            Future<?>[] writers = new Future<?>[2];
            for (int id = 0; id < writers.length; id++) {
                long seed = id;
                writers[id] = threads.submit(() -> {
                    SplittableRandom random = new SplittableRandom(seed);
                    while (!stopWriters.get()) {
                        int page = random.nextInt(pages / 4); // a hot quarter of memory
                        switch (random.nextInt(3)) {
                            case 0 -> source.fillPage(page, random.nextLong(), 1);
                            case 1 -> source.fillPage(page, 0, 0); // back to a zero page
                            default -> source.writeLong(((long) page << GuestMemory.PAGE_SHIFT)
                                    + 8L * random.nextInt(PAGE / 8), random.nextLong());
                        }
                        writes.incrementAndGet();
                    }
                });
            }
            // the channel is single-threaded: the source thread owns it until it stops
            Future<?> sender = threads.submit(() -> {
                while (!stopSource.get()) {
                    round(source, sent, alloc, dst, chunks);
                    rounds.incrementAndGet();
                }
            });

            Await.until(() -> rounds.get() >= 3 && writes.get() > 1_000, Duration.ofSeconds(30),
                    () -> "3 rounds under writes (rounds " + rounds.get() + ", writes " + writes.get() + ")");
            stopWriters.set(true);
            for (Future<?> w : writers) {
                w.get(10, TimeUnit.SECONDS);
            }
            stopSource.set(true);
            sender.get(30, TimeUnit.SECONDS);

            round(source, sent, alloc, dst, chunks); // stop-and-copy

            assertTrue(dst.zeroPages > 0 && dst.dataPages > 0, "both frame kinds travelled");
            assertEquals(-1L, source.segment().mismatch(target.segment()), "destination equals source");
            assertEquals(sent.value(), dst.received.value(), "source and destination digests agree");
            assertEquals(PageDigest.of(source.segment()), sent.value(), "and describe the final memory");
            assertEquals(0, sent.countMismatches(source.segment()), "frozen source matches what was sent");
            assertFalse(dst.channel.finishAndReleaseAll(), "nothing left in the channel");
            alloc.assertAllReleased();
        } finally {
            threads.shutdownNow();
            assertTrue(threads.awaitTermination(10, TimeUnit.SECONDS));
        }
    }
}
