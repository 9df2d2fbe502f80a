package dev.ferry.common.kv;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class KvReplyTest {

    @Test
    void everyKindRoundTrips() {
        List<KvReply> replies = List.of(KvReply.opened(0), KvReply.closed(3), KvReply.reset(-1),
                KvReply.ok(4, new byte[KvReply.MAX_VALUE]), KvReply.ok(5, new byte[0]), KvReply.notFound(6),
                KvReply.failed(7, "disk full"), KvReply.error(8, "seq gap"));
        for (KvReply reply : replies) {
            assertEquals(reply, KvReply.decode(reply.encode()), reply.toString());
        }
    }

    @Test
    void layoutIsTheDocumentedOne() {
        byte[] bytes = KvReply.ok(0x0102030405060708L, new byte[] {'v'}).encode();
        assertArrayEquals(new byte[] {12, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 1, 'v'}, bytes);
        assertEquals(KvReply.MAX_ENCODED, KvReply.ok(1, new byte[1024]).encode().length);
    }

    @Test
    void errorTextIsUtf8AndCutAtACharacterBoundary() {
        assertEquals("clé absente", KvReply.decode(KvReply.failed(1, "clé absente").encode()).text());
        KvReply cut = KvReply.error(1, "é".repeat(600)); // 1200 bytes of two-byte characters
        assertEquals(KvReply.MAX_VALUE, cut.value().length);
        assertEquals("é".repeat(512), cut.text());
        KvReply odd = KvReply.error(1, "x" + "é".repeat(600)); // the 1024th byte would split an é
        assertEquals(1023, odd.value().length);
    }

    @Test
    void malformedRepliesAreRefused() {
        assertMalformed(new byte[KvReply.HEADER - 1], "shorter than its 12-byte header");
        byte[] bytes = KvReply.ok(1, "v".getBytes(UTF_8)).encode();
        assertMalformed(Arrays.copyOf(bytes, bytes.length + 2), "says 1 value bytes but carries 3");
        bytes[0] = 10;
        assertMalformed(bytes, "unknown kv reply type 10");
        bytes = KvReply.ok(1, new byte[0]).encode();
        bytes[9] = 3;
        assertMalformed(bytes, "unknown kv status 3");
        bytes = KvReply.opened(1).encode();
        bytes[9] = (byte) KvStatus.FAILED.code();
        assertMalformed(bytes, "OPENED reply cannot have status FAILED");
    }

    @Test
    void valueAboveTheLimitIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> KvReply.ok(1, new byte[KvReply.MAX_VALUE + 1]));
    }

    private static void assertMalformed(byte[] payload, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> KvReply.decode(payload));
        assertTrue(e.getMessage().contains(expected), "message '" + e.getMessage() + "' should say '" + expected + "'");
    }
}
