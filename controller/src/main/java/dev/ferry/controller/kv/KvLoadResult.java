package dev.ferry.controller.kv;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** What a {@link KvLoad} run saw, summed over its clients. */
public record KvLoadResult(long ops, long elapsedNanos, long resets, long lost, long duplicated, long wrong,
                           long notices, long retransmits, long verifiedKeys, List<KvLoad.Wait> waits,
                           List<String> problems, Map<String, byte[]> acknowledged, Set<String> uncertain) {

    /** One client's share. */
    record ClientSummary(long ops, long resets, long lost, long duplicated, long wrong, long notices, long retransmits,
                         long verified, List<KvLoad.Wait> waits, List<String> problems, Map<String, byte[]> acknowledged,
                         Set<String> uncertain) {}

    static KvLoadResult of(List<ClientSummary> clients, long elapsedNanos) {
        List<KvLoad.Wait> waits = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        Map<String, byte[]> acknowledged = new HashMap<>();
        Set<String> uncertain = new HashSet<>();
        long ops = 0, resets = 0, lost = 0, duplicated = 0, wrong = 0, notices = 0, retransmits = 0, verified = 0;
        for (ClientSummary c : clients) {
            ops += c.ops();
            resets += c.resets();
            lost += c.lost();
            duplicated += c.duplicated();
            wrong += c.wrong();
            notices += c.notices();
            retransmits += c.retransmits();
            verified += c.verified();
            waits.addAll(c.waits());
            problems.addAll(c.problems());
            acknowledged.putAll(c.acknowledged());
            uncertain.addAll(c.uncertain());
        }
        waits.sort(Comparator.comparingLong(KvLoad.Wait::fromMillis));
        return new KvLoadResult(ops, elapsedNanos, resets, lost, duplicated, wrong, notices, retransmits, verified,
                List.copyOf(waits), List.copyOf(problems), Map.copyOf(acknowledged), Set.copyOf(uncertain));
    }

    public double opsPerSecond() {
        return elapsedNanos == 0 ? 0 : ops * 1e9 / elapsedNanos;
    }

    /** Resets, lost, duplicated and wrong replies all zero. */
    public boolean clean() {
        return resets == 0 && lost == 0 && duplicated == 0 && wrong == 0;
    }

    /** The longest any request waited for its reply. */
    public double longestWaitMillis() {
        return waits.stream().mapToDouble(KvLoad.Wait::millis).max().orElse(0);
    }

    /**
     * The client-observed blackout of something that happened between {@code fromMillis} and
     * {@code toMillis} (wall clock): the longest wait for a reply that overlaps that window.
     */
    public double blackoutMillis(long fromMillis, long toMillis) {
        return waits.stream().filter(g -> g.toMillis() >= fromMillis && g.fromMillis() <= toMillis)
                .mapToDouble(KvLoad.Wait::millis).max().orElse(0);
    }
}
