package dev.ferry.common.memory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class GuestMemoryTest {

    @Test
    void rejectsSizesThatAreNotWholePages() {
        assertThrows(IllegalArgumentException.class, () -> GuestMemory.allocate(0));
        assertThrows(IllegalArgumentException.class, () -> GuestMemory.allocate(-GuestMemory.PAGE_SIZE));
        assertThrows(IllegalArgumentException.class, () -> GuestMemory.allocate(GuestMemory.PAGE_SIZE + 1));
        assertThrows(IllegalArgumentException.class, () -> GuestMemory.checkSize(GuestMemory.MAX_BYTES + GuestMemory.PAGE_SIZE));
    }

    @Test
    void freshMemoryIsZeroAndClean() {
        try (GuestMemory memory = GuestMemory.allocate(1L << 20)) {
            assertEquals(1L << 20, memory.byteSize());
            assertEquals(256, memory.pageCount());
            assertEquals(256, memory.dirtyBitmap().pageCount());
            assertEquals(0, memory.dirtyBitmap().dirtyPages());
            for (int page = 0; page < memory.pageCount(); page++) {
                assertTrue(ZeroPages.isZero(memory.segment(), (long) page << GuestMemory.PAGE_SHIFT), "page " + page);
            }
            assertEquals(0, memory.segment().address() % GuestMemory.PAGE_SIZE, "page-aligned");
        }
    }

    @Test
    void writeLongStoresAndMarksItsPage() {
        try (GuestMemory memory = GuestMemory.allocate(16L * GuestMemory.PAGE_SIZE)) {
            memory.writeLong(3L * GuestMemory.PAGE_SIZE + 16, 0x1122334455667788L);
            assertEquals(0x1122334455667788L, memory.readLong(3L * GuestMemory.PAGE_SIZE + 16));
            assertTrue(memory.dirtyBitmap().isDirty(3));
            assertEquals(1, memory.dirtyBitmap().dirtyPages());
        }
    }

    @Test
    void fillPageWritesTheWholePageAndMarksIt() {
        try (GuestMemory memory = GuestMemory.allocate(4L * GuestMemory.PAGE_SIZE)) {
            memory.fillPage(2, 100, 3);
            for (int i = 0; i < GuestMemory.PAGE_SIZE / Long.BYTES; i++) {
                assertEquals(100 + 3L * i, memory.readLong(2L * GuestMemory.PAGE_SIZE + (long) i * Long.BYTES));
            }
            assertTrue(memory.dirtyBitmap().isDirty(2));
            assertEquals(1, memory.dirtyBitmap().dirtyPages());
            assertTrue(ZeroPages.isZero(memory.segment(), GuestMemory.PAGE_SIZE), "neighbours untouched");
            assertTrue(ZeroPages.isZero(memory.segment(), 3L * GuestMemory.PAGE_SIZE), "neighbours untouched");
        }
    }

    @Test
    void pageIsAViewOfOnePage() {
        try (GuestMemory memory = GuestMemory.allocate(4L * GuestMemory.PAGE_SIZE)) {
            memory.writeLong(GuestMemory.PAGE_SIZE + 8, 7);
            assertEquals(GuestMemory.PAGE_SIZE, memory.page(1).byteSize());
            assertEquals(7, memory.page(1).get(ValueLayout.JAVA_LONG_UNALIGNED, 8));
        }
    }

    @Test
    void untrackedSegmentWritesDoNotMark() {
        try (GuestMemory memory = GuestMemory.allocate(4L * GuestMemory.PAGE_SIZE)) {
            memory.segment().set(ValueLayout.JAVA_LONG_UNALIGNED, 0, 5L);
            assertEquals(0, memory.dirtyBitmap().dirtyPages());
        }
    }

    @Test
    void closeInvalidatesViews() {
        GuestMemory memory = GuestMemory.allocate(4L * GuestMemory.PAGE_SIZE);
        var page = memory.page(0);
        memory.close();
        assertFalse(page.scope().isAlive());
        assertThrows(IllegalStateException.class, () -> page.get(ValueLayout.JAVA_BYTE, 0));
    }

    /**
     * writeLong uses an unaligned layout, so a long may straddle two pages. Both pages change,
     * so both must be marked; otherwise the second page's change is never sent again.
     */
    @Test
    void writeLongAcrossPageBoundaryMarksBothPages() {
        try (GuestMemory memory = GuestMemory.allocate(4L * GuestMemory.PAGE_SIZE)) {
            memory.writeLong(GuestMemory.PAGE_SIZE - 4, -1L);
            assertTrue(memory.dirtyBitmap().isDirty(0));
            assertFalse(ZeroPages.isZero(memory.segment(), GuestMemory.PAGE_SIZE), "the write reached page 1");
            assertTrue(memory.dirtyBitmap().isDirty(1), "page 1 changed but is not dirty");
        }
    }

    @Test
    void writeStoresBytesAndMarksOnlyTheirPage() {
        try (GuestMemory memory = GuestMemory.allocate(4L * GuestMemory.PAGE_SIZE)) {
            byte[] src = {9, 1, 2, 3, 9};
            memory.write(2L * GuestMemory.PAGE_SIZE + 100, src, 1, 3);
            byte[] back = new byte[5];
            memory.read(2L * GuestMemory.PAGE_SIZE + 99, back, 0, 5);
            assertArrayEquals(new byte[] {0, 1, 2, 3, 0}, back, "only src[1, 4) lands, at the offset");
            assertTrue(memory.dirtyBitmap().isDirty(2));
            assertEquals(1, memory.dirtyBitmap().dirtyPages());
        }
    }

    /** Like an unaligned long, a byte range may straddle pages; every page it changes must be marked. */
    @Test
    void writeAcrossPageBoundaryMarksBothPages() {
        try (GuestMemory memory = GuestMemory.allocate(4L * GuestMemory.PAGE_SIZE)) {
            byte[] src = new byte[100];
            Arrays.fill(src, (byte) 7);
            memory.write(2L * GuestMemory.PAGE_SIZE - 50, src, 0, src.length);
            assertTrue(memory.dirtyBitmap().isDirty(1));
            assertTrue(memory.dirtyBitmap().isDirty(2), "page 2 changed but is not dirty");
            assertEquals(2, memory.dirtyBitmap().dirtyPages());
            byte[] back = new byte[100];
            memory.read(2L * GuestMemory.PAGE_SIZE - 50, back, 0, back.length);
            assertArrayEquals(src, back);
        }
    }

    @Test
    void readDoesNotMarkAndEmptyWriteMarksNothing() {
        try (GuestMemory memory = GuestMemory.allocate(4L * GuestMemory.PAGE_SIZE)) {
            memory.read(0, new byte[64], 0, 64);
            memory.write(GuestMemory.PAGE_SIZE, new byte[8], 0, 0);
            assertEquals(0, memory.dirtyBitmap().dirtyPages());
        }
    }

    @Test
    void bulkAccessOutsideTheRegionIsRefused() {
        try (GuestMemory memory = GuestMemory.allocate(GuestMemory.PAGE_SIZE)) {
            assertThrows(IndexOutOfBoundsException.class, () -> memory.write(GuestMemory.PAGE_SIZE - 4, new byte[8], 0, 8));
            assertThrows(IndexOutOfBoundsException.class, () -> memory.read(GuestMemory.PAGE_SIZE - 4, new byte[8], 0, 8));
            assertEquals(0, memory.dirtyBitmap().dirtyPages(), "a refused write marks nothing");
        }
    }
}
