package dev.ferry.controller.cli;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.time.Clock;
import java.util.Map;
import picocli.CommandLine;

/**
 * The {@code ferry} CLI. Commands are objects with injected streams; {@link #run} returns the
 * exit code and only {@link #main} exits, so tests run the real CLI inside the JVM.
 */
public final class FerryCli {

    private final FerryCommand.Context context;

    public FerryCli(PrintStream out, PrintStream err, Map<String, String> env) {
        this(out, err, env, isTerminal(), Clock.systemUTC());
    }

    public FerryCli(PrintStream out, PrintStream err, Map<String, String> env, boolean tty, Clock clock) {
        this.context = new FerryCommand.Context(out, err, env, tty, clock);
    }

    public static void main(String[] args) {
        System.exit(new FerryCli(System.out, System.err, System.getenv()).run(args));
    }

    public int run(String... args) {
        FerryCommand ferry = new FerryCommand(context);
        CommandLine commandLine = new CommandLine(ferry)
                .setOut(new PrintWriter(context.out(), true))
                .setErr(new PrintWriter(context.err(), true))
                .setExecutionExceptionHandler(new ErrorReporter(ferry));
        int code = commandLine.execute(args);
        context.out().flush();
        return code;
    }

    // Since JDK 22 System.console() exists even when redirected; isTerminal() tells the truth.
    private static boolean isTerminal() {
        return System.console() != null && System.console().isTerminal();
    }
}
