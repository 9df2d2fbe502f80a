package dev.ferry.agent.migration;

/** Where a migration goes and the ticket the destination issued for it. */
public record MigrationTarget(String migrationId, String sourceHost, String destinationHost,
                              String dataHost, int dataPort, String ticket) {
}
