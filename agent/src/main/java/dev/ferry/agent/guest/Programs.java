package dev.ferry.agent.guest;

import dev.ferry.proto.v1.ProgramSpec;

/** Builds the program a spec names, validating it against the guest's memory size. */
final class Programs {
    static final String CHOICES = "dirtier, idle";

    private Programs() {}

    static Program create(ProgramSpec spec, long memoryBytes) {
        return switch (spec.getProgramCase()) {
            case DIRTIER -> Dirtier.of(spec.getDirtier(), memoryBytes);
            case IDLE -> new Idle();
            case KV -> throw new IllegalArgumentException(
                    "the kv program is not available on this agent yet; choose one of: " + CHOICES);
            case PROGRAM_NOT_SET -> throw new IllegalArgumentException(
                    "guest program is not set (or unknown to this agent); choose one of: " + CHOICES);
        };
    }
}
