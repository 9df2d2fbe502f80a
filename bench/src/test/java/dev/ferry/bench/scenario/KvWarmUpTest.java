package dev.ferry.bench.scenario;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** When the kv load counts as warmed up: a full window of one-second rates, none off their mean by over 10 %. */
class KvWarmUpTest {
    @Test
    void aFullFlatWindowIsSettled() {
        assertTrue(KvBlackoutScenario.settled(List.of(13821L, 12668L, 13806L, 14319L)));
    }

    @Test
    void aRateStillClimbingIsNot() {
        assertFalse(KvBlackoutScenario.settled(List.of(3703L, 3802L, 4198L, 5481L)));
        assertFalse(KvBlackoutScenario.settled(List.of(8206L, 8323L, 8400L, 9900L)), "the last second is 14 % above the mean");
    }

    @Test
    void fewerSecondsThanTheWindowOrNoRepliesAreNot() {
        assertFalse(KvBlackoutScenario.settled(List.of(5000L, 5000L, 5000L)));
        assertFalse(KvBlackoutScenario.settled(List.of(0L, 0L, 0L, 0L)));
    }
}
