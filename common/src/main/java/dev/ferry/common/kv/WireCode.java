package dev.ferry.common.kv;

/** An enum value with the byte that stands for it on the wire. */
interface WireCode {
    int code();

    /** The value of {@code values} whose code is {@code code}; a clear error naming what was expected if none. */
    static <E extends WireCode> E find(E[] values, int code, String what, String expected) {
        for (E value : values) {
            if (value.code() == code) {
                return value;
            }
        }
        throw new IllegalArgumentException("unknown " + what + " " + code + " (expected " + expected + ")");
    }
}
