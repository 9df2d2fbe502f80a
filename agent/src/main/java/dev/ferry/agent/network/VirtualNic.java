package dev.ferry.agent.network;

import com.google.protobuf.ByteString;
import dev.ferry.agent.guest.Nic;
import dev.ferry.common.net.Frame;
import dev.ferry.common.net.MacAddress;
import dev.ferry.proto.v1.VnicState;
import java.util.ArrayDeque;
import java.util.concurrent.locks.LockSupport;

/**
 * A guest's network device: a bounded receive queue the switch fills and the guest drains,
 * and a bounded transmit queue the guest fills and the switch drains. Both queues are device
 * state: {@link #snapshot} copies them into the migration's device state and
 * {@link #restore} rebuilds them on the destination, so a frame in either queue at pause
 * time is neither lost nor sent twice.
 */
public final class VirtualNic implements Nic {
    public static final int QUEUE_LIMIT = 1024;

    /** What became of a frame handed to {@link #deliver}. */
    enum Delivery { DELIVERED, FULL, FROZEN }

    private final MacAddress mac;
    private final ArrayDeque<Frame> rx = new ArrayDeque<>();
    private final ArrayDeque<Frame> tx = new ArrayDeque<>();
    private volatile Thread waiter;
    private volatile Runnable onTransmit = () -> {};
    private boolean frozen;

    public VirtualNic(MacAddress mac) {
        this.mac = mac;
    }

    @Override
    public MacAddress mac() {
        return mac;
    }

    // ---- the guest's side

    @Override
    public synchronized Frame receive() {
        return rx.pollFirst();
    }

    @Override
    public void awaitFrame(long maxNanos) {
        waiter = Thread.currentThread();
        try {
            synchronized (this) {
                if (!rx.isEmpty()) {
                    return;
                }
            }
            LockSupport.parkNanos(this, maxNanos);
        } finally {
            waiter = null;
        }
    }

    @Override
    public boolean transmit(Frame frame) {
        synchronized (this) {
            if (tx.size() >= QUEUE_LIMIT) {
                return false;
            }
            tx.addLast(frame);
        }
        onTransmit.run();
        return true;
    }

    // ---- the host's side

    /** Called when the guest queued a frame; the switch schedules a drain. */
    void onTransmit(Runnable listener) {
        this.onTransmit = listener;
    }

    /**
     * Queues a frame for the guest, unless the queue is full or the vNIC is frozen for a
     * migration (the switch then holds the frame). Checked and done under one lock with
     * {@link #freeze}, so a frame is either in the snapshot or comes back as FROZEN.
     */
    Delivery deliver(Frame frame) {
        synchronized (this) {
            if (frozen) {
                return Delivery.FROZEN;
            }
            if (rx.size() >= QUEUE_LIMIT) {
                return Delivery.FULL;
            }
            rx.addLast(frame);
        }
        Thread sleeping = waiter;
        if (sleeping != null) {
            LockSupport.unpark(sleeping);
        }
        return Delivery.DELIVERED;
    }

    /** The oldest frame the guest sent that has not gone out yet, or null (always null while frozen). */
    synchronized Frame pollTransmitted() {
        return frozen ? null : tx.pollFirst();
    }

    /**
     * The guest is paused for stop-and-copy: from now on nothing enters or leaves the
     * queues, and their contents (returned) travel with the device state. Called by the
     * migration directly: no hand-off to the switch's thread inside the downtime.
     */
    public synchronized VnicState freeze(long epoch) {
        frozen = true;
        return snapshot(epoch);
    }

    /** The migration rolled back: the queues are live again (on the switch's thread, see {@link VirtualSwitch#thaw}). */
    synchronized void unfreeze() {
        frozen = false;
    }

    synchronized boolean frozen() {
        return frozen;
    }

    /** Copies both queues (they stay in place, for a rollback). */
    public synchronized VnicState snapshot(long epoch) {
        VnicState.Builder state = VnicState.newBuilder().setMac(mac.toString()).setEpoch(epoch);
        rx.forEach(f -> state.addRx(ByteString.copyFrom(f.encode())));
        tx.forEach(f -> state.addTx(ByteString.copyFrom(f.encode())));
        return state.build();
    }

    /** Replaces both queues with a snapshot's; throws IllegalArgumentException, changing nothing, if it is malformed. */
    public synchronized void restore(VnicState state) {
        if (!MacAddress.parse(state.getMac()).equals(mac)) {
            throw new IllegalArgumentException("vNIC state is for MAC " + state.getMac() + ", this vNIC is " + mac);
        }
        if (state.getRxCount() > QUEUE_LIMIT || state.getTxCount() > QUEUE_LIMIT) {
            throw new IllegalArgumentException("vNIC state holds more than " + QUEUE_LIMIT + " frames in a queue");
        }
        ArrayDeque<Frame> newRx = new ArrayDeque<>();
        ArrayDeque<Frame> newTx = new ArrayDeque<>();
        state.getRxList().forEach(b -> newRx.add(Frame.decode(b.toByteArray())));
        state.getTxList().forEach(b -> newTx.add(Frame.decode(b.toByteArray())));
        rx.clear();
        rx.addAll(newRx);
        tx.clear();
        tx.addAll(newTx);
    }

    synchronized int received() {
        return rx.size();
    }
}
