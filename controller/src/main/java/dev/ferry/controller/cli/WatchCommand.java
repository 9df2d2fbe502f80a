package dev.ferry.controller.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "watch", description = "Follow a running (or show a finished) migration.",
        footer = {"", ExitCodes.HELP})
final class WatchCommand implements Callable<Integer> {

    @ParentCommand
    private FerryCommand ferry;

    @Parameters(index = "0", paramLabel = "ID", description = "Migration id, e.g. m-1a2b3c4d.")
    private String id;

    @Override
    public Integer call() {
        return ferry.call(stub -> new MigrationFollower(ferry).follow(stub, id));
    }
}
