package dev.ferry.common.kv;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * A kv guest's reply, carried as a frame payload. Multi-byte fields are big-endian:
 *
 * <pre>
 * offset  size  field
 *  0       1    type      11 OPENED, 12 RESULT, 13 CLOSED, 14 RESET, 15 ERROR
 *  1       8    seq       the request's seq, echoed (0 if a malformed request had none)
 *  9       1    status    0 OK, 1 NOT_FOUND, 2 FAILED
 * 10       2    valueLen  0..1024
 * 12  valueLen  value     GET's value, or UTF-8 text saying why for FAILED and ERROR
 * </pre>
 *
 * The payload is exactly {@code 12 + valueLen} bytes. Only a RESULT carries any status;
 * OPENED, CLOSED and RESET are always OK and empty, an ERROR is always FAILED with its text.
 * Error texts longer than 1024 bytes are cut at a character boundary.
 */
public record KvReply(Type type, long seq, KvStatus status, byte[] value) {
    public static final int HEADER = 12;
    public static final int MAX_VALUE = KvRequest.MAX_VALUE;
    public static final int MAX_ENCODED = HEADER + MAX_VALUE;
    private static final byte[] EMPTY = {};

    public enum Type implements WireCode {
        OPENED(11),
        RESULT(12),
        CLOSED(13),
        /** The guest has no session for the sender: its connection is reset. */
        RESET(14),
        /** The request broke the protocol (malformed, seq gap, no free session). */
        ERROR(15);

        private final int code;

        Type(int code) {
            this.code = code;
        }

        public int code() {
            return code;
        }

        public static Type of(int code) {
            return WireCode.find(values(), code, "kv reply type", "11..15");
        }
    }

    public KvReply {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(value, "value");
        if (value.length > MAX_VALUE) {
            throw new IllegalArgumentException(
                    "kv reply value must be at most " + MAX_VALUE + " bytes, got " + value.length);
        }
        if (type == Type.ERROR ? status != KvStatus.FAILED
                : type != Type.RESULT && (status != KvStatus.OK || value.length != 0)) {
            throw new IllegalArgumentException(type + " reply cannot have status " + status + " and a "
                    + value.length + "-byte value");
        }
    }

    public static KvReply opened(long seq) {
        return new KvReply(Type.OPENED, seq, KvStatus.OK, EMPTY);
    }

    public static KvReply closed(long seq) {
        return new KvReply(Type.CLOSED, seq, KvStatus.OK, EMPTY);
    }

    public static KvReply reset(long seq) {
        return new KvReply(Type.RESET, seq, KvStatus.OK, EMPTY);
    }

    public static KvReply ok(long seq, byte[] value) {
        return new KvReply(Type.RESULT, seq, KvStatus.OK, value);
    }

    public static KvReply notFound(long seq) {
        return new KvReply(Type.RESULT, seq, KvStatus.NOT_FOUND, EMPTY);
    }

    public static KvReply failed(long seq, String reason) {
        return new KvReply(Type.RESULT, seq, KvStatus.FAILED, text(reason));
    }

    public static KvReply error(long seq, String reason) {
        return new KvReply(Type.ERROR, seq, KvStatus.FAILED, text(reason));
    }

    /** The value as UTF-8 text: why a FAILED or ERROR reply failed. */
    public String text() {
        return new String(value, StandardCharsets.UTF_8);
    }

    /** UTF-8 of {@code reason}, cut to the longest whole-character prefix that fits a value. */
    private static byte[] text(String reason) {
        ByteBuffer out = ByteBuffer.allocate(MAX_VALUE);
        StandardCharsets.UTF_8.newEncoder().onMalformedInput(CodingErrorAction.REPLACE)
                .onUnmappableCharacter(CodingErrorAction.REPLACE).encode(CharBuffer.wrap(reason), out, true);
        return Arrays.copyOf(out.array(), out.position());
    }

    public byte[] encode() {
        ByteBuffer out = ByteBuffer.allocate(HEADER + value.length);
        out.put((byte) type.code()).putLong(seq).put((byte) status.code()).putShort((short) value.length);
        return out.put(value).array();
    }

    /** Decodes {@link #encode()}'s form; throws IllegalArgumentException saying what is malformed. */
    public static KvReply decode(byte[] payload) {
        if (payload.length < HEADER) {
            throw new IllegalArgumentException("kv reply of " + payload.length + " bytes is shorter than its "
                    + HEADER + "-byte header");
        }
        ByteBuffer in = ByteBuffer.wrap(payload);
        Type type = Type.of(in.get() & 0xFF);
        long seq = in.getLong();
        KvStatus status = KvStatus.of(in.get() & 0xFF);
        int valueLength = in.getShort() & 0xFFFF;
        if (payload.length != HEADER + valueLength) {
            throw new IllegalArgumentException("kv reply says " + valueLength + " value bytes but carries "
                    + (payload.length - HEADER));
        }
        return new KvReply(type, seq, status, Arrays.copyOfRange(payload, HEADER, payload.length));
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof KvReply r && type == r.type && seq == r.seq && status == r.status
                && Arrays.equals(value, r.value);
    }

    @Override
    public int hashCode() {
        return Objects.hash(type, seq, status, Arrays.hashCode(value));
    }

    /** Sizes only for values; error texts are ours and shown. */
    @Override
    public String toString() {
        String shown = type == Type.ERROR || status == KvStatus.FAILED
                ? " \"" + text() + "\""
                : " value=" + value.length + "B";
        return "KvReply[" + type + " seq=" + seq + " " + status + shown + "]";
    }
}
