package dev.ferry.controller.cli;

import dev.ferry.common.config.HostPort;
import dev.ferry.proto.v1.GuestInfo;
import dev.ferry.proto.v1.HostHealth;
import dev.ferry.proto.v1.HostInfo;
import dev.ferry.proto.v1.ListGuestsRequest;
import dev.ferry.proto.v1.ListHostsRequest;
import java.util.ArrayList;
import java.util.List;

/** Where a client attaches: hosts' switch ports, looked up at the controller. */
final class SwitchPorts {
    private SwitchPorts() {}

    /** The switch ports of the named hosts; none named = the host running {@code guest} (or, with {@code all}, every healthy host). */
    static List<HostPort> resolve(FerryCommand ferry, String guest, List<String> via, boolean all) {
        List<HostInfo> hosts = ferry.call(stub -> FerryCommand.unary(stub).listHosts(ListHostsRequest.getDefaultInstance()))
                .getHostsList();
        List<String> names = new ArrayList<>(via);
        if (names.isEmpty() && all) {
            hosts.stream().filter(h -> h.getHealth() == HostHealth.HOST_HEALTHY).forEach(h -> names.add(h.getName()));
        } else if (names.isEmpty()) {
            GuestInfo info = ferry.call(stub -> FerryCommand.unary(stub).listGuests(ListGuestsRequest.getDefaultInstance()))
                    .getGuestsList().stream().filter(g -> g.getSpec().getName().equals(guest)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("no guest named '" + guest + "'; see `ferry guests`"));
            names.add(info.getHost());
        }
        List<HostPort> ports = new ArrayList<>();
        for (String name : names) {
            HostInfo host = hosts.stream().filter(h -> h.getName().equals(name)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("no host named '" + name + "'; see `ferry hosts`"));
            if (host.getNetAddress().isEmpty()) {
                throw new IllegalArgumentException("host " + name + " did not report a switch port (an older agent?)");
            }
            ports.add(HostPort.parse(host.getNetAddress()));
        }
        if (ports.isEmpty()) {
            throw new IllegalArgumentException("no healthy host to attach to; see `ferry hosts`");
        }
        return ports;
    }
}
