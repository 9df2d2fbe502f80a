package dev.ferry.controller.cli;

import dev.ferry.proto.v1.CreateGuestRequest;
import dev.ferry.proto.v1.DirtierSpec;
import dev.ferry.proto.v1.DirtyPattern;
import dev.ferry.proto.v1.DiskAllocation;
import dev.ferry.proto.v1.GuestInfo;
import dev.ferry.proto.v1.GuestSpec;
import dev.ferry.proto.v1.DiskSpec;
import dev.ferry.proto.v1.IdleSpec;
import dev.ferry.proto.v1.KvSpec;
import dev.ferry.proto.v1.ProgramSpec;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "create", description = "Create a guest on a host.")
final class CreateCommand implements Callable<Integer> {
    @picocli.CommandLine.Spec
    private picocli.CommandLine.Model.CommandSpec command;  // usage errors go to this command's streams

    /** The programs a guest can run. */
    enum Program { dirtier, idle, kv }

    /** How the dirtier picks pages. */
    enum Pattern { uniform, hotset, sequential }

    enum Allocation { full, sparse }

    @ParentCommand
    private FerryCommand ferry;

    @Parameters(index = "0", paramLabel = "NAME", description = "Guest name, unique in the cluster.")
    private String name;

    @Option(names = "--host", required = true, description = "Host to create the guest on.")
    private String host;

    @Option(names = "--memory", required = true, paramLabel = "SIZE", converter = Converters.Size.class,
            description = "Memory size, e.g. 512m, 1g (binary units; a multiple of 4 KiB).")
    private long memory;

    @Option(names = "--vcpus", defaultValue = "1", description = "Number of vCPUs (default: ${DEFAULT-VALUE}).")
    private int vcpus;

    @Option(names = "--program", required = true, description = "Workload: ${COMPLETION-CANDIDATES}.")
    private Program program;

    @Option(names = "--rate", paramLabel = "RATE", defaultValue = "unlimited", converter = Converters.Rate.class,
            description = "dirtier: bytes written per second, e.g. 100m = 100 MiB/s; unlimited or 0 (default: ${DEFAULT-VALUE}).")
    private long rate;

    @Option(names = "--pattern", defaultValue = "uniform",
            description = "dirtier: page pattern, ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    private Pattern pattern;

    @Option(names = "--working-set", paramLabel = "SIZE", defaultValue = "0", converter = Converters.Size.class,
            description = "dirtier: bytes of memory it writes to; 0 = all (default).")
    private long workingSet;

    @Option(names = "--fill-random", description = "idle: fill memory with random bytes at creation.")
    private boolean fillRandom;

    @Option(names = "--mac", paramLabel = "MAC", description = "The vNIC's MAC, e.g. 02:00:00:00:00:01 (default: a free one, chosen by the controller).")
    private String mac;

    @Option(names = "--disk-size", paramLabel = "SIZE", defaultValue = "0", converter = Converters.Size.class,
            description = "Disk image size on the shared storage (default: 64m; only on hosts started with --storage).")
    private long diskSize;

    @Option(names = "--disk-allocation", paramLabel = "HOW",
            description = "New disk image: full (every block written with zeros at creation, so the flush at a"
                    + " migration's hand-off needs no filesystem journal commit) or sparse (created at once; that flush"
                    + " can then wait tens of ms on a busy disk, inside the guest's downtime)."
                    + " Default: full up to 4g, sparse above.")
    private Allocation diskAllocation;

    @Option(names = "--disk", paramLabel = "IMAGE",
            description = "Use this existing disk image (relative to the shared storage, as `ferry guests` shows it) instead of a new one: a kv guest rebuilds its store from the log on it.")
    private String disk;

    @Override
    public Integer call() {
        if (disk != null && (diskAllocation != null || diskSize != 0)) {
            throw new picocli.CommandLine.ParameterException(command.commandLine(), "--disk uses an existing image:"
                    + " --disk-size and --disk-allocation only shape a new one; leave them out");
        }
        CreateGuestRequest request = CreateGuestRequest.newBuilder().setHost(host).setSpec(spec()).build();
        GuestInfo guest = ferry.call(stub -> FerryCommand.unary(stub).createGuest(request));
        if (ferry.json()) {
            Json.print(ferry.out(), guest);
        } else {
            GuestTable.print(ferry.out(), List.of(guest));
        }
        return ExitCodes.OK;
    }

    private GuestSpec spec() {
        GuestSpec.Builder spec = GuestSpec.newBuilder().setName(name).setMemoryBytes(memory).setVcpus(vcpus)
                .setProgram(programSpec()).setDiskBytes(diskSize);
        if (diskAllocation != null) {
            spec.setDiskAllocation(diskAllocation == Allocation.sparse ? DiskAllocation.DISK_SPARSE : DiskAllocation.DISK_FULL);
        }
        if (mac != null) {
            spec.setMac(mac);
        }
        if (disk != null) {
            spec.setDisk(DiskSpec.newBuilder().setImage(disk));
        }
        return spec.build();
    }

    private ProgramSpec programSpec() {
        return switch (program) {
            case dirtier -> ProgramSpec.newBuilder().setDirtier(DirtierSpec.newBuilder().setRateBytesPerSecond(rate)
                    .setPattern(DirtyPattern.valueOf(pattern.name().toUpperCase(Locale.ROOT)))
                    .setWorkingSetBytes(workingSet)).build();
            case idle -> ProgramSpec.newBuilder().setIdle(IdleSpec.newBuilder().setFillRandom(fillRandom)).build();
            case kv -> ProgramSpec.newBuilder().setKv(KvSpec.getDefaultInstance()).build();
        };
    }
}
