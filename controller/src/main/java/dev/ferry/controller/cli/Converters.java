package dev.ferry.controller.cli;

import java.time.Duration;
import picocli.CommandLine.ITypeConverter;

/** picocli converters, so a malformed size or duration is a usage error (exit 2). */
final class Converters {

    private Converters() {
    }

    static final class Size implements ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            return Units.parseSize(value);
        }
    }

    static final class Rate implements ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            return Units.parseRate(value);
        }
    }

    static final class Time implements ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            return Units.parseDuration(value);
        }
    }
}
