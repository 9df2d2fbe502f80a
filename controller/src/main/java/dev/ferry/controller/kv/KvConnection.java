package dev.ferry.controller.kv;

import dev.ferry.common.kv.KvOp;
import dev.ferry.common.kv.KvReply;
import dev.ferry.common.kv.KvRequest;
import dev.ferry.proto.v1.NoticeCode;
import java.io.IOException;
import java.time.Duration;

/**
 * One kv session over a {@link SwitchConnection}: stop-and-wait, one request in flight,
 * numbered by seq. A request not answered within the retransmit interval is sent again
 * (the guest answers a repeated seq from its saved reply, never applying it twice); one not
 * answered within the give-up time is lost. Counts what a careful client would notice.
 */
public final class KvConnection implements AutoCloseable {
    /** The guest no longer knows this session, or the agent closed the connection. */
    public static final class ResetException extends IOException {
        ResetException(String message) {
            super(message);
        }
    }

    /** No answer within the give-up time, retransmissions included. */
    public static final class LostException extends IOException {
        LostException(String message) {
            super(message);
        }
    }

    /** Soon after a notice (a full queue): the frame was dropped, so send again without waiting long. */
    private static final long RESEND_AFTER_NOTICE_NANOS = Duration.ofMillis(20).toNanos();

    private final SwitchConnection connection;
    private final long retransmitNanos;
    private final long giveUpNanos;
    private long seq;
    private long previousSeq = -1;
    private int previousSends;
    private int previousAnswers;
    private long retransmits;
    private long duplicates;
    private long notices;

    public KvConnection(SwitchConnection connection, Duration retransmit, Duration giveUp) {
        this.connection = connection;
        this.retransmitNanos = retransmit.toNanos();
        this.giveUpNanos = giveUp.toNanos();
    }

    /** Starts the session in the guest (seq 0). */
    public void open() throws IOException, InterruptedException {
        KvReply reply = exchange(KvRequest.open(0));
        if (reply.type() != KvReply.Type.OPENED) {
            throw new IOException("the guest refused the session: " + reply);
        }
    }

    public KvReply get(byte[] key) throws IOException, InterruptedException {
        return exchange(KvRequest.get(++seq, key));
    }

    public KvReply put(byte[] key, byte[] value) throws IOException, InterruptedException {
        return exchange(KvRequest.put(++seq, key, value));
    }

    public KvReply delete(byte[] key) throws IOException, InterruptedException {
        return exchange(KvRequest.del(++seq, key));
    }

    public KvReply call(KvOp op, byte[] key, byte[] value) throws IOException, InterruptedException {
        return switch (op) {
            case GET -> get(key);
            case PUT -> put(key, value);
            case DEL -> delete(key);
            default -> throw new IllegalArgumentException("not a call: " + op);
        };
    }

    private KvReply exchange(KvRequest request) throws IOException, InterruptedException {
        byte[] payload = request.encode();
        long start = System.nanoTime();
        long giveUp = start + giveUpNanos;
        int sends = 1;
        connection.send(payload);
        long resend = start + retransmitNanos;
        while (true) {
            long now = System.nanoTime();
            if (now - giveUp >= 0) {
                remember(request.seq(), sends, 0);
                throw new LostException("no reply to seq " + request.seq() + " within " + giveUpNanos / 1_000_000 + " ms ("
                        + (sends - 1) + " retransmissions)");
            }
            if (now - resend >= 0) {
                connection.send(payload);
                sends++;
                retransmits++;
                resend = now + retransmitNanos;
                continue;
            }
            SwitchConnection.Event event = connection.next(Math.min(resend, giveUp) - now);
            switch (event) {
                case null -> { }
                case SwitchConnection.Closed closed -> throw new ResetException("the agent closed the connection");
                case SwitchConnection.Problem problem -> {
                    notices++;
                    if (problem.notice().getCode() == NoticeCode.BAD_MESSAGE) {
                        throw new ResetException("the switch refused this connection: " + problem.notice().getMessage());
                    }
                    resend = Math.min(resend, System.nanoTime() + RESEND_AFTER_NOTICE_NANOS);
                }
                case SwitchConnection.Payload p -> {
                    KvReply reply = KvReply.decode(p.bytes());
                    if (reply.type() == KvReply.Type.RESET) {
                        throw new ResetException("the guest has no session for this connection (seq " + request.seq() + ")");
                    }
                    if (reply.seq() == request.seq()) {
                        remember(request.seq(), sends, 1);
                        return reply;
                    }
                    countStraggler(reply.seq());
                }
                default -> { }
            }
        }
    }

    /** A reply to an earlier request: expected once per retransmission of it, a duplicate beyond that. */
    private void countStraggler(long replySeq) {
        if (replySeq == previousSeq && ++previousAnswers <= previousSends) {
            return;
        }
        duplicates++;
    }

    private void remember(long requestSeq, int sends, int answers) {
        previousSeq = requestSeq;
        previousSends = sends;
        previousAnswers = answers;
    }

    public long retransmits() {
        return retransmits;
    }

    /** Replies nobody asked for: more answers to a seq than times it was sent, or to a seq older than the last. */
    public long duplicates() {
        return duplicates;
    }

    public long notices() {
        return notices;
    }

    /** Ends the session in the guest, best effort, and closes the connection. */
    @Override
    public void close() {
        try {
            exchangeQuietly();
        } finally {
            connection.close();
        }
    }

    private void exchangeQuietly() {
        try {
            exchange(KvRequest.close(++seq));
        } catch (IOException | RuntimeException e) {
            // the session ends with the connection anyway
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
