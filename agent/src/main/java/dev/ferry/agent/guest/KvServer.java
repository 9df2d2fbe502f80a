package dev.ferry.agent.guest;

import dev.ferry.agent.guest.KvHeader.Field;
import dev.ferry.common.kv.KvReply;
import dev.ferry.common.kv.KvRequest;
import dev.ferry.common.net.MacAddress;

/**
 * Answers one request payload: decoding, sessions, sequence numbers and saved replies
 * around the {@link KvStore}. Every answer is decided here and nothing a client sends makes
 * it throw; the caller only transmits. For a CALL, with {@code last} the session's last seq
 * (compared as serial numbers, so a wrap is harmless):
 *
 * <pre>
 * seq == last + 1   execute, save the reply with the seq, answer
 * seq == last       a retransmit: answer the saved reply, execute nothing
 * seq &lt;  last       a stale duplicate: no answer
 * seq &gt;  last + 1   a gap: ERROR, the session unchanged
 * </pre>
 */
final class KvServer {
    private final KvSessions sessions;
    private final KvStore store;
    private final KvHeader header;

    KvServer(KvSessions sessions, KvStore store, KvHeader header) {
        this.sessions = sessions;
        this.store = store;
        this.header = header;
    }

    /** The encoded reply to send back to {@code client}, or null for none. */
    byte[] handle(MacAddress client, byte[] payload) {
        KvRequest request;
        try {
            request = KvRequest.decode(payload);
        } catch (IllegalArgumentException e) {
            return error(KvRequest.seqOf(payload), "malformed request: " + e.getMessage());
        }
        return switch (request.type()) {
            case OPEN -> open(client, request.seq());
            case CALL -> call(client, request);
            case CLOSE -> close(client, request.seq());
        };
    }

    private byte[] open(MacAddress client, long seq) {
        int slot = sessions.find(client);
        slot = slot >= 0 ? slot : sessions.free();
        if (slot < 0) {
            return error(seq, "no free session: all " + KvSessions.SLOTS + " are open; close a connection and retry");
        }
        byte[] reply = KvReply.opened(seq).encode();
        sessions.open(slot, client, seq, reply);
        return reply;
    }

    private byte[] call(MacAddress client, KvRequest call) {
        int slot = sessions.find(client);
        if (slot < 0) {
            return KvReply.reset(call.seq()).encode();
        }
        long ahead = call.seq() - sessions.lastSeq(slot);
        if (ahead == 1) {
            return execute(slot, call);
        }
        if (ahead == 0) {
            return sessions.savedReply(slot);
        }
        return ahead < 0 ? null : error(call.seq(), "seq " + call.seq() + " skips ahead: the next call must have seq "
                + (sessions.lastSeq(slot) + 1) + "; send calls one at a time, in order");
    }

    private byte[] execute(int slot, KvRequest call) {
        byte[] reply = store.execute(call).encode();
        sessions.save(slot, call.seq(), reply);
        header.add(Field.CALLS_EXECUTED, 1);
        return reply;
    }

    private byte[] close(MacAddress client, long seq) {
        int slot = sessions.find(client);
        if (slot < 0) {
            return KvReply.reset(seq).encode();
        }
        sessions.close(slot);
        return KvReply.closed(seq).encode();
    }

    private byte[] error(long seq, String reason) {
        header.add(Field.ERRORS_SENT, 1);
        return KvReply.error(seq, reason).encode();
    }
}
