package dev.ferry.controller.cli;

import dev.ferry.proto.v1.MigrateRequest;
import dev.ferry.proto.v1.MigrateResponse;
import dev.ferry.proto.v1.MigrationOptions;
import dev.ferry.proto.v1.StallAction;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "migrate", description = "Live-migrate a guest to another host and follow it to the end.",
        footer = {"", ExitCodes.HELP})
final class MigrateCommand implements Callable<Integer> {

    /** What to do when pre-copy stops converging. */
    enum OnStall { stop, fail }

    @ParentCommand
    private FerryCommand ferry;

    @Parameters(index = "0", paramLabel = "GUEST", description = "Guest to migrate.")
    private String guest;

    @Option(names = "--to", required = true, paramLabel = "HOST", description = "Destination host.")
    private String destination;

    @Option(names = "--max-downtime", paramLabel = "DURATION", defaultValue = "50ms", converter = Converters.Time.class,
            description = "Downtime target, e.g. 50ms, 500us (default: ${DEFAULT-VALUE}).")
    private Duration maxDowntime;

    @Option(names = "--max-rounds", defaultValue = "30", description = "Switch over after this many rounds (default: ${DEFAULT-VALUE}).")
    private int maxRounds;

    @Option(names = "--channels", defaultValue = "0",
            description = "Parallel data channels, 1-16 (default: the source host's choice, one per two of its cores, 1-4).")
    private int channels;

    @Option(names = "--bandwidth", paramLabel = "RATE", defaultValue = "unlimited", converter = Converters.Rate.class,
            description = "Bandwidth cap, e.g. 500m = 500 MiB/s, or unlimited (default: ${DEFAULT-VALUE}).")
    private long bandwidth;

    @Option(names = "--on-stall", defaultValue = "stop",
            description = "If rounds stop shrinking: stop (switch over anyway) or fail (roll back) (default: ${DEFAULT-VALUE}).")
    private OnStall onStall;

    @Option(names = "--no-wait", description = "Print the migration id and exit without following it "
            + "(follow it with `ferry watch ID`, stop it with `ferry cancel ID`).")
    private boolean noWait;

    @Override
    public Integer call() {
        MigrateRequest request = MigrateRequest.newBuilder().setGuest(guest).setDestinationHost(destination)
                .setOptions(options()).build();
        return ferry.call(stub -> {
            MigrateResponse started = FerryCommand.unary(stub).migrate(request);
            if (noWait) {
                return printId(started);
            }
            return new MigrationFollower(ferry).follow(stub, started.getMigrationId());
        });
    }

    private int printId(MigrateResponse started) {
        if (ferry.json()) {
            Json.print(ferry.out(), started);
        } else {
            ferry.out().println(started.getMigrationId());
        }
        return ExitCodes.OK;
    }

    private MigrationOptions options() {
        return MigrationOptions.newBuilder().setMaxDowntimeMicros(micros(maxDowntime)).setMaxRounds(maxRounds)
                .setChannels(channels).setBandwidthBytesPerSecond(bandwidth)
                .setOnStall(onStall == OnStall.fail ? StallAction.STALL_FAIL : StallAction.STALL_STOP_ANYWAY).build();
    }

    private static long micros(Duration duration) {
        return duration.toNanos() / 1000;
    }
}
