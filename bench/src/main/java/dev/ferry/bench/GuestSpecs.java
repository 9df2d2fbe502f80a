package dev.ferry.bench;

import dev.ferry.proto.v1.DirtierSpec;
import dev.ferry.proto.v1.DirtyPattern;
import dev.ferry.proto.v1.GuestSpec;
import dev.ferry.proto.v1.IdleSpec;
import dev.ferry.proto.v1.ProgramSpec;

/** The guests the scenarios migrate. */
final class GuestSpecs {
    private GuestSpecs() {}

    static GuestSpec idle(String name, long bytes, boolean random) {
        return GuestSpec.newBuilder().setName(name).setMemoryBytes(bytes).setVcpus(1)
                .setProgram(ProgramSpec.newBuilder().setIdle(IdleSpec.newBuilder().setFillRandom(random))).build();
    }

    static GuestSpec dirtier(String name, long bytes, long rate, long workingSet) {
        return GuestSpec.newBuilder().setName(name).setMemoryBytes(bytes).setVcpus(1)
                .setProgram(ProgramSpec.newBuilder().setDirtier(DirtierSpec.newBuilder().setRateBytesPerSecond(rate)
                        .setPattern(DirtyPattern.UNIFORM).setWorkingSetBytes(workingSet))).build();
    }
}
