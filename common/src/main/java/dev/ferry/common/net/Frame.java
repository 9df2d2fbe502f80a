package dev.ferry.common.net;

import java.util.Arrays;

/**
 * One frame on the virtual network: destination and source MAC and a payload, like an
 * Ethernet frame without a type field. Small and immutable; the payload is not copied, so
 * whoever builds a frame must not change the array afterwards.
 *
 * <p>Encoded as {@code dst(6) src(6) length(2) payload}: the form frames take in a vNIC's
 * device state and on the switch's links.
 */
public record Frame(MacAddress destination, MacAddress source, byte[] payload) {
    public static final int MAX_PAYLOAD = 4096;
    public static final int HEADER = 14;

    public Frame {
        if (payload.length > MAX_PAYLOAD) {
            throw new IllegalArgumentException("frame payload of " + payload.length + " bytes exceeds " + MAX_PAYLOAD);
        }
    }

    public byte[] encode() {
        byte[] bytes = new byte[HEADER + payload.length];
        destination.writeTo(bytes, 0);
        source.writeTo(bytes, 6);
        bytes[12] = (byte) (payload.length >>> 8);
        bytes[13] = (byte) payload.length;
        System.arraycopy(payload, 0, bytes, HEADER, payload.length);
        return bytes;
    }

    /** Decodes {@link #encode()}'s form; throws IllegalArgumentException on a malformed frame. */
    public static Frame decode(byte[] bytes) {
        if (bytes.length < HEADER) {
            throw new IllegalArgumentException("frame of " + bytes.length + " bytes is shorter than its " + HEADER + "-byte header");
        }
        int length = ((bytes[12] & 0xFF) << 8) | (bytes[13] & 0xFF);
        if (length != bytes.length - HEADER) {
            throw new IllegalArgumentException("frame says " + length + " payload bytes but carries " + (bytes.length - HEADER));
        }
        return new Frame(MacAddress.readFrom(bytes, 0), MacAddress.readFrom(bytes, 6),
                Arrays.copyOfRange(bytes, HEADER, bytes.length));
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Frame f && destination.equals(f.destination) && source.equals(f.source)
                && Arrays.equals(payload, f.payload);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * destination.hashCode() + source.hashCode()) + Arrays.hashCode(payload);
    }

    @Override
    public String toString() {
        return "Frame[" + source + " -> " + destination + ", " + payload.length + " bytes]";
    }
}
