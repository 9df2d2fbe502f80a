package dev.ferry.agent.migration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.agent.migration.ConvergencePlanner.Action;
import dev.ferry.agent.migration.ConvergencePlanner.Decision;
import dev.ferry.common.memory.GuestMemory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The planner's rules on hand-built round lists, then a seeded simulation of a guest
 * dirtying memory against a link.
 *
 * <p>Most hand-built rounds move 1000 pages' worth of bytes (4,096,000) in 1 ms, so the
 * bandwidth estimate is 4.096 GB/s and one remaining dirty page costs exactly 1 us of
 * expected downtime: with the 50 ms target, 50,000 dirty pages fit, and 1,000 (1 ms) is
 * negligible: less than an eighth of the target.
 */
@Timeout(10)
class ConvergencePlannerTest {
    private static final long FITS = 50_000;        // pages: expected == target
    private static final long NEGLIGIBLE = 1_000;   // pages: expected == 1 ms, under target / 8

    private static MigrationSettings settings(int maxRounds, boolean failOnStall, int stallRounds) {
        return new MigrationSettings(Duration.ofMillis(50), maxRounds, 2, 0, failOnStall, stallRounds);
    }

    private static final MigrationSettings DEFAULTS = settings(30, false, 5);

    /** Round {@code i} at the fixed 4.096 GB/s, leaving {@code dirtyAfter} pages. */
    private static RoundResult round(int i, long dirtyAfter) {
        return new RoundResult(i, 1000, 0, 4_096_000, 1_000_000, dirtyAfter);
    }

    private static List<RoundResult> rounds(long... dirtyAfter) {
        List<RoundResult> list = new ArrayList<>();
        for (int i = 0; i < dirtyAfter.length; i++) {
            list.add(round(i, dirtyAfter[i]));
        }
        return list;
    }

    private static Decision decide(MigrationSettings settings, long... dirtyAfter) {
        return new ConvergencePlanner(settings).next(rounds(dirtyAfter));
    }

    // ---- switch over when it fits ----------------------------------------------------------

    @Test
    void expectedDowntimeIsRemainingPagesAtTheEstimatedBandwidth() {
        Decision d = decide(DEFAULTS, 100_000, 40_000, 35_000);
        assertEquals(35_000_000L, d.expectedDowntimeNanos());
    }

    @Test
    void switchesOverWhenItFitsAndTheLastRoundNoLongerShrankByAQuarter() {
        Decision d = decide(DEFAULTS, 100_000, 40_000, 35_000);  // 35 ms fits, 35k >= 3/4 of 40k
        assertEquals(Action.STOP_AND_COPY, d.action());
        assertTrue(d.reason().contains("fits the downtime target"), d.reason());
        assertFalse(d.stalled());
    }

    @Test
    void keepsGoingWhileItFitsButRoundsStillShrinkFast() {
        Decision d = decide(DEFAULTS, 100_000, 40_000, 20_000);  // 20 ms fits, but 20k < 3/4 of 40k
        assertEquals(Action.CONTINUE, d.action());
        assertTrue(d.reason().contains("still converging"), d.reason());
        assertEquals(20_000_000L, d.expectedDowntimeNanos());
        assertFalse(d.stalled());
    }

    @Test
    void threeQuartersIsTheShrinkBoundary() {
        assertEquals(Action.STOP_AND_COPY, decide(DEFAULTS, 100_000, 40_000, 30_000).action(), "exactly 3/4: not shrinking");
        assertEquals(Action.CONTINUE, decide(DEFAULTS, 100_000, 40_000, 29_999).action(), "just under 3/4: shrinking");
        assertTrue(ConvergencePlanner.stillShrinking(rounds(40_000, 29_999)));
        assertFalse(ConvergencePlanner.stillShrinking(rounds(40_000, 30_000)));
        assertFalse(ConvergencePlanner.stillShrinking(rounds(40_000, 50_000)));
    }

    @Test
    void aNegligibleEstimateSwitchesOverEvenWhileShrinking() {
        Decision negligible = decide(DEFAULTS, 100_000, 40_000, NEGLIGIBLE);
        assertEquals(Action.STOP_AND_COPY, negligible.action());
        assertEquals(1_000_000L, negligible.expectedDowntimeNanos());
        assertEquals(Action.CONTINUE, decide(DEFAULTS, 100_000, 40_000, NEGLIGIBLE + 1).action());
        assertEquals(Action.CONTINUE, decide(DEFAULTS, 100_000, 40_000, 6_250).action(),
                "an eighth of the 50 ms target is 6 ms: worth another round while rounds shrink");
    }

    @Test
    void aSmallTargetsEighthIsNegligibleBelowTheMillisecond() {
        MigrationSettings fourMs = new MigrationSettings(Duration.ofMillis(4), 30, 2, 0, false, 5);
        assertEquals(Action.STOP_AND_COPY, decide(fourMs, 100_000, 40_000, 500).action(), "0.5 ms = target / 8");
        assertEquals(Action.CONTINUE, decide(fourMs, 100_000, 40_000, 501).action());
    }

    @Test
    void exactlyTheTargetFitsOnePageMoreDoesNot() {
        Decision fits = decide(DEFAULTS, 60_000, 55_000, FITS);
        assertEquals(Action.STOP_AND_COPY, fits.action());
        assertEquals(50_000_000L, fits.expectedDowntimeNanos());
        Decision over = decide(DEFAULTS, 60_000, 55_000, FITS + 1);
        assertEquals(Action.CONTINUE, over.action());
        assertTrue(over.reason().contains("above the downtime target"), over.reason());
    }

    @Test
    void afterRoundZeroShrinkingIsAssumed() {
        assertEquals(Action.CONTINUE, decide(DEFAULTS, 20_000).action(), "fits but not negligible: one more round");
        assertEquals(Action.STOP_AND_COPY, decide(DEFAULTS, NEGLIGIBLE).action());
        assertEquals(Action.STOP_AND_COPY, decide(DEFAULTS, 0).action());
        assertTrue(ConvergencePlanner.stillShrinking(rounds(20_000)));
    }

    @Test
    void nothingDirtyMeansZeroExpectedDowntime() {
        Decision d = decide(DEFAULTS, 100_000, 0);
        assertEquals(Action.STOP_AND_COPY, d.action());
        assertEquals(0, d.expectedDowntimeNanos());
    }

    @Test
    void noMeasuredBandwidthNeverFits() {
        List<RoundResult> unmeasured = List.of(new RoundResult(0, 10, 0, 0, 0, 5));
        Decision d = new ConvergencePlanner(DEFAULTS).next(unmeasured);
        assertEquals(Long.MAX_VALUE, d.expectedDowntimeNanos());
        assertEquals(Action.CONTINUE, d.action());
    }

    // ---- maximum rounds -------------------------------------------------------------------

    @Test
    void switchesOverAtTheMaximumNumberOfRoundsNamingIt() {
        MigrationSettings three = settings(3, true, 5);
        assertEquals(Action.CONTINUE, decide(three, 300_000, 200_000).action());
        Decision d = decide(three, 300_000, 200_000, 190_000);  // 190 ms: does not fit
        assertEquals(Action.STOP_AND_COPY, d.action());
        assertTrue(d.reason().contains("maximum of 3 rounds"), d.reason());
        assertEquals(190_000_000L, d.expectedDowntimeNanos());
    }

    @Test
    void oneRoundMaximumStopsAfterRoundZero() {
        Decision d = decide(settings(1, false, 5), 1_000_000);
        assertEquals(Action.STOP_AND_COPY, d.action());
        assertTrue(d.reason().contains("maximum of 1 rounds"), d.reason());
    }

    @Test
    void fittingWinsOverTheMaximumReason() {
        Decision d = decide(settings(3, false, 5), 300_000, 200_000, NEGLIGIBLE);
        assertEquals(Action.STOP_AND_COPY, d.action());
        assertTrue(d.reason().contains("fits"), d.reason());
    }

    // ---- a slow disk flush right before the pause ------------------------------------------

    private static final long MS = 1_000_000;

    @Test
    void aFlushSlowerThanTheTargetBuysAnotherRoundAtMostThreeTimes() {
        ConvergencePlanner planner = new ConvergencePlanner(DEFAULTS);
        List<RoundResult> done = rounds(300_000, 100_000, NEGLIGIBLE);
        Decision stop = planner.next(done);
        assertEquals(Action.STOP_AND_COPY, stop.action());
        for (int slow = 0; slow < ConvergencePlanner.MAX_SLOW_FLUSH_ROUNDS; slow++) {
            Decision d = planner.afterFlush(done, stop, 250 * MS, slow);
            assertEquals(Action.CONTINUE, d.action(), "extra round " + slow);
            assertTrue(d.reason().contains("disk flush took 250 ms"), d.reason());
            // the extra round: what the guest dirtied during the flush (more than before, shrinking fast)
            done.add(round(done.size(), slow == 0 ? 60_000 : 5_000));
        }
        assertEquals(3, ConvergencePlanner.MAX_SLOW_FLUSH_ROUNDS);
        assertSame(stop, planner.afterFlush(done, stop, 250 * MS, 3), "then the pause anyway");
    }

    @Test
    void aFlushWithinTheTargetLetsThePauseGoAhead() {
        ConvergencePlanner planner = new ConvergencePlanner(DEFAULTS);
        List<RoundResult> done = rounds(300_000, 100_000, NEGLIGIBLE);
        Decision stop = planner.next(done);
        assertSame(stop, planner.afterFlush(done, stop, 50 * MS, 0), "exactly the target");
        assertSame(stop, planner.afterFlush(done, stop, 0, 0), "no disk");
    }

    @Test
    void aConvergedStopIsPutOffEvenWhenTheDirtySetHasPlateaued() {
        // the stall window sees no new best, yet it fits: a converged stop, flagged stalled
        ConvergencePlanner planner = new ConvergencePlanner(settings(30, true, 2));
        List<RoundResult> plateau = rounds(NEGLIGIBLE, NEGLIGIBLE, NEGLIGIBLE);
        Decision stop = planner.next(plateau);
        assertEquals(Action.STOP_AND_COPY, stop.action());
        assertTrue(stop.stalled());
        assertEquals(Action.CONTINUE, planner.afterFlush(plateau, stop, 250 * MS, 0).action());
    }

    @Test
    void aForcedStopIsNotPutOffForTheDisk() {
        ConvergencePlanner planner = new ConvergencePlanner(settings(3, false, 5));
        List<RoundResult> atMaximum = rounds(300_000, 200_000, 190_000);
        Decision maximum = planner.next(atMaximum);
        assertSame(maximum, planner.afterFlush(atMaximum, maximum, 250 * MS, 0), "maximum of rounds");
        ConvergencePlanner stalls = new ConvergencePlanner(settings(30, false, 3));
        List<RoundResult> stalled = rounds(200_000, 100_000, 100_000, 120_000, 100_000);
        Decision anyway = stalls.next(stalled);
        assertTrue(anyway.stalled());
        assertSame(anyway, stalls.afterFlush(stalled, anyway, 250 * MS, 0), "stalled: stopping anyway");
    }

    // ---- stall --------------------------------------------------------------------------

    @Test
    void stalledWhenNoRoundOfTheWindowBeatsTheBestBeforeIt() {
        MigrationSettings fail = settings(30, true, 3);
        // window = the last 3 (100k, 120k, 100k); best before = 100k; none below it
        Decision d = decide(fail, 200_000, 100_000, 100_000, 120_000, 100_000);
        assertEquals(Action.FAIL, d.action());
        assertTrue(d.stalled());
        assertTrue(d.reason().contains("not converging"), d.reason());
        assertTrue(d.reason().contains("3 rounds"), d.reason());
        assertEquals(100_000_000L, d.expectedDowntimeNanos());
    }

    @Test
    void stalledWithoutFailOnStallStopsAnyway() {
        Decision d = decide(settings(30, false, 3), 200_000, 100_000, 100_000, 120_000, 100_000);
        assertEquals(Action.STOP_AND_COPY, d.action());
        assertTrue(d.stalled());
        assertTrue(d.reason().contains("not converging"), d.reason());
        assertTrue(d.reason().contains("stopping anyway"), d.reason());
    }

    @Test
    void oneRoundBelowTheBestInTheWindowIsNotAStall() {
        Decision d = decide(settings(30, true, 3), 200_000, 100_000, 100_000, 99_999, 120_000);
        assertEquals(Action.CONTINUE, d.action());
        assertFalse(d.stalled());
    }

    @Test
    void noStallUntilThereIsARoundBeforeTheWindow() {
        ConvergencePlanner planner = new ConvergencePlanner(settings(30, true, 3));
        assertFalse(planner.isStalled(rounds(200_000, 300_000, 400_000)), "only the window itself: nothing to compare to");
        assertTrue(planner.isStalled(rounds(200_000, 300_000, 400_000, 500_000)));
        assertEquals(Action.CONTINUE, planner.next(rounds(200_000, 300_000, 400_000)).action());
        assertEquals(Action.FAIL, planner.next(rounds(200_000, 300_000, 400_000, 500_000)).action());
    }

    @Test
    void growingDirtySetIsAStall() {
        ConvergencePlanner planner = new ConvergencePlanner(settings(30, true, 2));
        assertTrue(planner.isStalled(rounds(100_000, 150_000, 200_000)));
        assertFalse(planner.isStalled(rounds(200_000, 150_000, 100_000)));
    }

    @Test
    void aFittingDecisionStillReportsTheStall() {
        // 30 ms fits, 30k is not below 3/4 of 30k, and the last 2 never beat 30k
        Decision d = decide(settings(30, true, 2), 40_000, 30_000, 30_000, 30_000);
        assertEquals(Action.STOP_AND_COPY, d.action());
        assertTrue(d.reason().contains("fits"), d.reason());
        assertTrue(d.stalled());
    }

    @Test
    void theMaximumRoundsDecisionReportsTheStallFlag() {
        Decision d = decide(settings(4, true, 2), 200_000, 100_000, 100_000, 100_000);
        assertEquals(Action.STOP_AND_COPY, d.action());
        assertTrue(d.reason().contains("maximum of 4 rounds"), d.reason());
        assertTrue(d.stalled());
    }

    // ---- bandwidth and downtime estimate ----------------------------------------------------

    @Test
    void bandwidthIsBytesOverTimeOfTheLastThreeRounds() {
        List<RoundResult> list = List.of(
                new RoundResult(0, 1, 0, 1_000_000_000, 1_000_000, 0),  // 1 TB/s: too old to count
                new RoundResult(1, 1, 0, 1_000, 1_000, 0),              // 1 GB/s
                new RoundResult(2, 1, 0, 3_000, 1_000, 0),              // 3 GB/s
                new RoundResult(3, 1, 0, 2_000, 2_000, 0));             // 1 GB/s
        // (1000 + 3000 + 2000) bytes / 4000 ns: weighted by time, not the mean of the rates (1.67 GB/s)
        assertEquals(1.5e9, ConvergencePlanner.bandwidth(list), 1e-3);
    }

    @Test
    void bandwidthWithFewerThanThreeRoundsUsesThemAll() {
        assertEquals(2e9, ConvergencePlanner.bandwidth(List.of(new RoundResult(0, 1, 0, 4_000, 2_000, 0))), 1e-3);
        assertEquals(1.5e9, ConvergencePlanner.bandwidth(List.of(
                new RoundResult(0, 1, 0, 1_000, 1_000, 0), new RoundResult(1, 1, 0, 2_000, 1_000, 0))), 1e-3);
    }

    @Test
    void bandwidthOfNothingMeasuredIsZero() {
        assertEquals(0, ConvergencePlanner.bandwidth(List.of()));
        assertEquals(0, ConvergencePlanner.bandwidth(List.of(new RoundResult(0, 0, 0, 0, 0, 0))));
    }

    @Test
    void expectedDowntimeEdgeCases() {
        assertEquals(0, ConvergencePlanner.expectedDowntimeNanos(0, 0));
        assertEquals(0, ConvergencePlanner.expectedDowntimeNanos(0, 1e9));
        assertEquals(Long.MAX_VALUE, ConvergencePlanner.expectedDowntimeNanos(4096, 0));
        assertEquals(Long.MAX_VALUE, ConvergencePlanner.expectedDowntimeNanos(4096, -1));
        assertEquals(1_000_000_000L, ConvergencePlanner.expectedDowntimeNanos(1_000_000_000L, 1e9));
        assertEquals(4_096_000L, ConvergencePlanner.expectedDowntimeNanos(4096, 1e6));
        assertEquals(Long.MAX_VALUE, ConvergencePlanner.expectedDowntimeNanos(Long.MAX_VALUE, 1.0), "saturates");
    }

    @Test
    void remainingBytesArePages() {
        assertEquals(3L * GuestMemory.PAGE_SIZE, round(0, 3).remainingBytes());
    }

    // ---- seeded simulation: dirty rate against bandwidth ------------------------------------

    /**
     * A guest dirtying {@code dirtyRate} bytes/s over a working set, sent over a link of
     * {@code bandwidth} bytes/s (jittered by +-10% per round). Round 0 sends all of memory;
     * each later round sends the pages dirtied during the one before. Returns every decision.
     */
    private record Run(List<RoundResult> rounds, List<Decision> decisions, long remainingAtStop, double bandwidth) {
        Decision last() {
            return decisions.getLast();
        }
    }

    private static final long MEMORY_PAGES = (256L << 20) / GuestMemory.PAGE_SIZE;
    private static final long WORKING_SET_PAGES = (64L << 20) / GuestMemory.PAGE_SIZE;
    private static final int FRAME_OVERHEAD_PER_PAGE = 4;  // its index

    private static Run simulate(long seed, double dirtyRate, double bandwidth, MigrationSettings settings) {
        Random random = new Random(seed);
        ConvergencePlanner planner = new ConvergencePlanner(settings);
        List<RoundResult> rounds = new ArrayList<>();
        List<Decision> decisions = new ArrayList<>();
        long toSend = MEMORY_PAGES;
        for (int round = 0; round < 10_000; round++) {
            long bytes = toSend * (GuestMemory.PAGE_SIZE + FRAME_OVERHEAD_PER_PAGE);
            double link = bandwidth * (0.9 + 0.2 * random.nextDouble());
            double seconds = bytes / link;
            double dirtied = dirtyRate * seconds / GuestMemory.PAGE_SIZE * (0.9 + 0.2 * random.nextDouble());
            long dirtyAfter = Math.min(WORKING_SET_PAGES, Math.round(dirtied));
            rounds.add(new RoundResult(round, toSend, 0, bytes, Math.round(seconds * 1e9), dirtyAfter));
            Decision decision = planner.next(rounds);
            decisions.add(decision);
            if (decision.action() != Action.CONTINUE) {
                return new Run(rounds, decisions, dirtyAfter, bandwidth);
            }
            toSend = dirtyAfter;
        }
        throw new AssertionError("the planner never decided: " + rounds.size() + " rounds");
    }

    private static final double MB = 1e6;

    @Test
    void aGuestDirtyingUnderHalfTheBandwidthConverges() {
        MigrationSettings settings = settings(30, true, 5);
        long target = settings.maxDowntime().toNanos();
        double[][] pairs = {{100 * MB, 1000 * MB}, {400 * MB, 1000 * MB}, {49 * MB, 100 * MB},
                            {10 * MB, 125 * MB}, {1 * MB, 50 * MB}, {0, 1000 * MB}};
        for (double[] pair : pairs) {
            for (long seed = 1; seed <= 25; seed++) {
                Run run = simulate(seed, pair[0], pair[1], settings);
                String what = "D=" + pair[0] / MB + " MB/s, B=" + pair[1] / MB + " MB/s, seed " + seed + ": " + run.last();
                assertEquals(Action.STOP_AND_COPY, run.last().action(), what);
                assertTrue(run.last().reason().contains("fits"), what);
                assertTrue(run.last().expectedDowntimeNanos() <= target, what);
                assertTrue(run.rounds().size() <= settings.maxRounds(), what);
                assertTrue(run.decisions().stream().noneMatch(Decision::stalled), what);
                // the real last copy at the worst link jitter stays near the target
                double realNanos = run.remainingAtStop() * (GuestMemory.PAGE_SIZE + FRAME_OVERHEAD_PER_PAGE) * 1e9
                        / (0.9 * run.bandwidth());
                assertTrue(realNanos <= 1.25 * target, what + ", real " + realNanos / 1e6 + " ms");
            }
        }
    }

    @Test
    void aGuestDirtyingFasterThanTheLinkStallsAndFails() {
        MigrationSettings settings = settings(30, true, 5);
        double[][] pairs = {{200 * MB, 100 * MB}, {1200 * MB, 1000 * MB}, {5000 * MB, 125 * MB}, {130 * MB, 100 * MB}};
        for (double[] pair : pairs) {
            for (long seed = 1; seed <= 25; seed++) {
                Run run = simulate(seed, pair[0], pair[1], settings);
                String what = "D=" + pair[0] / MB + " MB/s, B=" + pair[1] / MB + " MB/s, seed " + seed + ": " + run.last();
                assertEquals(Action.FAIL, run.last().action(), what);
                assertTrue(run.last().stalled(), what);
                assertTrue(run.rounds().size() <= settings.maxRounds(), what);
                if (pair[0] >= 1.5 * pair[1]) {  // beyond the jitter: every round refills the working set
                    assertEquals(settings.stallRounds() + 1, run.rounds().size(), "detected promptly: " + what);
                }
            }
        }
    }

    @Test
    void aGuestDirtyingFasterThanTheLinkStopsAnywayWhenAllowed() {
        MigrationSettings settings = settings(30, false, 5);
        for (long seed = 1; seed <= 25; seed++) {
            Run run = simulate(seed, 300 * MB, 100 * MB, settings);
            assertEquals(Action.STOP_AND_COPY, run.last().action(), run.last().toString());
            assertTrue(run.last().stalled());
            assertTrue(run.last().reason().contains("not converging"), run.last().reason());
            assertTrue(run.last().expectedDowntimeNanos() > settings.maxDowntime().toNanos());
        }
    }

    @Test
    void anyDirtyRateEndsWithinTheMaximumRounds() {
        Random pick = new Random(42);
        for (int trial = 0; trial < 300; trial++) {
            double bandwidth = (10 + pick.nextInt(2000)) * MB;
            double dirtyRate = bandwidth * pick.nextDouble() * 2;
            int maxRounds = 1 + pick.nextInt(40);
            int stallRounds = 1 + pick.nextInt(60);
            MigrationSettings settings = new MigrationSettings(Duration.ofMillis(1 + pick.nextInt(300)), maxRounds, 2, 0,
                    pick.nextBoolean(), stallRounds);
            Run run = simulate(pick.nextLong(), dirtyRate, bandwidth, settings);
            String what = "trial " + trial + " " + settings + " D/B=" + dirtyRate / bandwidth + ": " + run.last();
            assertTrue(run.rounds().size() <= maxRounds, what);
            assertTrue(run.decisions().subList(0, run.decisions().size() - 1).stream()
                    .allMatch(d -> d.action() == Action.CONTINUE), what);
            if (run.last().action() == Action.FAIL) {
                assertTrue(settings.failOnStall() && run.last().stalled(), what);
            }
        }
    }
}
