package dev.ferry.agent.migration;

import dev.ferry.common.memory.GuestMemory;
import java.nio.ByteBuffer;

/**
 * The page data of one received frame as the socket delivered it (one or more buffers,
 * split anywhere), read page by page into guest memory.
 */
final class ReceivedData {
    private final ByteBuffer[] parts;
    private int part;
    private int position;

    ReceivedData(ByteBuffer[] parts) {
        this.parts = parts;
        this.position = parts.length == 0 ? 0 : parts[0].position();
    }

    void copyNextPage(GuestMemory memory, long to) {
        int left = GuestMemory.PAGE_SIZE;
        while (left > 0) {
            ByteBuffer current = parts[part];
            int n = Math.min(left, current.limit() - position);
            memory.store(to + GuestMemory.PAGE_SIZE - left, current, position, n);
            left -= n;
            position += n;
            if (position == current.limit() && part + 1 < parts.length) {
                part++;
                position = parts[part].position();
            }
        }
    }
}
