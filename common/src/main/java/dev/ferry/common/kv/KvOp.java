package dev.ferry.common.kv;

/** What a CALL asks of the store; {@link #NONE} is the op byte of OPEN and CLOSE. */
public enum KvOp implements WireCode {
    NONE(0),
    GET(1),
    PUT(2),
    DEL(3);

    private final int code;

    KvOp(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    public static KvOp of(int code) {
        return WireCode.find(values(), code, "kv op", "1 GET, 2 PUT or 3 DEL; 0 in OPEN and CLOSE");
    }
}
