package dev.ferry.agent.storage;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.UUID;
import java.util.zip.CRC32C;

/**
 * The first 4096 bytes of a disk image: what the preflight compares a {@code DiskSpec} with.
 * One page, so the data area stays page-aligned. Layout (big-endian):
 *
 * <pre>
 *    0  magic "FERRYIMG"          8 bytes
 *    8  format version            int
 *   12  image id (UUID)           2 longs
 *   28  data size in bytes        long
 *   36  created, epoch millis     long
 *   44  guest name length         short, then that many UTF-8 bytes (at most 255)
 * 4092  CRC32C of bytes 0..4091   int
 * </pre>
 *
 * The CRC tells a torn or scribbled header from a different image, which the id alone cannot.
 */
record ImageHeader(UUID id, long dataSize, Instant created, String guestName) {
    static final int SIZE = 4096;
    static final int VERSION = 1;
    static final int MAX_NAME_BYTES = 255;

    private static final byte[] MAGIC = "FERRYIMG".getBytes(StandardCharsets.US_ASCII);
    private static final int CRC_OFFSET = SIZE - Integer.BYTES;

    ImageHeader {
        if (guestName.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES) {
            throw new IllegalArgumentException("guest name longer than " + MAX_NAME_BYTES + " bytes: " + guestName);
        }
    }

    /** The header as {@link #SIZE} bytes, ready to write at offset 0. */
    ByteBuffer encode() {
        ByteBuffer out = ByteBuffer.allocate(SIZE);
        byte[] name = guestName.getBytes(StandardCharsets.UTF_8);
        out.put(MAGIC).putInt(VERSION)
                .putLong(id.getMostSignificantBits()).putLong(id.getLeastSignificantBits())
                .putLong(dataSize).putLong(created.toEpochMilli())
                .putShort((short) name.length).put(name);
        out.putInt(CRC_OFFSET, crc(out));
        return out.clear();
    }

    /**
     * Reads a header from the {@link #SIZE} bytes at {@code in}'s position; the exception's
     * message says why these bytes are not a usable Ferry header, in a phrase that fits after
     * "the file is not a Ferry disk image: ".
     */
    static ImageHeader decode(ByteBuffer in) throws BadHeaderException {
        if (in.remaining() < SIZE) {
            throw new BadHeaderException("it is shorter than a Ferry image header (" + SIZE + " bytes)");
        }
        ByteBuffer header = in.slice(in.position(), SIZE);
        if (!header.slice(0, MAGIC.length).equals(ByteBuffer.wrap(MAGIC))) {
            throw new BadHeaderException("it does not start with the FERRYIMG magic");
        }
        if (header.getInt(CRC_OFFSET) != crc(header)) {
            throw new BadHeaderException("its header checksum does not match (a damaged header)");
        }
        int version = header.getInt(MAGIC.length);
        if (version != VERSION) {
            throw new BadHeaderException("it is format version " + version + " and this agent reads version "
                    + VERSION + " (run the same Ferry version on every agent)");
        }
        return fields(header.position(MAGIC.length + Integer.BYTES));
    }

    private static ImageHeader fields(ByteBuffer header) throws BadHeaderException {
        UUID id = new UUID(header.getLong(), header.getLong());
        long dataSize = header.getLong();
        Instant created = Instant.ofEpochMilli(header.getLong());
        int nameLength = Short.toUnsignedInt(header.getShort());
        if (nameLength > MAX_NAME_BYTES) {
            throw new BadHeaderException("its guest name field is " + nameLength + " bytes long");
        }
        byte[] name = new byte[nameLength];
        header.get(name);
        return new ImageHeader(id, dataSize, created, new String(name, StandardCharsets.UTF_8));
    }

    private static int crc(ByteBuffer header) {
        CRC32C crc = new CRC32C();
        crc.update(header.slice(0, CRC_OFFSET));
        return (int) crc.getValue();
    }

    /** Bytes that are not a Ferry image header; the message says why. */
    static final class BadHeaderException extends Exception {
        BadHeaderException(String reason) {
            super(reason);
        }
    }
}
