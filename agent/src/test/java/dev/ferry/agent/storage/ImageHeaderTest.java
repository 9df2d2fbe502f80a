package dev.ferry.agent.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class ImageHeaderTest {
    private static final ImageHeader HEADER =
            new ImageHeader(UUID.randomUUID(), 1 << 20, Instant.ofEpochMilli(1_700_000_000_123L), "web-1");

    @Test
    void decodesWhatItEncodes() throws Exception {
        ByteBuffer bytes = HEADER.encode();
        assertEquals(ImageHeader.SIZE, bytes.remaining());
        assertEquals("FERRYIMG", StandardCharsets.US_ASCII.decode(bytes.slice(0, 8)).toString());
        assertEquals(HEADER, ImageHeader.decode(bytes));
    }

    @Test
    void aFlippedByteIsADamagedHeader() {
        ByteBuffer bytes = HEADER.encode();
        bytes.put(30, (byte) (bytes.get(30) ^ 1)); // inside the data size
        var e = assertThrows(ImageHeader.BadHeaderException.class, () -> ImageHeader.decode(bytes));
        assertTrue(e.getMessage().contains("checksum"), e.getMessage());
    }

    @Test
    void zerosAreNotAFerryHeader() {
        var e = assertThrows(ImageHeader.BadHeaderException.class,
                () -> ImageHeader.decode(ByteBuffer.allocate(ImageHeader.SIZE)));
        assertTrue(e.getMessage().contains("FERRYIMG"), e.getMessage());
    }

    @Test
    void fewerThanAPageIsNotAFerryHeader() {
        ByteBuffer bytes = HEADER.encode().limit(100);
        var e = assertThrows(ImageHeader.BadHeaderException.class, () -> ImageHeader.decode(bytes));
        assertTrue(e.getMessage().contains("shorter"), e.getMessage());
    }
}
