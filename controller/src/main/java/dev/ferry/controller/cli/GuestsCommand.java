package dev.ferry.controller.cli;

import dev.ferry.proto.v1.ListGuestsRequest;
import dev.ferry.proto.v1.ListGuestsResponse;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

@Command(name = "guests", description = "List the guests and where they run.")
final class GuestsCommand implements Callable<Integer> {

    @ParentCommand
    private FerryCommand ferry;

    @Override
    public Integer call() {
        ListGuestsResponse guests = ferry.call(stub -> FerryCommand.unary(stub).listGuests(ListGuestsRequest.getDefaultInstance()));
        if (ferry.json()) {
            Json.print(ferry.out(), guests);
        } else {
            GuestTable.print(ferry.out(), guests.getGuestsList());
        }
        return ExitCodes.OK;
    }
}
