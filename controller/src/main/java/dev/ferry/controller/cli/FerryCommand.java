package dev.ferry.controller.cli;

import dev.ferry.proto.v1.ControllerServiceGrpc;
import dev.ferry.proto.v1.ControllerServiceGrpc.ControllerServiceBlockingStub;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.io.PrintStream;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/** The top-level {@code ferry} command: global options and what every subcommand shares. */
@Command(name = "ferry", mixinStandardHelpOptions = true, version = "ferry 0.1.0",
        description = "Drive a Ferry cluster: hosts, guests and live migrations.",
        footer = {"", ExitCodes.HELP},
        subcommands = {HostsCommand.class, GuestsCommand.class, CreateCommand.class, DestroyCommand.class,
            MigrateCommand.class, WatchCommand.class, CancelCommand.class, MigrationsCommand.class,
            KvCommand.class, KvLoadCommand.class})
final class FerryCommand {

    static final String DEFAULT_CONTROLLER = "127.0.0.1:7700";

    /** How output is printed. */
    enum Format { table, json }

    /** What the CLI was started with: streams, environment, terminal, clock. */
    record Context(PrintStream out, PrintStream err, Map<String, String> env, boolean tty, Clock clock) {
    }

    final Context context;

    @Option(names = "--controller", paramLabel = "HOST:PORT", scope = ScopeType.INHERIT,
            description = "Controller address (default: $FERRY_CONTROLLER, else " + DEFAULT_CONTROLLER + ").")
    String controller;

    @Option(names = "--output", paramLabel = "table|json", defaultValue = "table", scope = ScopeType.INHERIT,
            description = "Output format: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    Format output;

    @Option(names = "--verbose", scope = ScopeType.INHERIT, description = "Show stack traces on errors.")
    boolean verbose;

    FerryCommand(Context context) {
        this.context = context;
    }

    String controllerAddress() {
        if (controller != null) {
            return controller;
        }
        return context.env().getOrDefault("FERRY_CONTROLLER", DEFAULT_CONTROLLER);
    }

    boolean json() {
        return output == Format.json;
    }

    PrintStream out() {
        return context.out();
    }

    /** A unary call's deadline: long enough for an agent to allocate a large guest. */
    static ControllerServiceBlockingStub unary(ControllerServiceBlockingStub stub) {
        return stub.withDeadlineAfter(150, TimeUnit.SECONDS);
    }

    /** Runs one exchange with the controller over a channel that lives for this command only. */
    <T> T call(Function<ControllerServiceBlockingStub, T> exchange) {
        ManagedChannel channel = ManagedChannelBuilder.forTarget(controllerAddress()).usePlaintext().build();
        try {
            return exchange.apply(ControllerServiceGrpc.newBlockingStub(channel));
        } finally {
            close(channel);
        }
    }

    private static void close(ManagedChannel channel) {
        channel.shutdownNow();
        try {
            channel.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
