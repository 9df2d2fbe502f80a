package dev.ferry.controller;

import dev.ferry.common.config.HostPort;
import dev.ferry.controller.cli.FerryCli;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The controller daemon. {@code java -jar ferry-controller.jar cli ARGS...} runs the
 * {@code ferry} CLI instead, so one jar serves both.
 */
@Command(name = "ferry-controller", mixinStandardHelpOptions = true,
        description = "The Ferry controller: knows the hosts and guests, orchestrates live migrations.")
public final class ControllerMain implements Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger(ControllerMain.class);

    @Option(names = "--listen", paramLabel = "HOST:PORT", defaultValue = "0.0.0.0:7700",
            description = "Address of the gRPC service (default: ${DEFAULT-VALUE}); port 0 picks a free port.")
    private String listen;

    @Option(names = "--port-file", paramLabel = "FILE",
            description = "After binding, write the bound HOST:PORT to FILE (atomically).")
    private Path portFile;

    @Option(names = "--heartbeat-timeout", paramLabel = "DURATION", defaultValue = "3s",
            converter = DurationOption.class,
            description = "A host silent for longer is unreachable (default: ${DEFAULT-VALUE}).")
    private Duration heartbeatTimeout;

    public static void main(String[] args) {
        if (args.length > 0 && args[0].equals("cli")) {
            String[] rest = Arrays.copyOfRange(args, 1, args.length);
            System.exit(new FerryCli(System.out, System.err, System.getenv()).run(rest));
        }
        System.exit(new CommandLine(new ControllerMain()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        ControllerConfig config = ControllerConfig.defaults().withListen(HostPort.parse(listen))
                .withPortFile(Optional.ofNullable(portFile)).withHeartbeatTimeout(heartbeatTimeout);
        LOG.info("controller starting with {}", config.describe());
        ControllerServer server = ControllerServer.start(config,
                new Controller(config, Clock.systemUTC(), Controller::plaintextChannel));
        Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().name("shutdown").unstarted(server::close));
        server.awaitTermination();
        return 0;
    }

    /** Parses durations like {@code 3s} or {@code 500ms} for daemon options. */
    static final class DurationOption implements CommandLine.ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            return dev.ferry.controller.cli.Units.parseDuration(value);
        }
    }
}
