package dev.ferry.controller.migration;

import java.util.HexFormat;
import java.util.random.RandomGenerator;

/** Short ids people can type: {@code m-} and 8 hex digits. */
final class MigrationIds {

    private final RandomGenerator random;

    MigrationIds(RandomGenerator random) {
        this.random = random;
    }

    String next() {
        return "m-" + HexFormat.of().toHexDigits(random.nextInt());
    }
}
