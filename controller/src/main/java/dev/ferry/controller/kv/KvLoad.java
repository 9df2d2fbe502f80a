package dev.ferry.controller.kv;

import dev.ferry.common.config.HostPort;
import dev.ferry.common.kv.KvOp;
import dev.ferry.common.kv.KvReply;
import dev.ferry.common.kv.KvStatus;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A load generator for a kv guest: several clients, each on its own connection (spread over
 * the given ingress hosts) and with its own keys, issue GET/PUT/DEL (back to back, or at a
 * set rate) and check every reply against their own model of the store. Afterwards each
 * reads all its keys back: every acknowledged write must be there. Records every request
 * that waited at least a millisecond for its reply, with wall-clock times, so the waits can
 * be matched with migrations afterwards: the longest wait during a migration is the
 * client-observed blackout. (Back to back, a request's wait is the gap between two replies.)
 */
public final class KvLoad {
    /** What to run. */
    public record Options(String guest, List<HostPort> ingress, int clients, Duration duration, int keysPerClient,
                          int valueBytes, long seed, Duration retransmit, Duration giveUp, double ratePerClient) {
        public Options {
            if (clients < 1 || clients > 256) {
                throw new IllegalArgumentException("clients must be 1-256, got " + clients);
            }
            if (ingress.isEmpty()) {
                throw new IllegalArgumentException("at least one ingress host is needed");
            }
            if (valueBytes < 1 || valueBytes > 1024) {
                throw new IllegalArgumentException("value size must be 1-1024 bytes, got " + valueBytes);
            }
            if (ratePerClient < 0) {
                throw new IllegalArgumentException("rate must be 0 (back to back) or more ops/s per client, got " + ratePerClient);
            }
        }

        /** Back-to-back clients, 64 keys each, values up to 128 bytes. */
        public static Options of(String guest, List<HostPort> ingress, int clients, Duration duration) {
            return new Options(guest, ingress, clients, duration, 64, 128, 42, Duration.ofMillis(500), Duration.ofSeconds(10), 0);
        }

        public Options withRate(double opsPerSecondPerClient) {
            return new Options(guest, ingress, clients, duration, keysPerClient, valueBytes, seed, retransmit, giveUp,
                    opsPerSecondPerClient);
        }
    }

    /** A request that waited for its reply: wall-clock send and reply times, and the wait. */
    public record Wait(int client, long fromMillis, long toMillis, long micros) {
        public double millis() {
            return micros / 1000.0;
        }
    }

    private static final long WAIT_RECORDED_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    private final Options options;
    private final AtomicBoolean stop = new AtomicBoolean();
    private final List<Client> clients = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    /** Calls answered so far, over all clients, for watching the load while it runs. */
    private final java.util.concurrent.atomic.LongAdder answered = new java.util.concurrent.atomic.LongAdder();
    private long startNanos;

    private KvLoad(Options options) {
        this.options = options;
    }

    /** Connects every client, then lets them run until {@link #stop()} or the duration is over. */
    public static KvLoad start(Options options) throws IOException, InterruptedException {
        KvLoad load = new KvLoad(options);
        try {
            for (int i = 0; i < options.clients(); i++) {
                Client client = load.new Client(i, options.ingress().get(i % options.ingress().size()));
                client.connect();
                load.clients.add(client);
            }
        } catch (IOException | InterruptedException | RuntimeException e) {
            load.clients.forEach(Client::disconnect);
            load.group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw e;
        }
        load.startNanos = System.nanoTime();
        for (Client client : load.clients) {
            load.threads.add(Thread.ofPlatform().name("kv-load-" + client.index).daemon().start(client));
        }
        return load;
    }

    public void stop() {
        stop.set(true);
    }

    /** Calls answered so far by all clients (read while the load runs). */
    public long answered() {
        return answered.sum();
    }

    /** Waits for the clients (the duration plus the final read-back), then sums up. */
    public KvLoadResult await() throws InterruptedException {
        long limit = options.duration().toMillis() + options.giveUp().toMillis() * 4 + 60_000;
        for (Thread thread : threads) {
            if (!thread.join(Duration.ofMillis(limit))) {
                stop();
                thread.interrupt();
                thread.join(Duration.ofSeconds(5));
            }
        }
        long elapsed = System.nanoTime() - startNanos;
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        return KvLoadResult.of(clients.stream().map(Client::summary).toList(), elapsed);
    }

    /** One connection and its own part of the key space. */
    final class Client implements Runnable {
        final int index;
        private final HostPort ingress;
        private final Random random;
        private final Map<String, byte[]> model = new HashMap<>();
        /** Keys whose last write was lost or cut off by a reset: it may or may not have been applied. */
        private final Set<String> uncertain = new HashSet<>();
        private final List<Wait> waits = new ArrayList<>();
        private final List<String> problems = new ArrayList<>();
        private KvConnection connection;
        private long ops;
        private long resets;
        private long lost;
        private long wrong;
        private long verified;
        private long retransmits;
        private long duplicates;
        private long notices;
        private long nextSendNanos;

        Client(int index, HostPort ingress) {
            this.index = index;
            this.ingress = ingress;
            this.random = new Random(options.seed() * 1_000_003L + index);
        }

        void connect() throws IOException, InterruptedException {
            SwitchConnection link = SwitchConnection.open(group, ingress, options.guest(), Duration.ofSeconds(5));
            connection = new KvConnection(link, options.retransmit(), options.giveUp());
            try {
                connection.open();
            } catch (IOException | InterruptedException e) {
                link.close();
                throw e;
            }
        }

        @Override
        public void run() {
            long deadline = startNanos + options.duration().toNanos();
            nextSendNanos = System.nanoTime();
            try {
                while (!stop.get() && System.nanoTime() - deadline < 0) {
                    pace();
                    step();
                }
                readBack();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                disconnect();
            }
        }

        /** At a set rate: waits for this client's next slot; after a stall it goes on from now, without a burst. */
        private void pace() {
            if (options.ratePerClient() == 0) {
                return;
            }
            long period = (long) (1e9 / options.ratePerClient());
            long now = System.nanoTime();
            nextSendNanos = Math.max(nextSendNanos + period, now);
            while (!stop.get() && (now = System.nanoTime()) - nextSendNanos < 0) {
                java.util.concurrent.locks.LockSupport.parkNanos(nextSendNanos - now);
            }
        }

        private void step() throws InterruptedException {
            String key = "c" + index + "-k" + random.nextInt(options.keysPerClient());
            int dice = random.nextInt(100);
            KvOp op = dice < 50 ? KvOp.PUT : dice < 85 ? KvOp.GET : KvOp.DEL;
            byte[] value = op == KvOp.PUT ? value(key) : new byte[0];
            KvReply reply = call(op, key, value);
            if (reply == null) {
                return;
            }
            ops++;
            answered.increment();
            check(op, key, value, reply);
        }

        /** One call; null if it was lost or reset (counted, reconnected). */
        private KvReply call(KvOp op, String key, byte[] value) throws InterruptedException {
            long sentNanos = System.nanoTime();
            long sentMillis = System.currentTimeMillis();
            try {
                KvReply reply = connection.call(op, key.getBytes(StandardCharsets.UTF_8), value);
                long waited = System.nanoTime() - sentNanos;
                if (waited >= WAIT_RECORDED_NANOS) {
                    waits.add(new Wait(index, sentMillis, sentMillis + waited / 1_000_000, waited / 1000));
                }
                return reply;
            } catch (KvConnection.ResetException e) {
                resets++;
                problem("reset: " + e.getMessage());
            } catch (KvConnection.LostException e) {
                lost++;
                problem("lost: " + e.getMessage());
            } catch (IOException | IllegalArgumentException e) {
                wrong++;
                problem("bad reply: " + e.getMessage());
            }
            if (op != KvOp.GET) {
                uncertain.add(key);
            }
            reconnect();
            return null;
        }

        private void check(KvOp op, String key, byte[] value, KvReply reply) {
            byte[] expected = model.get(key);
            boolean ok = switch (op) {
                case PUT -> reply.type() == KvReply.Type.RESULT && reply.status() == KvStatus.OK;
                case GET -> uncertain.contains(key) || (expected == null
                        ? reply.type() == KvReply.Type.RESULT && reply.status() == KvStatus.NOT_FOUND
                        : reply.type() == KvReply.Type.RESULT && reply.status() == KvStatus.OK && Arrays.equals(expected, reply.value()));
                case DEL -> reply.type() == KvReply.Type.RESULT && (uncertain.contains(key) ? reply.status() != KvStatus.FAILED
                        : reply.status() == (expected == null ? KvStatus.NOT_FOUND : KvStatus.OK));
                default -> false;
            };
            if (!ok) {
                wrong++;
                problem(op + " " + key + ": got " + reply + ", expected " + (expected == null ? "absent" : expected.length + " bytes"));
            }
            if (op == KvOp.PUT) {
                model.put(key, value);
                uncertain.remove(key);
            } else if (op == KvOp.DEL) {
                model.remove(key);
                uncertain.remove(key);
            }
        }

        /** Every key of this client, read back: acknowledged writes must all be there. */
        private void readBack() throws InterruptedException {
            for (int k = 0; k < options.keysPerClient(); k++) {
                String key = "c" + index + "-k" + k;
                KvReply reply = call(KvOp.GET, key, new byte[0]);
                if (reply == null) {
                    continue;
                }
                check(KvOp.GET, key, new byte[0], reply);
                if (!uncertain.contains(key)) {
                    verified++;
                }
            }
        }

        private byte[] value(String key) {
            byte[] value = new byte[1 + random.nextInt(options.valueBytes())];
            random.nextBytes(value);
            return value;
        }

        private void reconnect() throws InterruptedException {
            disconnect();
            for (int attempt = 0; attempt < 10 && !stop.get(); attempt++) {
                try {
                    connect();
                    return;
                } catch (IOException e) {
                    problem("reconnect: " + e.getMessage());
                    Thread.sleep(200);
                }
            }
        }

        void disconnect() {
            if (connection != null) {
                retransmits += connection.retransmits();
                duplicates += connection.duplicates();
                notices += connection.notices();
                connection.close();
                connection = null;
            }
        }

        private void problem(String text) {
            if (problems.size() < 20) {
                problems.add("client " + index + ": " + text);
            }
        }

        KvLoadResult.ClientSummary summary() {
            Map<String, byte[]> acknowledged = new HashMap<>(model);
            uncertain.forEach(acknowledged::remove);
            return new KvLoadResult.ClientSummary(ops, resets, lost, duplicates, wrong, notices, retransmits, verified,
                    List.copyOf(waits), List.copyOf(problems), acknowledged, Set.copyOf(uncertain));
        }
    }
}
