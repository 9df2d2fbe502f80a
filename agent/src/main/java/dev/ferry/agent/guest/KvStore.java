package dev.ferry.agent.guest;

import dev.ferry.agent.guest.KvHeader.Field;
import dev.ferry.agent.guest.KvTable.Probe;
import dev.ferry.common.kv.KvReply;
import dev.ferry.common.kv.KvRequest;
import java.io.IOException;

/**
 * Executes a CALL against the table. A PUT or DEL is logged to the disk first and changes
 * the table only once the log write succeeded, so the log always holds every change the
 * table has: a FAILED reply leaves both as they were.
 */
final class KvStore {
    private static final byte[] EMPTY = {};

    private final KvTable table;
    private final KvHeader header;
    private final Disk disk;

    KvStore(KvTable table, KvHeader header, Disk disk) {
        this.table = table;
        this.header = header;
        this.disk = disk;
    }

    KvReply execute(KvRequest call) {
        return switch (call.op()) {
            case GET -> get(call);
            case PUT -> put(call);
            case DEL -> del(call);
            case NONE -> throw new IllegalArgumentException("a CALL needs an op; decode lets none through");
        };
    }

    private KvReply get(KvRequest call) {
        byte[] value = table.get(call.key());
        return value == null ? KvReply.notFound(call.seq()) : KvReply.ok(call.seq(), value);
    }

    private KvReply put(KvRequest call) {
        Probe probe = table.probe(call.key());
        if (!probe.hasRoom()) {
            return KvReply.failed(call.seq(), table.fullReason());
        }
        try {
            log(call);
        } catch (IOException e) {
            return diskFailed(call, e);
        }
        table.put(probe, call.key(), call.value());
        return KvReply.ok(call.seq(), EMPTY);
    }

    private KvReply del(KvRequest call) {
        Probe probe = table.probe(call.key());
        if (!probe.found()) {
            return KvReply.notFound(call.seq()); // nothing changes, so nothing to log
        }
        try {
            log(call);
        } catch (IOException e) {
            return diskFailed(call, e);
        }
        table.remove(probe);
        return KvReply.ok(call.seq(), EMPTY);
    }

    private void log(KvRequest call) throws IOException {
        long end = KvLog.append(disk, header.get(Field.LOG_END), call.op(), call.key(), call.value());
        header.set(Field.LOG_END, end);
    }

    private static KvReply diskFailed(KvRequest call, IOException e) {
        String kind = e instanceof Disk.DiskNotOwnedException ? "disk not owned by this host" : "disk write failed";
        return KvReply.failed(call.seq(), kind + ": " + e.getMessage());
    }
}
