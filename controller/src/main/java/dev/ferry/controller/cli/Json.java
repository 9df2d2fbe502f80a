package dev.ferry.controller.cli;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.util.JsonFormat;
import java.io.PrintStream;
import java.io.UncheckedIOException;

/** Protobuf messages as JSON for scripts; fields at their defaults are printed too. */
final class Json {

    private static final JsonFormat.Printer PRINTER = JsonFormat.printer().alwaysPrintFieldsWithNoPresence();

    private Json() {
    }

    static void print(PrintStream out, MessageOrBuilder message) {
        try {
            out.println(PRINTER.print(message));
        } catch (InvalidProtocolBufferException e) {
            throw new UncheckedIOException(e);
        }
    }
}
