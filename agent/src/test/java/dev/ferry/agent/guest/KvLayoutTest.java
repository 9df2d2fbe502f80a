package dev.ferry.agent.guest;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ferry.common.memory.GuestMemory;
import org.junit.jupiter.api.Test;

/** The numbers the class comments of Kv, KvSessions and KvTable document. */
class KvLayoutTest {

    @Test
    void theDocumentedLayoutIsTheOneInUse() {
        KvLayout layout = KvLayout.of(KvLayout.MIN_MEMORY_BYTES);
        assertEquals(1064, KvSessions.SLOT);
        assertEquals(1168, KvTable.SLOT);
        assertEquals(GuestMemory.PAGE_SIZE, layout.sessionsBase(), "sessions from page 1");
        assertEquals(68L * GuestMemory.PAGE_SIZE, layout.tableBase(), "table from page 68");
        assertEquals(3352, layout.tableSlots(), "slots in 4 MiB");
        assertEquals(KvHeader.Field.values().length * Long.BYTES, KvHeader.Field.ERRORS_SENT.offset() + Long.BYTES);
    }
}
