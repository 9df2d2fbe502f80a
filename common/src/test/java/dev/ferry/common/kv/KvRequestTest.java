package dev.ferry.common.kv;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class KvRequestTest {
    private static final byte[] KEY = "user:42".getBytes(UTF_8);

    @Test
    void everyKindRoundTrips() {
        List<KvRequest> requests = List.of(KvRequest.open(0), KvRequest.close(Long.MAX_VALUE),
                KvRequest.get(1, KEY), KvRequest.put(-5, KEY, new byte[KvRequest.MAX_VALUE]),
                KvRequest.put(2, new byte[KvRequest.MAX_KEY], new byte[0]), KvRequest.del(3, KEY));
        for (KvRequest request : requests) {
            assertEquals(request, KvRequest.decode(request.encode()), request.toString());
        }
    }

    @Test
    void layoutIsTheDocumentedOne() {
        byte[] bytes = KvRequest.put(0x0102030405060708L, new byte[] {'k'}, new byte[] {'v', 'w'}).encode();
        assertArrayEquals(new byte[] {2, 1, 2, 3, 4, 5, 6, 7, 8, 2, 0, 1, 0, 2, 'k', 'v', 'w'}, bytes);
        assertEquals(KvRequest.MAX_ENCODED, KvRequest.put(1, new byte[128], new byte[1024]).encode().length);
    }

    @Test
    void shortPayloadIsRefused() {
        byte[] header = Arrays.copyOf(KvRequest.open(1).encode(), KvRequest.HEADER - 1);
        assertMalformed(header, "shorter than its 14-byte header");
        assertMalformed(new byte[0], "shorter");
    }

    @Test
    void unknownTypeOrOpIsRefused() {
        byte[] bytes = KvRequest.get(1, KEY).encode();
        bytes[0] = 9;
        assertMalformed(bytes, "unknown kv request type 9");
        bytes = KvRequest.get(1, KEY).encode();
        bytes[9] = 4;
        assertMalformed(bytes, "unknown kv op 4");
        bytes[9] = 0;
        assertMalformed(bytes, "a CALL needs an op");
    }

    @Test
    void lengthsThatDoNotMatchThePayloadAreRefused() {
        byte[] bytes = KvRequest.put(1, KEY, new byte[3]).encode();
        assertMalformed(Arrays.copyOf(bytes, bytes.length - 1), "says 7 key and 3 value bytes but carries 9");
        assertMalformed(Arrays.copyOf(bytes, bytes.length + 1), "but carries 11");
        bytes[10] = (byte) 0xFF; // keyLen 65287: far more than the payload
        assertMalformed(bytes, "but carries 10");
    }

    @Test
    void keyAndValueLimitsAreEnforcedOnDecode() {
        assertMalformed(callBytes(KvOp.GET, 0, 0), "key must be 1..128 bytes, got 0");
        assertMalformed(callBytes(KvOp.GET, 129, 0), "key must be 1..128 bytes, got 129");
        assertMalformed(callBytes(KvOp.PUT, 1, 1025), "value must be at most 1024 bytes, got 1025");
        assertMalformed(callBytes(KvOp.GET, 1, 1), "GET carries no value");
        assertMalformed(callBytes(KvOp.DEL, 1, 1), "DEL carries no value");
    }

    @Test
    void openAndCloseCarryNothing() {
        byte[] bytes = KvRequest.get(1, KEY).encode();
        bytes[0] = (byte) KvRequest.Type.OPEN.code();
        assertMalformed(bytes, "OPEN carries no op, key or value");
        byte[] close = KvRequest.close(1).encode();
        close[9] = (byte) KvOp.DEL.code();
        assertMalformed(close, "CLOSE carries no op");
    }

    @Test
    void constructorRefusesWhatDecodeRefuses() {
        assertThrows(IllegalArgumentException.class, () -> KvRequest.get(1, new byte[0]));
        assertThrows(IllegalArgumentException.class, () -> KvRequest.put(1, KEY, new byte[1025]));
        assertThrows(IllegalArgumentException.class, () -> new KvRequest(KvRequest.Type.OPEN, 1, KvOp.GET, KEY, KEY));
    }

    @Test
    void seqOfReadsWhateverSeqIsThere() {
        assertEquals(77, KvRequest.seqOf(Arrays.copyOf(KvRequest.open(77).encode(), 9)));
        assertEquals(0, KvRequest.seqOf(new byte[8]));
    }

    @Test
    void toStringShowsSizesNotContents() {
        String text = KvRequest.put(4, "secret-key".getBytes(UTF_8), "secret-value".getBytes(UTF_8)).toString();
        assertTrue(text.contains("PUT") && text.contains("10B") && !text.contains("secret"), text);
    }

    /** A CALL with {@code keyLength} and {@code valueLength} bytes, built by hand past the constructor's checks. */
    private static byte[] callBytes(KvOp op, int keyLength, int valueLength) {
        byte[] bytes = new byte[KvRequest.HEADER + keyLength + valueLength];
        bytes[0] = (byte) KvRequest.Type.CALL.code();
        bytes[9] = (byte) op.code();
        bytes[10] = (byte) (keyLength >>> 8);
        bytes[11] = (byte) keyLength;
        bytes[12] = (byte) (valueLength >>> 8);
        bytes[13] = (byte) valueLength;
        return bytes;
    }

    private static void assertMalformed(byte[] payload, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> KvRequest.decode(payload));
        assertTrue(e.getMessage().contains(expected), "message '" + e.getMessage() + "' should say '" + expected + "'");
    }
}
