package dev.ferry.controller;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Publishes the bound address for scripts that started the daemon with port 0. */
final class PortFile {

    private PortFile() {
    }

    /** Writes a temp file next to the target and renames it, so readers never see half a line. */
    static void write(Path file, HostPort bound) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Path temp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
        Files.writeString(temp, bound + "\n", StandardCharsets.UTF_8);
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
