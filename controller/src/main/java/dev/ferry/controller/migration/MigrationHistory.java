package dev.ferry.controller.migration;

import dev.ferry.proto.v1.MigrationProgress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Every migration since the controller started, in start order. In memory only: a restarted
 * controller forgets its history (a local journal is planned, see DESIGN.md "Controller").
 */
final class MigrationHistory {

    private final Map<String, MigrationRecord> records = new LinkedHashMap<>();

    synchronized void add(MigrationRecord record) {
        records.put(record.id(), record);
    }

    synchronized boolean contains(String id) {
        return records.containsKey(id);
    }

    synchronized Optional<MigrationRecord> find(String id) {
        return Optional.ofNullable(records.get(id));
    }

    /** Latest progress of each migration, newest first. */
    synchronized List<MigrationProgress> newestFirst() {
        List<MigrationProgress> result = new ArrayList<>();
        records.values().forEach(record -> result.add(record.latest()));
        Collections.reverse(result);
        return result;
    }
}
