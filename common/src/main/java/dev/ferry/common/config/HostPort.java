package dev.ferry.common.config;

import java.net.InetSocketAddress;

/** A {@code HOST:PORT} pair as given on the command line; port 0 means "pick a free port". */
public record HostPort(String host, int port) {

    public HostPort {
        if (host.isBlank()) {
            throw new IllegalArgumentException("missing host in address");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
    }

    /** Parses {@code HOST:PORT}; the last colon separates the port so bracket-less IPv6 still fails loudly. */
    public static HostPort parse(String text) {
        int colon = text.lastIndexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("expected HOST:PORT, got '" + text + "'");
        }
        return new HostPort(text.substring(0, colon), parsePort(text.substring(colon + 1), text));
    }

    private static int parsePort(String port, String whole) {
        try {
            return Integer.parseInt(port);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("expected HOST:PORT, got '" + whole + "'", e);
        }
    }

    public InetSocketAddress toSocketAddress() {
        return new InetSocketAddress(host, port);
    }

    @Override
    public String toString() {
        return host + ":" + port;
    }
}
