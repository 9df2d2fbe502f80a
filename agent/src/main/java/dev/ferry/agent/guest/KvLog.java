package dev.ferry.agent.guest;

import dev.ferry.common.kv.KvOp;
import dev.ferry.common.kv.KvRequest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import java.util.zip.CRC32C;

/**
 * The kv store's log on the guest's disk: every PUT and DEL, appended before the table
 * changes, so the table can be rebuilt from the disk alone. Records follow each other from
 * offset 0; fields are big-endian:
 *
 * <pre>
 * offset  size  field
 *   0       4   length: bytes after the CRC, 5 + keyLen + valueLen; 0 ends the log
 *   4       4   CRC32C of the length field and of every byte after the CRC
 *   8       1   op: 2 PUT, 3 DEL
 *   9       2   keyLen: 1..128
 *  11       2   valueLen: 0..1024, 0 for DEL
 *  13   keyLen  key
 *   .  valueLen value
 * </pre>
 *
 * Each append also writes a zero length after its record (when the disk has room), so a
 * replay stops there even if older bytes follow. Replay stops at a zero length, at a record
 * that does not check (a torn tail: bad CRC, impossible op or lengths) and at the disk's end.
 */
public final class KvLog {
    static final int HEADER = 13;
    private static final int AFTER_CRC = 5;
    private static final int END_MARK = Integer.BYTES;

    /** One logged write: a PUT (key, value) or a DEL (key, empty value). */
    record Record(KvOp op, byte[] key, byte[] value) {}

    private KvLog() {}

    /** Appends a PUT or DEL at {@code offset}; returns where the next record goes. */
    static long append(Disk disk, long offset, KvOp op, byte[] key, byte[] value) throws IOException {
        int size = HEADER + key.length + value.length;
        if (offset + size > disk.capacity()) {
            throw new IOException("disk full: the log is at byte " + offset + " of " + disk.capacity()
                    + " and the record needs " + size + " more");
        }
        ByteBuffer record = ByteBuffer.allocate(size + (offset + size + END_MARK <= disk.capacity() ? END_MARK : 0));
        record.putInt(AFTER_CRC + key.length + value.length).putInt(0);
        record.put((byte) op.code()).putShort((short) key.length).putShort((short) value.length).put(key).put(value);
        record.putInt(Integer.BYTES, crc(record.array(), size));
        disk.write(offset, record.clear());
        return offset + size;
    }

    /** Feeds every record to {@code apply}, oldest first; returns where the log ends. */
    static long replay(Disk disk, Consumer<Record> apply) throws IOException {
        long offset = 0;
        for (Record record = readAt(disk, offset); record != null; record = readAt(disk, offset)) {
            apply.accept(record);
            offset += HEADER + record.key().length + record.value().length;
        }
        return offset;
    }

    /** What the log says the store holds: each key's last PUT unless a DEL followed it. Read-only buffers. */
    public static Map<ByteBuffer, ByteBuffer> contents(Disk disk) throws IOException {
        Map<ByteBuffer, ByteBuffer> contents = new LinkedHashMap<>();
        replay(disk, record -> {
            ByteBuffer key = ByteBuffer.wrap(record.key()).asReadOnlyBuffer();
            if (record.op() == KvOp.PUT) {
                contents.put(key, ByteBuffer.wrap(record.value()).asReadOnlyBuffer());
            } else {
                contents.remove(key);
            }
        });
        return contents;
    }

    /** The record at {@code offset}, or null where the log ends. */
    private static Record readAt(Disk disk, long offset) throws IOException {
        ByteBuffer header = ByteBuffer.allocate(HEADER);
        if (offset + HEADER > disk.capacity() || disk.read(offset, header) < HEADER) {
            return null;
        }
        int length = header.getInt(0);
        KvOp op = opOf(header.get(8));
        int keyLength = header.getShort(9) & 0xFFFF;
        int valueLength = header.getShort(11) & 0xFFFF;
        if (op == null || !plausible(op, keyLength, valueLength) || length != AFTER_CRC + keyLength + valueLength) {
            return null;
        }
        byte[] record = new byte[HEADER + keyLength + valueLength];
        header.get(0, record, 0, HEADER);
        if (disk.read(offset + HEADER, ByteBuffer.wrap(record, HEADER, record.length - HEADER)) < record.length - HEADER
                || crc(record, record.length) != header.getInt(4)) {
            return null;
        }
        return new Record(op, slice(record, HEADER, keyLength), slice(record, HEADER + keyLength, valueLength));
    }

    private static KvOp opOf(byte code) {
        return code == KvOp.PUT.code() ? KvOp.PUT : code == KvOp.DEL.code() ? KvOp.DEL : null;
    }

    private static boolean plausible(KvOp op, int keyLength, int valueLength) {
        return keyLength >= 1 && keyLength <= KvRequest.MAX_KEY && valueLength <= KvRequest.MAX_VALUE
                && (op == KvOp.PUT || valueLength == 0);
    }

    /** CRC32C of a record's first {@code size} bytes, skipping its CRC field. */
    private static int crc(byte[] record, int size) {
        CRC32C crc = new CRC32C();
        crc.update(record, 0, Integer.BYTES);
        crc.update(record, 2 * Integer.BYTES, size - 2 * Integer.BYTES);
        return (int) crc.getValue();
    }

    private static byte[] slice(byte[] bytes, int from, int length) {
        return Arrays.copyOfRange(bytes, from, from + length);
    }
}
