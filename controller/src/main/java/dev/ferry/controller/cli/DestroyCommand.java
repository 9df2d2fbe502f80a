package dev.ferry.controller.cli;

import dev.ferry.proto.v1.DestroyGuestRequest;
import dev.ferry.proto.v1.DestroyGuestResponse;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(name = "destroy", description = "Destroy a guest and free its memory.")
final class DestroyCommand implements Callable<Integer> {

    @ParentCommand
    private FerryCommand ferry;

    @Parameters(index = "0", paramLabel = "NAME", description = "Guest to destroy.")
    private String name;

    @Option(names = "--keep-disk", description = "Leave its disk image on the shared storage (create --disk IMAGE brings the guest back from it).")
    private boolean keepDisk;

    @Override
    public Integer call() {
        DestroyGuestRequest request = DestroyGuestRequest.newBuilder().setName(name).setKeepDisk(keepDisk).build();
        DestroyGuestResponse response = ferry.call(stub -> FerryCommand.unary(stub).destroyGuest(request));
        if (ferry.json()) {
            Json.print(ferry.out(), response);
        } else {
            ferry.out().println("destroyed guest " + name);
        }
        return ExitCodes.OK;
    }
}
