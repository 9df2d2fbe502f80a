package dev.ferry.common.kv;

/** The outcome a reply reports. */
public enum KvStatus implements WireCode {
    OK(0),
    /** GET or DEL of a key that is not there. */
    NOT_FOUND(1),
    /** The call was executed but failed (disk, store full); the reply's value says why. */
    FAILED(2);

    private final int code;

    KvStatus(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    public static KvStatus of(int code) {
        return WireCode.find(values(), code, "kv status", "0 OK, 1 NOT_FOUND or 2 FAILED");
    }
}
