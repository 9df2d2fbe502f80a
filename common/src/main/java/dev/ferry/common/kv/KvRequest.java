package dev.ferry.common.kv;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Objects;

/**
 * A client's request to a kv guest, carried as a frame payload. Multi-byte fields are
 * big-endian (network order, as in {@link dev.ferry.common.net.Frame}):
 *
 * <pre>
 * offset  size  field
 *  0       1    type      1 OPEN, 2 CALL, 3 CLOSE
 *  1       8    seq       see the package comment for what it means per type
 *  9       1    op        1 GET, 2 PUT, 3 DEL; 0 for OPEN and CLOSE
 * 10       2    keyLen    1..128 for a CALL; 0 for OPEN and CLOSE
 * 12       2    valueLen  0..1024 for PUT; 0 otherwise
 * 14    keyLen  key
 *  .  valueLen  value
 * </pre>
 *
 * The payload is exactly {@code 14 + keyLen + valueLen} bytes. The arrays are not copied:
 * whoever builds a request must not change them afterwards.
 */
public record KvRequest(Type type, long seq, KvOp op, byte[] key, byte[] value) {
    public static final int HEADER = 14;
    public static final int MAX_KEY = 128;
    public static final int MAX_VALUE = 1024;
    public static final int MAX_ENCODED = HEADER + MAX_KEY + MAX_VALUE;
    private static final byte[] EMPTY = {};

    public enum Type implements WireCode {
        OPEN(1),
        CALL(2),
        CLOSE(3);

        private final int code;

        Type(int code) {
            this.code = code;
        }

        public int code() {
            return code;
        }

        public static Type of(int code) {
            return WireCode.find(values(), code, "kv request type", "1 OPEN, 2 CALL or 3 CLOSE");
        }
    }

    public KvRequest {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(op, "op");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
        if (type == Type.CALL) {
            checkCall(op, key, value);
        } else if (op != KvOp.NONE || key.length != 0 || value.length != 0) {
            throw new IllegalArgumentException(type + " carries no op, key or value; got op " + op + ", "
                    + key.length + "-byte key, " + value.length + "-byte value");
        }
    }

    private static void checkCall(KvOp op, byte[] key, byte[] value) {
        if (op == KvOp.NONE) {
            throw new IllegalArgumentException("a CALL needs an op: GET, PUT or DEL");
        }
        if (key.length < 1 || key.length > MAX_KEY) {
            throw new IllegalArgumentException("kv key must be 1.." + MAX_KEY + " bytes, got " + key.length);
        }
        if (op == KvOp.PUT ? value.length > MAX_VALUE : value.length != 0) {
            throw new IllegalArgumentException(op == KvOp.PUT
                    ? "kv value must be at most " + MAX_VALUE + " bytes, got " + value.length
                    : op + " carries no value, got " + value.length + " bytes");
        }
    }

    public static KvRequest open(long seq) {
        return new KvRequest(Type.OPEN, seq, KvOp.NONE, EMPTY, EMPTY);
    }

    public static KvRequest close(long seq) {
        return new KvRequest(Type.CLOSE, seq, KvOp.NONE, EMPTY, EMPTY);
    }

    public static KvRequest get(long seq, byte[] key) {
        return new KvRequest(Type.CALL, seq, KvOp.GET, key, EMPTY);
    }

    public static KvRequest put(long seq, byte[] key, byte[] value) {
        return new KvRequest(Type.CALL, seq, KvOp.PUT, key, value);
    }

    public static KvRequest del(long seq, byte[] key) {
        return new KvRequest(Type.CALL, seq, KvOp.DEL, key, EMPTY);
    }

    public byte[] encode() {
        ByteBuffer out = ByteBuffer.allocate(HEADER + key.length + value.length);
        out.put((byte) type.code()).putLong(seq).put((byte) op.code());
        out.putShort((short) key.length).putShort((short) value.length);
        return out.put(key).put(value).array();
    }

    /** Decodes {@link #encode()}'s form; throws IllegalArgumentException saying what is malformed. */
    public static KvRequest decode(byte[] payload) {
        if (payload.length < HEADER) {
            throw new IllegalArgumentException("kv request of " + payload.length + " bytes is shorter than its "
                    + HEADER + "-byte header");
        }
        ByteBuffer in = ByteBuffer.wrap(payload);
        Type type = Type.of(in.get() & 0xFF);
        long seq = in.getLong();
        KvOp op = KvOp.of(in.get() & 0xFF);
        int keyLength = in.getShort() & 0xFFFF;
        int valueLength = in.getShort() & 0xFFFF;
        if (payload.length != HEADER + keyLength + valueLength) {
            throw new IllegalArgumentException("kv request says " + keyLength + " key and " + valueLength
                    + " value bytes but carries " + (payload.length - HEADER));
        }
        byte[] key = Arrays.copyOfRange(payload, HEADER, HEADER + keyLength);
        return new KvRequest(type, seq, op, key, Arrays.copyOfRange(payload, HEADER + keyLength, payload.length));
    }

    /** The seq of a payload that may be malformed, to echo in an ERROR reply; 0 if it has none. */
    public static long seqOf(byte[] payload) {
        return payload.length < 1 + Long.BYTES ? 0 : ByteBuffer.wrap(payload, 1, Long.BYTES).getLong();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof KvRequest r && type == r.type && seq == r.seq && op == r.op
                && Arrays.equals(key, r.key) && Arrays.equals(value, r.value);
    }

    @Override
    public int hashCode() {
        return Objects.hash(type, seq, op, Arrays.hashCode(key), Arrays.hashCode(value));
    }

    /** Sizes only: keys and values are client data and stay out of logs. */
    @Override
    public String toString() {
        return "KvRequest[" + type + " seq=" + seq + (type == Type.CALL
                ? " " + op + " key=" + key.length + "B value=" + value.length + "B]" : "]");
    }
}
