package dev.ferry.common.net;

import java.util.HexFormat;
import java.util.random.RandomGenerator;

/**
 * A 48-bit Ethernet MAC address, held in the low bits of a long.
 *
 * <p>Generated addresses are locally administered unicast ({@code 02:...}): the first octet
 * has the "local" bit set and the multicast bit clear, so they cannot clash with a vendor's.
 */
public record MacAddress(long value) implements Comparable<MacAddress> {
    private static final long MASK = 0xFFFF_FFFF_FFFFL;
    private static final long LOCAL_PREFIX = 0x02L << 40;
    private static final HexFormat HEX = HexFormat.of();

    public MacAddress {
        if ((value & ~MASK) != 0) {
            throw new IllegalArgumentException("a MAC address has 48 bits, got 0x" + Long.toHexString(value));
        }
    }

    /** Parses {@code aa:bb:cc:dd:ee:ff} (or with dashes); the message says what was wrong. */
    public static MacAddress parse(String text) {
        String[] parts = text.trim().split("[:-]");
        if (parts.length != 6) {
            throw new IllegalArgumentException("not a MAC address: '" + text + "' (expected six hex octets, e.g. 02:00:00:00:00:01)");
        }
        long value = 0;
        for (String part : parts) {
            if (part.length() != 2 || !HexFormat.isHexDigit(part.charAt(0)) || !HexFormat.isHexDigit(part.charAt(1))) {
                throw new IllegalArgumentException("not a MAC address: '" + text + "' (octet '" + part + "' is not two hex digits)");
            }
            value = (value << 8) | HEX.fromHexDigits(part);
        }
        MacAddress mac = new MacAddress(value);
        if (mac.isMulticast()) {
            throw new IllegalArgumentException("MAC address " + text + " is a multicast address; a vNIC needs a unicast one");
        }
        return mac;
    }

    /** A random locally administered unicast address. */
    public static MacAddress random(RandomGenerator random) {
        return new MacAddress(LOCAL_PREFIX | (random.nextLong() & 0xFF_FFFF_FFFFL));
    }

    public boolean isMulticast() {
        return ((value >>> 40) & 1) != 0;
    }

    public void writeTo(byte[] into, int offset) {
        for (int i = 0; i < 6; i++) {
            into[offset + i] = (byte) (value >>> (40 - 8 * i));
        }
    }

    public static MacAddress readFrom(byte[] from, int offset) {
        long value = 0;
        for (int i = 0; i < 6; i++) {
            value = (value << 8) | (from[offset + i] & 0xFF);
        }
        return new MacAddress(value);
    }

    @Override
    public int compareTo(MacAddress other) {
        return Long.compare(value, other.value);
    }

    @Override
    public String toString() {
        StringBuilder text = new StringBuilder(17);
        for (int i = 0; i < 6; i++) {
            if (i > 0) {
                text.append(':');
            }
            HEX.toHexDigits(text, (byte) (value >>> (40 - 8 * i)));
        }
        return text.toString();
    }
}
