package dev.ferry.controller.cluster;

import dev.ferry.common.net.MacAddress;
import dev.ferry.proto.v1.GuestSpec;

/** Checks a guest spec before any agent sees it, so users get the controller's clear message. */
final class GuestSpecs {

    static final long PAGE_SIZE = 4096;

    private GuestSpecs() {
    }

    static void validate(GuestSpec spec) {
        if (spec.getName().isBlank()) {
            throw RequestRejectedException.invalid("a guest needs a name");
        }
        if (spec.getMemoryBytes() <= 0 || spec.getMemoryBytes() % PAGE_SIZE != 0) {
            throw RequestRejectedException.invalid("guest memory must be a positive multiple of 4096 bytes (4 KiB pages), got "
                    + spec.getMemoryBytes());
        }
        if (spec.getVcpus() < 0) {
            throw RequestRejectedException.invalid("vcpus must not be negative, got " + spec.getVcpus());
        }
        if (!spec.getMac().isEmpty()) {
            try {
                MacAddress.parse(spec.getMac());
            } catch (IllegalArgumentException e) {
                throw RequestRejectedException.invalid(e.getMessage());
            }
        }
        if (spec.hasDisk() && spec.getDisk().getImage().isBlank()) {
            throw RequestRejectedException.invalid("a disk to adopt needs its image path (relative to the shared"
                    + " storage); leave the disk out for a new one");
        }
    }
}
