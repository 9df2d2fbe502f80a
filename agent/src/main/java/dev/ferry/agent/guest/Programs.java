package dev.ferry.agent.guest;

import dev.ferry.proto.v1.ProgramSpec;

/** Builds the program a spec names, validating it against the guest's memory size. */
final class Programs {
    static final String CHOICES = "dirtier, idle, kv";

    private Programs() {}

    static Program create(ProgramSpec spec, long memoryBytes, GuestDevices devices) {
        return switch (spec.getProgramCase()) {
            case DIRTIER -> Dirtier.of(spec.getDirtier(), memoryBytes);
            case IDLE -> new Idle();
            case KV -> {
                if (devices.nic() == null || devices.disk() == null) {
                    throw new IllegalArgumentException("program kv needs a vNIC and a disk: run it on an agent started "
                            + "with --storage DIR");
                }
                yield new Kv(memoryBytes, devices.nic(), devices.disk());
            }
            case PROGRAM_NOT_SET -> throw new IllegalArgumentException(
                    "guest program is not set (or unknown to this agent); choose one of: " + CHOICES);
        };
    }

    /** Checks a program's parameters against the memory size without building it (no devices needed). */
    static void check(ProgramSpec spec, long memoryBytes) {
        if (spec.getProgramCase() == ProgramSpec.ProgramCase.KV) {
            KvLayout.of(memoryBytes);
        } else {
            create(spec, memoryBytes, GuestDevices.NONE);
        }
    }
}
