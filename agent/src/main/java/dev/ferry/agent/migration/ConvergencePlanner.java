package dev.ferry.agent.migration;

import java.util.List;

/**
 * Decides, after each pre-copy round, whether to go on or to stop and copy. Pure: it
 * reads round results and settings, nothing else, so every rule is tested without a
 * guest or a socket.
 *
 * <ul>
 *   <li>Switch over when the remaining dirty bytes at the estimated bandwidth fit the
 *       downtime target and another round would not buy much: the last round no longer
 *       shrank the dirty set by a quarter, or the estimate is already negligible (an eighth
 *       of the target, and at most {@link #NEGLIGIBLE_NANOS}). (Stopping at the first round
 *       that fits, as QEMU does, wastes downtime while rounds still converge fast; a round
 *       costs the guest nothing, the downtime it saves is what clients notice.)</li>
 *   <li>Switch over anyway after the maximum number of rounds.</li>
 *   <li>Stalled: the dirty set has not shrunk below its best for {@code stallRounds}
 *       rounds. Then switch over, or fail if the request says so.</li>
 *   <li>Right before the pause the disk is flushed while the guest still runs; if that flush
 *       alone took longer than the downtime target, the disk is slow right now and the
 *       hand-off flush inside the downtime likely would be too: a few more rounds first
 *       ({@link #afterFlush}).</li>
 * </ul>
 */
public final class ConvergencePlanner {
    public enum Action { CONTINUE, STOP_AND_COPY, FAIL }

    public record Decision(Action action, String reason, long expectedDowntimeNanos, boolean stalled) {}

    /**
     * Below this expected downtime another round is not worth its fixed cost (a bitmap
     * harvest and a round trip, ~1 ms here). Measured: stopping at an eighth of the 50 ms
     * default left ~5 MiB for the last round of a guest dirtying 256 MiB/s, a 12 ms downtime.
     */
    static final long NEGLIGIBLE_NANOS = 1_000_000;
    /**
     * At most this many extra rounds waiting for a quick disk flush. This machine's virtual
     * disk sometimes takes 100-250 ms for an fdatasync, for a few hundred ms at a time (bench
     * run G of session 5: 250 ms before the pause, then 110 ms inside the downtime); a round
     * of a guest that writes its disk takes tens of ms.
     */
    static final int MAX_SLOW_FLUSH_ROUNDS = 3;

    private final MigrationSettings settings;

    public ConvergencePlanner(MigrationSettings settings) {
        this.settings = settings;
    }

    /** The bandwidth estimate: bytes over time of the recent rounds that moved data. */
    public static double bandwidth(List<RoundResult> rounds) {
        long bytes = 0;
        long nanos = 0;
        for (int i = rounds.size() - 1; i >= 0 && i >= rounds.size() - 3; i--) {
            bytes += rounds.get(i).bytesOnWire();
            nanos += rounds.get(i).nanos();
        }
        return nanos == 0 ? 0 : bytes * 1e9 / nanos;
    }

    public static long expectedDowntimeNanos(long remainingBytes, double bandwidth) {
        if (remainingBytes == 0) {
            return 0;
        }
        return bandwidth <= 0 ? Long.MAX_VALUE : (long) (remainingBytes * 1e9 / bandwidth);
    }

    public Decision next(List<RoundResult> rounds) {
        RoundResult last = rounds.getLast();
        long expected = expectedDowntimeNanos(last.remainingBytes(), bandwidth(rounds));
        boolean stalled = isStalled(rounds);
        long target = settings.maxDowntime().toNanos();
        if (converged(rounds, expected)) {
            return new Decision(Action.STOP_AND_COPY, "remaining dirty memory fits the downtime target", expected, stalled);
        }
        if (rounds.size() >= settings.maxRounds()) {
            return new Decision(Action.STOP_AND_COPY, "reached the maximum of " + settings.maxRounds() + " rounds", expected, stalled);
        }
        if (stalled) {
            return settings.failOnStall()
                    ? new Decision(Action.FAIL, stallMessage(), expected, true)
                    : new Decision(Action.STOP_AND_COPY, stallMessage() + "; stopping anyway", expected, true);
        }
        return new Decision(Action.CONTINUE, expected <= target ? "fits the downtime target, still converging"
                : "dirty memory still above the downtime target", expected, false);
    }

    /**
     * What to do after the flush right before the pause took {@code flushNanos}, given the
     * decision {@code stop} to stop and copy, and {@code rounds} so far (the last
     * {@code slowFlushes} of them extra rounds already run for a slow flush): one more
     * round while the disk is slower than the whole downtime target, unless the stop did not
     * come from converging (a stall, the maximum of rounds), the maximum is reached, or the
     * extra rounds are used up.
     */
    public Decision afterFlush(List<RoundResult> rounds, Decision stop, long flushNanos, int slowFlushes) {
        // the rounds the stop was decided on: the extra rounds since are the last slowFlushes
        List<RoundResult> decidedOn = rounds.subList(0, rounds.size() - slowFlushes);
        if (stop.action() != Action.STOP_AND_COPY || !converged(decidedOn, stop.expectedDowntimeNanos())
                || rounds.size() >= settings.maxRounds() || slowFlushes >= MAX_SLOW_FLUSH_ROUNDS
                || flushNanos <= settings.maxDowntime().toNanos()) {
            return stop;
        }
        return new Decision(Action.CONTINUE, "the disk flush took " + flushNanos / 1_000_000
                + " ms, longer than the downtime target: one more round before the pause", stop.expectedDowntimeNanos(), false);
    }

    /** The remaining dirty memory fits the target and another round would not buy much (see the class comment). */
    private boolean converged(List<RoundResult> rounds, long expectedNanos) {
        long target = settings.maxDowntime().toNanos();
        return expectedNanos <= target && (expectedNanos <= Math.min(target / 8, NEGLIGIBLE_NANOS) || !stillShrinking(rounds));
    }

    /** The last round cut the dirty set to under three quarters of the round before (round 0: assumed). */
    static boolean stillShrinking(List<RoundResult> rounds) {
        if (rounds.size() < 2) {
            return true;
        }
        return rounds.getLast().dirtyPagesAfter() * 4 < rounds.get(rounds.size() - 2).dirtyPagesAfter() * 3;
    }

    private String stallMessage() {
        return "pre-copy is not converging: the dirty set has not shrunk for " + settings.stallRounds() + " rounds";
    }

    /** No round among the last {@code stallRounds} got below the best dirty count before them. */
    boolean isStalled(List<RoundResult> rounds) {
        int window = settings.stallRounds();
        if (rounds.size() <= window) {
            return false;
        }
        long bestBefore = Long.MAX_VALUE;
        for (int i = 0; i < rounds.size() - window; i++) {
            bestBefore = Math.min(bestBefore, rounds.get(i).dirtyPagesAfter());
        }
        for (int i = rounds.size() - window; i < rounds.size(); i++) {
            if (rounds.get(i).dirtyPagesAfter() < bestBefore) {
                return false;
            }
        }
        return true;
    }
}
