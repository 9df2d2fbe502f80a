package dev.ferry.controller.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import dev.ferry.controller.FakeAgent;
import dev.ferry.controller.TestCluster;
import dev.ferry.proto.v1.DirtyPattern;
import dev.ferry.proto.v1.DiskAllocation;
import dev.ferry.proto.v1.GuestSpec;
import dev.ferry.proto.v1.ListHostsResponse;
import dev.ferry.proto.v1.MigrationOptions;
import dev.ferry.proto.v1.MigrationProgress;
import dev.ferry.proto.v1.MigrationStatus;
import dev.ferry.proto.v1.StallAction;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Runs the real CLI in this JVM against a controller on a loopback port with fake agents. */
@Timeout(30)
class FerryCliTest {

    @TempDir
    Path dir;

    private TestCluster cluster;
    private String address;

    /** What one CLI run printed and returned. */
    record Result(int code, String out, String err) {
        List<String> lines() {
            return out.lines().toList();
        }
    }

    @BeforeEach
    void start() throws IOException {
        cluster = new TestCluster().withAgents("host-a", "host-b");
        address = cluster.startOnLoopback(Optional.of(dir.resolve("controller.port")));
        cluster.registerAll();
    }

    @AfterEach
    void stop() {
        cluster.close();
    }

    @Test
    void portFileHoldsTheBoundAddress() throws IOException {
        assertEquals(address + "\n", Files.readString(dir.resolve("controller.port")));
    }

    @Test
    void hostsTable() {
        Result result = run("hosts");

        assertEquals(0, result.code(), result.err());
        assertTrue(result.lines().getFirst().matches("NAME +ADDRESS +HEALTH +GUESTS +MEMORY-USED/CAPACITY +HEARTBEAT"), result.out());
        assertTrue(result.lines().get(1).matches("host-a +\\S+ +healthy +0 +0 B/8.0 GiB +0.0s ago"), result.out());
        assertEquals(3, result.lines().size());
    }

    @Test
    void createThenListGuests() {
        Result created = run("create", "demo", "--host", "host-a", "--memory", "1g", "--program", "dirtier",
                "--rate", "100m", "--pattern", "hotset", "--working-set", "256m");

        assertEquals(0, created.code(), created.err());
        assertTrue(created.out().contains("dirtier(100.0 MiB/s, hotset)"), created.out());
        GuestSpec spec = cluster.agents.get("host-a").guests.get("demo").getSpec();
        assertEquals(1L << 30, spec.getMemoryBytes());
        assertEquals(100L << 20, spec.getProgram().getDirtier().getRateBytesPerSecond());
        assertEquals(256L << 20, spec.getProgram().getDirtier().getWorkingSetBytes());
        assertEquals(DirtyPattern.HOTSET, spec.getProgram().getDirtier().getPattern());

        Result guests = run("guests");
        assertEquals("NAME  HOST    STATE    MEMORY   PROGRAM                       VCPUS  MAC", guests.lines().getFirst()
                .substring(0, 72));
        String row = guests.lines().get(1);
        assertTrue(row.startsWith("demo  host-a  running  1.0 GiB  dirtier(100.0 MiB/s, hotset)  1      "), row);
        assertTrue(row.contains(spec.getMac()), "the MAC the controller gave it: " + row);
        assertTrue(spec.getMac().startsWith("02:"), "a locally administered MAC: " + spec.getMac());
    }

    @Test
    void destroyRemovesTheGuest() {
        createIdle("demo");
        Result result = run("destroy", "demo");

        assertEquals(0, result.code(), result.err());
        assertEquals("destroyed guest demo\n", result.out());
        assertTrue(cluster.agents.get("host-a").guests.isEmpty());
        assertEquals(1, run("guests").lines().size(), "only the header is left");
    }

    @Test
    void migratePrintsProgressPerRoundAndTheSummary() {
        createIdle("demo");
        Result result = run("migrate", "demo", "--to", "host-b");

        assertEquals(ExitCodes.OK, result.code(), result.err());
        // The watch starts from the latest state, so how many rounds it sees is timing; each at most once.
        List<String> progress = result.lines().subList(0, result.lines().size() - 7);
        assertEquals(progress.size(), progress.stream().map(l -> l.split(" +sent")[0]).distinct().count(), result.out());
        assertTrue(progress.getLast().startsWith("completed     round 2"), result.out());
        List<String> summary = summary(result);
        assertTrue(summary.getFirst().matches("Migration m-[0-9a-f]{8} completed: demo host-a -> host-b"), summary.getFirst());
        assertEquals("  total time     2.41 s  (setup 12 ms)", summary.get(1));
        assertEquals("  downtime       3.2 ms  (target 50 ms)", summary.get(2));
        assertEquals("  rounds         4", summary.get(3));
        assertEquals("  memory         verified", summary.get(6));
        assertTrue(run("guests").out().contains("demo  host-b"), "guest shown on the destination at once");
    }

    @Test
    void migrateSendsTheRequestedOptions() {
        createIdle("demo");
        Result result = run("migrate", "demo", "--to", "host-b", "--max-downtime", "500us", "--max-rounds", "7",
                "--channels", "4", "--bandwidth", "500m", "--on-stall", "fail");

        assertEquals(ExitCodes.OK, result.code(), result.err());
        MigrationOptions options = cluster.agents.get("host-a").migrateOuts.getFirst().getOptions();
        assertEquals(500, options.getMaxDowntimeMicros());
        assertEquals(7, options.getMaxRounds());
        assertEquals(4, options.getChannels());
        assertEquals(500L << 20, options.getBandwidthBytesPerSecond());
        assertEquals(StallAction.STALL_FAIL, options.getOnStall());
        assertTrue(result.out().contains("(target 0.5 ms)"), result.out());
    }

    @Test
    void failedMigrationExitsOneAndSaysTheGuestStaysOnTheSource() {
        createIdle("demo");
        cluster.agents.get("host-a").script = FakeAgent.failedScript("destination closed the data channel");
        Result result = run("migrate", "demo", "--to", "host-b");

        assertEquals(ExitCodes.MIGRATION_FAILED, result.code());
        assertTrue(result.out().contains("  error          destination closed the data channel"), result.out());
        assertTrue(result.out().contains("The guest keeps running on the source, host-a."), result.out());
    }

    @Test
    void lostSourceAgentExitsWithUnknownOutcome() {
        createIdle("demo");
        cluster.agents.get("host-a").script = List.of(FakeAgent.precopy(0, 1, 1));
        cluster.agents.get("host-a").breakWatch = true;
        Result result = run("migrate", "demo", "--to", "host-b");

        assertEquals(ExitCodes.UNKNOWN, result.code());
        List<String> summary = summary(result);
        assertTrue(summary.getFirst().matches("Migration m-[0-9a-f]{8} unknown: demo host-a -> host-b"), summary.getFirst());
        assertTrue(result.out().contains("  error          lost contact with source agent host-a"), result.out());
        assertTrue(summary.getLast().startsWith("The outcome is not known"), summary.getLast());
        assertTrue(summary.getLast().contains("Check `ferry guests`"), summary.getLast());
        assertFalse(result.out().contains("keeps running"), result.out());
    }

    @Test
    void cancelSaysWhereTheGuestKeepsRunningAndTheMigrationEndsCancelled() {
        createIdle("demo");
        cluster.agents.get("host-a").gate = new CountDownLatch(1);
        String id = run("migrate", "demo", "--to", "host-b", "--no-wait").out().strip();

        Result cancelled = run("cancel", id);
        cluster.agents.get("host-a").gate.countDown();

        assertEquals(ExitCodes.OK, cancelled.code(), cancelled.err());
        assertEquals("cancel requested for " + id + "; the guest keeps running on host-a if it had not committed\n",
                cancelled.out());
        Result watched = run("watch", id);
        assertEquals(ExitCodes.MIGRATION_FAILED, watched.code(), watched.out());
        assertTrue(watched.out().contains("Migration " + id + " cancelled: demo host-a -> host-b"), watched.out());
        assertTrue(watched.out().contains("The guest keeps running on the source, host-a."), watched.out());
    }

    @Test
    void cancelOfAnUnknownMigrationExitsFourWithTheControllersMessage() {
        Result result = run("cancel", "m-00000000");

        assertEquals(ExitCodes.REJECTED, result.code());
        assertEquals("ferry: no migration with id m-00000000\n", result.err());
    }

    @Test
    void watchShowsTheDowntimeTargetTheMigrationRunsWith() {
        createIdle("demo");
        String id = run("migrate", "demo", "--to", "host-b", "--max-downtime", "20ms", "--no-wait").out().strip();

        Result watched = run("watch", id);

        assertEquals(ExitCodes.OK, watched.code(), watched.err());
        assertTrue(watched.out().contains("  downtime       3.2 ms  (target 20 ms)\n"), watched.out());
    }

    @Test
    void jsonMigrationPrintsOnlyTheFinalProgress() throws IOException {
        createIdle("demo");
        Result result = run("--output", "json", "migrate", "demo", "--to", "host-b");

        assertEquals(ExitCodes.OK, result.code(), result.err());
        MigrationProgress end = parse(result.out(), MigrationProgress.newBuilder());
        assertEquals(MigrationStatus.COMPLETED, end.getStatus());
        assertEquals("host-b", end.getDestinationHost());
    }

    @Test
    void jsonListsParseBack() throws IOException {
        Result result = run("hosts", "--output", "json");

        assertEquals(0, result.code(), result.err());
        ListHostsResponse hosts = parse(result.out(), ListHostsResponse.newBuilder());
        assertEquals(List.of("host-a", "host-b"), hosts.getHostsList().stream().map(h -> h.getName()).toList());
    }

    @Test
    void noWaitPrintsTheIdThenWatchAndMigrationsShowIt() {
        createIdle("demo");
        Result started = run("migrate", "demo", "--to", "host-b", "--no-wait");
        String id = started.out().strip();
        assertTrue(id.matches("m-[0-9a-f]{8}"), id);

        Result watched = run("watch", id);
        assertEquals(ExitCodes.OK, watched.code(), watched.err());
        assertTrue(watched.out().contains("Migration " + id + " completed: demo host-a -> host-b"), watched.out());
        assertTrue(watched.out().contains("  downtime       3.2 ms  (target 50 ms)\n"), watched.out());

        Result listed = run("migrations");
        assertTrue(listed.lines().getFirst().startsWith("ID"), listed.out());
        assertTrue(listed.lines().get(1).matches(id + " +demo +host-a +host-b +completed +4 +3.2 ms +2.41 s +yes"), listed.out());
    }

    @Test
    void unreachableControllerExitsFourWithAHint() {
        Result result = run(Map.of("FERRY_CONTROLLER", "127.0.0.1:1"), "hosts");

        assertEquals(ExitCodes.REJECTED, result.code());
        assertEquals("ferry: cannot reach the controller at 127.0.0.1:1: is it running? set --controller or FERRY_CONTROLLER\n",
                result.err());
        Result verbose = run(Map.of(), "--controller", "127.0.0.1:1", "--verbose", "hosts");
        assertTrue(verbose.err().contains("StatusRuntimeException"), "stack trace only with --verbose");
    }

    @Test
    void rejectedRequestShowsTheControllersMessage() {
        Result result = run("migrate", "ghost", "--to", "host-b");

        assertEquals(ExitCodes.REJECTED, result.code());
        assertTrue(result.err().startsWith("ferry: no guest named 'ghost'"), result.err());
        assertFalse(result.err().contains("\tat "), result.err());
    }

    @Test
    void helpListsCancel() {
        Result result = run("--help");

        assertEquals(ExitCodes.OK, result.code(), result.err());
        assertTrue(result.out().matches("(?s).*\\n +cancel +Roll back a running migration \\(unless it committed\\)\\.\\n +migrations .*"),
                result.out());
    }

    @Test
    void diskAllocationIsSentAsAskedAndRefusedWithAnExistingDisk() {
        assertEquals(0, run("create", "thin", "--host", "host-a", "--memory", "64m", "--program", "idle",
                "--disk-size", "1g", "--disk-allocation", "sparse").code());
        assertEquals(DiskAllocation.DISK_SPARSE, cluster.agents.get("host-a").guests.get("thin").getSpec().getDiskAllocation());
        createIdle("plain");
        assertEquals(DiskAllocation.DISK_ALLOCATION_UNSPECIFIED,
                cluster.agents.get("host-a").guests.get("plain").getSpec().getDiskAllocation(), "the agent's default");

        Result both = run("create", "again", "--host", "host-a", "--memory", "64m", "--program", "kv",
                "--disk", "disks/shop-1a2b3c4d.img", "--disk-allocation", "full");
        assertEquals(ExitCodes.USAGE, both.code());
        assertTrue(both.err().contains("--disk uses an existing image"), both.err());
    }

    @Test
    void usageErrorsExitTwo() {
        assertEquals(ExitCodes.USAGE, run("migrate", "demo").code());
        assertEquals(ExitCodes.USAGE, run("create", "x", "--host", "host-a", "--memory", "1q", "--program", "idle").code());
        assertEquals(ExitCodes.USAGE, run("--output", "yaml", "hosts").code());
    }

    private void createIdle(String name) {
        Result created = run("create", name, "--host", "host-a", "--memory", "1g", "--program", "idle");
        assertEquals(0, created.code(), created.err());
    }

    private static List<String> summary(Result result) {
        List<String> lines = result.lines();
        int start = 0;
        while (!lines.get(start).startsWith("Migration ")) {
            start++;
        }
        return lines.subList(start, lines.size());
    }

    @SuppressWarnings("unchecked")
    private static <T extends Message> T parse(String json, Message.Builder builder) throws IOException {
        JsonFormat.parser().merge(json, builder);
        return (T) builder.build();
    }

    private Result run(String... args) {
        return run(Map.of("FERRY_CONTROLLER", address), args);
    }

    private Result run(Map<String, String> env, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = new FerryCli(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                env, false, cluster.clock).run(args);
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
