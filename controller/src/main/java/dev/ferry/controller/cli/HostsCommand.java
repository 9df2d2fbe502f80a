package dev.ferry.controller.cli;

import dev.ferry.proto.v1.HostHealth;
import dev.ferry.proto.v1.HostInfo;
import dev.ferry.proto.v1.ListHostsRequest;
import dev.ferry.proto.v1.ListHostsResponse;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

@Command(name = "hosts", description = "List the hosts, their health and memory.")
final class HostsCommand implements Callable<Integer> {

    @ParentCommand
    private FerryCommand ferry;

    @Override
    public Integer call() {
        ListHostsResponse hosts = ferry.call(stub -> FerryCommand.unary(stub).listHosts(ListHostsRequest.getDefaultInstance()));
        if (ferry.json()) {
            Json.print(ferry.out(), hosts);
            return ExitCodes.OK;
        }
        Table table = new Table("NAME", "ADDRESS", "HEALTH", "GUESTS", "MEMORY-USED/CAPACITY", "HEARTBEAT");
        hosts.getHostsList().forEach(host -> table.row(host.getName(), host.getGrpcAddress(), health(host.getHealth()),
                host.getGuestCount(), memory(host), age(host)));
        table.print(ferry.out());
        return ExitCodes.OK;
    }

    private static String health(HostHealth health) {
        return health == HostHealth.HOST_HEALTHY ? "healthy" : health == HostHealth.HOST_UNREACHABLE ? "unreachable" : "?";
    }

    private static String memory(HostInfo host) {
        return Units.formatSize(host.getMemoryUsedBytes(), 1) + "/" + Units.formatSize(host.getMemoryCapacityBytes(), 1);
    }

    private String age(HostInfo host) {
        long millis = Math.max(0, ferry.context.clock().millis() - host.getLastHeartbeatUnixMillis());
        return String.format(Locale.ROOT, "%.1fs ago", millis / 1000.0);
    }
}
